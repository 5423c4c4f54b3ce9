/**
 * queue/: one `Queue` interface over two backends. In-process (the default) runs jobs here;
 * with CAMPRINT_REDIS_URL jobs go to Redis (BullMQ) and `camprint worker` processes on any number
 * of machines run them, a job whose worker dies being handed to another. Job kinds are
 * registered by name with a zod schema for their JSON parameters (registry.ts explains how to
 * add one); `residual`, `fingerprint-build`, `dataset-create`, `train` and `evaluate` are built
 * in (kinds/). `cancel(id)` drops a queued job or aborts a running one's signal.
 *
 * ```ts
 * const queue = await openQueue({ store: () => openStore({ dataDir }) });
 * const id = await queue.submit('residual', { image: 'a.jpg', out: 'a.npy' });
 * const job = await queue.wait(id);            // job.status 'done' | 'failed', job.result
 * await queue.close();
 * ```
 */
import type { Store } from '../store/index.js';
import { InProcessQueue } from './in-process.js';
import { queueSettings, type QueueSettings } from './settings.js';
import { jobFailedError } from './run.js';
import type { JsonObject, Queue, SubmitOptions } from './types.js';
import type { RunningWorker, WorkerOptions } from './redis-worker.js';
import './kinds/index.js';

export type * from './types.js';
export type { JobContext, JobHandler, JobKindInfo } from './registry.js';
export {
  registerJobHandler,
  jobKinds,
  jobHandler,
  checkJobParams,
  absolutePath,
  resolvePaths,
} from './registry.js';
export { InProcessQueue, type InProcessQueueOptions } from './in-process.js';
export { queueSettings, redactUrl, QUEUE_DEFAULTS, type QueueSettings } from './settings.js';
export { jobFailedError } from './run.js';
export { failOrphanedJobs, orphanError } from './orphans.js';
export type { RunningWorker, WorkerOptions, WorkerStats } from './redis-worker.js';
export type { ResidualJobParams } from './kinds/residual.js';
export type { FingerprintBuildJobParams } from './kinds/fingerprint-build.js';
export type { DatasetCreateJobParams } from './kinds/dataset-create.js';
export type { EvaluateJobParams } from './kinds/evaluate.js';
export { onTrainingEpoch, type TrainJobParams, type TrainingEpoch } from './kinds/train.js';

export interface OpenQueueOptions {
  /** Settings on top of the environment's (e.g. `redisUrl`); absent ones come from the environment. */
  settings?: Partial<QueueSettings>;
  /** The store: jobs are mirrored there, and in-process handlers use it. */
  store?: () => Promise<Store>;
  /** In-process only: jobs at once (default 2). */
  concurrency?: number;
  log?: (line: string) => void;
}

/**
 * The queue the configuration asks for: Redis when CAMPRINT_REDIS_URL (or settings.redisUrl) is
 * set (an InputError when it cannot be reached), else in-process.
 */
export async function openQueue(options: OpenQueueOptions = {}): Promise<Queue> {
  const settings = queueSettings(options.settings);
  if (settings.redisUrl) {
    // Loaded only when used: BullMQ is not needed to run jobs in-process.
    const { RedisQueue } = await import('./redis-queue.js');
    return RedisQueue.open(settings, { store: options.store, log: options.log });
  }
  return new InProcessQueue({
    concurrency: options.concurrency,
    store: options.store,
    attempts: settings.attempts,
    backoffMs: settings.backoffMs,
    log: options.log,
  });
}

/** Starts a worker taking jobs from Redis (see redis-worker.ts). */
export async function startWorker(
  options: Omit<WorkerOptions, 'settings'> & { settings?: Partial<QueueSettings> },
): Promise<RunningWorker> {
  const { startWorker: start } = await import('./redis-worker.js');
  return start({ ...options, settings: queueSettings(options.settings) });
}

/** Submits a job, waits for it and returns its result; a failed job throws (InputError for bad input). */
export async function runQueued(
  queue: Queue,
  kind: string,
  params: unknown,
  options?: SubmitOptions,
): Promise<JsonObject> {
  const info = await queue.wait(await queue.submit(kind, params, options));
  if (info.status !== 'done') throw jobFailedError(info);
  return info.result ?? {};
}
