/**
 * The Queue contract: what a caller sees of a job queue, whichever backend runs the jobs (this
 * process, or `camprint worker` processes fed through Redis).
 */
import type { JobStatus, JsonObject } from '../store/index.js';

export type { JobStatus, JsonObject };

/** Which implementation runs the jobs. */
export type QueueBackend = 'in-process' | 'redis';

/** A job as the queue knows it. */
export interface JobInfo {
  id: string;
  kind: string;
  /** queued (waiting, or waiting for a retry), running, done, failed or cancelled. */
  status: JobStatus;
  /** Fraction done, 0–1. */
  progress: number;
  /** What the job is doing now (e.g. the file in hand), when the handler said. */
  detail?: string;
  params: JsonObject;
  /** The handler's result (small JSON), when done. */
  result?: JsonObject;
  /** Why it failed (the last attempt's error), when failed; the last error while retrying. */
  error?: string;
  /** True when it failed on bad input (an InputError: not retried, exit code 2). */
  inputError?: boolean;
  /** Times the job was started (a retry or a recovery from a dead worker starts it again); undefined when unknown. */
  attempts?: number;
  /** The worker that ran (or runs) it, `host:pid`, when known. */
  worker?: string;
  createdAt: string;
  updatedAt: string;
}

/** What happened to a job; listeners get one event per change. */
export type JobEvent =
  | { type: 'active'; id: string; kind: string; attempt?: number; worker?: string }
  | { type: 'progress'; id: string; kind: string; progress: number; detail?: string; worker?: string }
  | { type: 'retrying'; id: string; kind: string; error: string; delayMs?: number }
  | { type: 'stalled'; id: string; kind: string }
  | { type: 'done'; id: string; kind: string; result: JsonObject }
  | { type: 'failed'; id: string; kind: string; error: string; inputError: boolean }
  /** Cancelled (`Queue.cancel`, or the queue closed before it ran); `result` when the handler still returned one. */
  | { type: 'cancelled'; id: string; kind: string; result?: JsonObject };

export interface SubmitOptions {
  /** The job id; a random UUID when absent. Submitting an id twice is an InputError. */
  id?: string;
  /** Tries before the job fails (default: the queue's, 3); bad input is never retried. */
  attempts?: number;
}

export interface ListOptions {
  status?: JobStatus;
  kind?: string;
  /** At most this many, the most recent (default 100). */
  limit?: number;
}

export interface WaitOptions {
  /** Give up after this many milliseconds (an Error; the job goes on). Default: no limit. */
  timeoutMs?: number;
}

/**
 * A job queue. `submit` checks the kind and its parameters here (InputError naming the kind and
 * the parameter), so a bad job never reaches a worker.
 */
export interface Queue {
  readonly backend: QueueBackend;
  /** Queues a job of a registered kind; resolves to its id once it is queued. */
  submit(kind: string, params: unknown, options?: SubmitOptions): Promise<string>;
  /** Resolves once the job is done or has failed for good (it does not throw for a failed job). */
  wait(id: string, options?: WaitOptions): Promise<JobInfo>;
  get(id: string): Promise<JobInfo | undefined>;
  /** Jobs, oldest first (the most recent `limit`). */
  list(options?: ListOptions): Promise<JobInfo[]>;
  /**
   * Cancels a job. A queued one is dropped; a running one has its `signal` aborted and ends
   * `cancelled` once its handler returns (handlers stop at their next check; a training job stops
   * its engine, keeping the last checkpoint). Resolves true when the job was cancelled, false when
   * it had already ended; InputError when there is no such job, or the backend cannot stop it
   * (Redis: a job running on a worker, see redis-queue.ts).
   */
  cancel(id: string): Promise<boolean>;
  /** Calls the listener on every job event; returns the function that stops it. */
  on(listener: (event: JobEvent) => void): () => void;
  /** Stops: no new jobs; running ones (in-process) finish first. Closing twice is harmless. */
  close(): Promise<void>;
}
