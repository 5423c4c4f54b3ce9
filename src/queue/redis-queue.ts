/**
 * The Redis queue (CAMPRINT_REDIS_URL): jobs go to BullMQ, one Redis queue per kind (keys
 * `<prefix>:<kind>:…`), and `camprint worker` processes on any machine run them. Redis is the
 * truth for their state; this side only submits, watches and reads.
 */
import { randomUUID } from 'node:crypto';
import { Queue as BullQueue, QueueEvents, type Job, type JobType } from 'bullmq';
import type { JsonObject, JobStatus, Store } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { checkJobParams, jobHandler, jobKinds } from './registry.js';
import { JobMirror } from './mirror.js';
import { decodeFailure } from './run.js';
import { bullConnection, checkRedisReachable } from './redis-connection.js';
import { redactUrl, type QueueSettings } from './settings.js';
import type { JobEvent, JobInfo, ListOptions, Queue, SubmitOptions, WaitOptions } from './types.js';

/** What travels with a job in Redis. */
export interface JobData {
  kind: string;
  params: JsonObject;
}

/** The progress a worker reports. */
export interface JobProgressData {
  fraction: number;
  detail?: string;
  worker?: string;
}

export interface RedisQueueOptions {
  /** The submitter's store: submitted jobs are mirrored there as queued (workers mirror into theirs). */
  store?: () => Promise<Store>;
  log?: (line: string) => void;
}

const STATES: Record<Exclude<JobStatus, 'cancelled'>, JobType[]> = {
  queued: ['waiting', 'delayed', 'prioritized', 'waiting-children'],
  running: ['active'],
  done: ['completed'],
  failed: ['failed'],
};

export class RedisQueue implements Queue {
  readonly backend = 'redis' as const;
  private readonly queues = new Map<string, BullQueue>();
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly mirror: JobMirror;
  private readonly log: (line: string) => void;
  private closed = false;

  private constructor(
    readonly settings: QueueSettings & { redisUrl: string },
    private readonly options: RedisQueueOptions,
  ) {
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.mirror = new JobMirror(options.store, this.log, { backend: 'redis' });
  }

  /** Opens the queue once Redis answers (an InputError naming the URL when it does not). */
  static async open(settings: QueueSettings, options: RedisQueueOptions = {}): Promise<RedisQueue> {
    if (!settings.redisUrl) throw new InputError('the Redis queue needs CAMPRINT_REDIS_URL');
    await checkRedisReachable(settings.redisUrl);
    return new RedisQueue({ ...settings, redisUrl: settings.redisUrl }, options);
  }

  async submit(kind: string, params: unknown, options: SubmitOptions = {}): Promise<string> {
    if (this.closed) throw new Error('the queue is closed');
    const checked = checkJobParams(kind, params, { cwd: process.cwd() });
    const id = options.id ?? randomUUID();
    if (/^\d+$/.test(id) || id.includes(':'))
      throw new InputError(`job id ${JSON.stringify(id)}: not all digits, and no ':'`);
    const attempts = options.attempts ?? this.settings.attempts;
    const q = this.bull(kind);
    if (await this.find(id)) throw new InputError(`job ${id} already exists`);
    await this.mirror.created(id, kind, checked);
    const data: JobData = { kind, params: checked };
    await q.add(kind, data, {
      jobId: id,
      attempts,
      backoff: { type: 'exponential', delay: this.settings.backoffMs },
      removeOnComplete: { count: 10_000 },
      removeOnFail: { count: 10_000 },
    });
    return id;
  }

  async wait(id: string, options: WaitOptions = {}): Promise<JobInfo> {
    const job = await this.find(id);
    if (!job) throw new InputError(`job ${id}: no such job in ${redactUrl(this.settings.redisUrl)}`);
    await this.eventsFor(job.name);
    // Events make it quick; the state read every second makes it sure (an event sent while the
    // event stream was being joined would otherwise be missed).
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let wake: (() => void) | undefined;
    const stop = this.on((e) => {
      if (e.id === id && (e.type === 'done' || e.type === 'failed')) wake?.();
    });
    let info: JobInfo | undefined;
    try {
      for (;;) {
        const finished = new Promise<void>((resolve) => (wake = resolve));
        info = await this.get(id);
        if (!info) throw new Error(`job ${id} vanished from Redis while waited for`);
        if (info.status === 'done' || info.status === 'failed') break;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`job ${id}: still ${info.status} after ${options.timeoutMs} ms`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          finished,
          new Promise<void>((r) => (timer = setTimeout(r, Math.min(1000, left)))),
        ]);
        clearTimeout(timer);
      }
    } finally {
      stop();
    }
    // The submitter's store learns the outcome too (the same row when the store is shared).
    await this.mirror.update(id, info.kind, info.params, {
      status: info.status,
      progress: info.progress,
      result: info.result ?? null,
      error: info.error ?? null,
    });
    return info;
  }

  async get(id: string): Promise<JobInfo | undefined> {
    const job = await this.find(id);
    if (!job) return undefined;
    const state = await job.getState();
    // Finished between the two reads: read it again, with its result or reason.
    const finished = (state === 'completed' || state === 'failed') && !job.finishedOn;
    return toInfo((finished && (await this.bull(job.name).getJob(id))) || job, state);
  }

  async list(options: ListOptions = {}): Promise<JobInfo[]> {
    const limit = options.limit ?? 100;
    if (limit <= 0) return [];
    if (options.kind) jobHandler(options.kind);
    const kinds = options.kind ? [options.kind] : jobKinds().map((k) => k.kind);
    const statuses = options.status ? [options.status] : (Object.keys(STATES) as (keyof typeof STATES)[]);
    const all: JobInfo[] = [];
    for (const kind of kinds) {
      const q = this.bull(kind);
      for (const status of statuses) {
        if (status === 'cancelled') continue;
        for (const type of STATES[status]) {
          const jobs = await q.getJobs(type, 0, limit - 1, false);
          for (const j of jobs) if (j) all.push(toInfo(j, type));
        }
      }
    }
    all.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return all.slice(-limit);
  }

  /**
   * What BullMQ allows from the submitting side: a job still waiting (or delayed for a retry) is
   * removed from Redis and recorded as cancelled in the submitter's store. A running job cannot
   * be stopped from here: BullMQ cancels a job only inside the worker process that holds it
   * (Worker.cancelJob), so this is an InputError naming the worker; stop that worker
   * (`camprint worker` hands its jobs back on SIGINT) or let the job finish.
   */
  async cancel(id: string): Promise<boolean> {
    const job = await this.find(id);
    if (!job) throw new InputError(`job ${id}: no such job in ${redactUrl(this.settings.redisUrl)}`);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return false;
    const kind = (job.data as Partial<JobData>).kind ?? job.name;
    const params = (job.data as Partial<JobData>).params ?? {};
    if (state !== 'active') {
      try {
        await job.remove();
      } catch {
        // Taken by a worker between the two reads (BullMQ refuses to remove a locked job).
      }
      if (!(await this.bull(job.name).getJob(id))) {
        await this.mirror.update(id, kind, params, { status: 'cancelled', error: 'cancelled before it ran' });
        this.emit({ type: 'cancelled', id, kind });
        return true;
      }
    }
    const worker = job.processedBy ? ` on worker ${job.processedBy}` : '';
    throw new InputError(
      `job ${id} is running${worker}; the Redis queue cannot stop a running job (only its worker can: stop that worker, which hands its jobs back)`,
    );
  }

  on(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    // Listen to every kind's events (once per kind).
    for (const { kind } of jobKinds()) void this.eventsFor(kind).catch((err: unknown) => this.warn(err));
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every kind's event stream is being read (events after this are not missed). */
  async ready(): Promise<void> {
    await Promise.all(jobKinds().map((k) => this.eventsFor(k.kind)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.mirror.flush();
    const events = await Promise.allSettled([...this.events.values()]);
    await Promise.allSettled([
      ...events.map((e) => (e.status === 'fulfilled' ? e.value.close() : undefined)),
      ...[...this.queues.values()].map((q) => q.close()),
    ]);
  }

  /** The job with this id in whichever kind's queue holds it. */
  private async find(id: string): Promise<Job | undefined> {
    for (const { kind } of jobKinds()) {
      const job = await this.bull(kind).getJob(id);
      if (job) return job;
    }
    return undefined;
  }

  private bull(kind: string): BullQueue {
    jobHandler(kind);
    let q = this.queues.get(kind);
    if (!q) {
      q = new BullQueue(kind, {
        connection: bullConnection(this.settings.redisUrl),
        prefix: this.settings.prefix,
      });
      q.on('error', (err) => this.warn(err));
      this.queues.set(kind, q);
    }
    return q;
  }

  private eventsFor(kind: string): Promise<QueueEvents> {
    let p = this.events.get(kind);
    if (!p) {
      const ev = new QueueEvents(kind, {
        connection: bullConnection(this.settings.redisUrl),
        prefix: this.settings.prefix,
      });
      ev.on('error', (err) => this.warn(err));
      ev.on('active', ({ jobId }) => this.emit({ type: 'active', id: jobId, kind }));
      ev.on('progress', ({ jobId, data }) => {
        const p = progressOf(data);
        this.emit({
          type: 'progress',
          id: jobId,
          kind,
          progress: p.fraction,
          detail: p.detail,
          worker: p.worker,
        });
      });
      ev.on('stalled', ({ jobId }) => this.emit({ type: 'stalled', id: jobId, kind }));
      ev.on('delayed', ({ jobId, delay }) =>
        this.emit({ type: 'retrying', id: jobId, kind, error: 'the attempt failed', delayMs: delay }),
      );
      ev.on('completed', ({ jobId, returnvalue }) =>
        this.emit({ type: 'done', id: jobId, kind, result: resultOf(returnvalue) ?? {} }),
      );
      ev.on('failed', ({ jobId, failedReason }) => {
        const f = decodeFailure(failedReason ?? '');
        this.emit({ type: 'failed', id: jobId, kind, error: f.message, inputError: f.input });
      });
      p = ev.waitUntilReady().then(() => ev);
      this.events.set(kind, p);
    }
    return p;
  }

  private emit(event: JobEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.warn(err);
      }
    }
  }

  private warn(err: unknown): void {
    if (this.closed) return;
    this.log(`camprint queue: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The progress as workers write it (a bare number from anything else). */
export function progressOf(data: unknown): JobProgressData {
  if (typeof data === 'number') return { fraction: data > 1 ? data / 100 : data };
  if (data && typeof data === 'object' && typeof (data as JobProgressData).fraction === 'number')
    return data as JobProgressData;
  return { fraction: 0 };
}

function resultOf(value: unknown): JsonObject | undefined {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return { value: v as string };
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

function statusOf(state: string): JobStatus {
  if (state === 'completed') return 'done';
  if (state === 'failed') return 'failed';
  if (state === 'active') return 'running';
  return 'queued';
}

/** A BullMQ job in a state as a JobInfo. */
export function toInfo(job: Job, state: string): JobInfo {
  const data = job.data as Partial<JobData>;
  const progress = progressOf(job.progress);
  const status = statusOf(state);
  const info: JobInfo = {
    id: String(job.id),
    kind: data.kind ?? job.name,
    status,
    progress: status === 'done' ? 1 : progress.fraction,
    params: data.params ?? {},
    attempts: job.attemptsStarted ?? job.attemptsMade,
    createdAt: new Date(job.timestamp).toISOString(),
    updatedAt: new Date(job.finishedOn ?? job.processedOn ?? job.timestamp).toISOString(),
  };
  if (progress.detail !== undefined && status === 'running') info.detail = progress.detail;
  const worker = job.processedBy ?? progress.worker;
  if (worker) info.worker = worker;
  if (status === 'done') info.result = resultOf(job.returnvalue) ?? {};
  if (job.failedReason && status !== 'done') {
    const f = decodeFailure(job.failedReason);
    info.error = f.message;
    if (status === 'failed') info.inputError = f.input;
  }
  return info;
}
