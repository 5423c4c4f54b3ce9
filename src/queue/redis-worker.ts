/**
 * A worker: takes jobs of some kinds from Redis (BullMQ) and runs them in this process.
 *
 * Crash safety: a job is held under a lock the worker renews (every lockDuration/2). A worker
 * killed mid-job stops renewing; the other workers' stalled-job check (every stalledInterval)
 * finds the lapsed lock and puts the job back, and one of them runs it again from the start.
 * Handlers write atomically and idempotently, so the job's effects happen once. Failed attempts
 * are retried with an exponential backoff; an InputError fails the job at once.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Store } from '../store/index.js';
import { InputError, expected } from '../util/errors.js';
import { jobHandler, jobKinds } from './registry.js';
import { JobMirror } from './mirror.js';
import { encodeFailure, failureOf, runJob, throttle } from './run.js';
import { bullConnection, checkRedisReachable } from './redis-connection.js';
import type { JobData, JobProgressData } from './redis-queue.js';
import type { QueueSettings } from './settings.js';

export interface WorkerOptions {
  settings: QueueSettings;
  /** The kinds to take (default: every registered kind). */
  kinds?: readonly string[];
  /** Jobs of each kind run at once in this process (default 1). */
  concurrency?: number;
  /** The store handlers use (fingerprint-build saves there) and jobs are mirrored into. */
  store?: () => Promise<Store>;
  /** This worker's name in job records (default host:pid). */
  name?: string;
  /** Log lines (default stderr). */
  log?: (line: string) => void;
}

export interface WorkerStats {
  completed: number;
  failed: number;
  retried: number;
}

export interface RunningWorker {
  readonly name: string;
  readonly kinds: readonly string[];
  stats(): WorkerStats;
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
  /**
   * Hands the running jobs back to the queue at once (another worker starts them again) and
   * stops without waiting for them; for a process about to exit.
   */
  release(): Promise<void>;
}

interface Active {
  job: Job;
  token?: string;
  abort: AbortController;
}

/** Starts taking jobs; resolves once Redis answered (an InputError naming the URL when it does not). */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings } = options;
  const url = settings.redisUrl;
  if (!url)
    throw new InputError(
      'a worker needs CAMPRINT_REDIS_URL, the Redis that feeds the workers (e.g. redis://localhost:6379)',
    );
  const kinds = [...(options.kinds ?? jobKinds().map((k) => k.kind))];
  if (kinds.length === 0) throw new InputError('no job kinds to take');
  for (const k of kinds) jobHandler(k);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InputError(expected('a positive integer', 'concurrency', concurrency));
  await checkRedisReachable(url);
  if (options.store) await options.store(); // a bad store fails now, not in the first job

  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const mirror = new JobMirror(options.store, log, { backend: 'redis', worker: name });
  // While Redis is away every reconnection fails alike: say so once a minute, not each time.
  const said = new Map<string, number>();
  const logOnce = (line: string): void => {
    const now = Date.now();
    if (now - (said.get(line) ?? -Infinity) < 60_000) return;
    said.set(line, now);
    log(line);
  };
  const stats: WorkerStats = { completed: 0, failed: 0, retried: 0 };
  const active = new Map<string, Active>();
  /** Jobs handed back by release(): whatever their handler does next is not recorded. */
  const released = new Set<string>();
  let stopping = false;

  const process1 = async (job: Job, token?: string, bullSignal?: AbortSignal): Promise<unknown> => {
    const { kind, params } = job.data as JobData;
    const id = String(job.id);
    const attempt = job.attemptsStarted || job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const abort = new AbortController();
    active.set(id, { job, token, abort });
    const signal = bullSignal ? AbortSignal.any([abort.signal, bullSignal]) : abort.signal;
    const t0 = performance.now();
    log(`job ${id} ${kind}: started (attempt ${attempt})`);
    await mirror.update(id, kind, params, { status: 'running', progress: 0, error: null });
    const sendProgress = throttle(100, (p: JobProgressData) => {
      job.updateProgress(p).catch((err: unknown) => log(`job ${id}: progress not sent (${String(err)})`));
    });
    try {
      const result = await runJob(kind, params, {
        id,
        kind,
        attempt,
        progress: (fraction, detail) => {
          const f = Math.min(1, Math.max(0, fraction));
          sendProgress(f === 0, { fraction: f, detail, worker: name });
          mirror.progress(id, kind, params, f);
        },
        store: async () => {
          signal.throwIfAborted();
          if (!options.store) throw new InputError('this job needs a store, and the worker has none');
          return options.store();
        },
        signal,
        log: (line) => log(`job ${id}: ${line}`),
      });
      if (released.has(id)) throw new Error(`job ${id} was handed back`);
      await mirror.update(id, kind, params, { status: 'done', progress: 1, result, error: null });
      stats.completed++;
      log(`job ${id} ${kind}: done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      return result;
    } catch (err) {
      if (released.has(id)) throw err;
      const f = failureOf(err);
      // BullMQ's rule: `attempts` counts failed tries (a start cut short by a dead worker is not one).
      const tries = job.attemptsMade + 1;
      const final = f.input || tries >= maxAttempts;
      if (final) stats.failed++;
      else stats.retried++;
      const what = `try ${tries} of ${maxAttempts} failed${final ? '' : ', will retry'}: ${f.message}`;
      log(`job ${id} ${kind}: ${what}`);
      await mirror.update(id, kind, params, {
        status: final ? 'failed' : 'queued',
        error: final ? f.message : what,
      });
      if (f.input) throw new UnrecoverableError(encodeFailure(f));
      throw err instanceof Error ? err : new Error(f.message);
    } finally {
      active.delete(id);
    }
  };

  const workers = kinds.map((kind) => {
    const w = new Worker(kind, process1, {
      connection: bullConnection(url),
      prefix: settings.prefix,
      concurrency,
      name,
      lockDuration: settings.lockDurationMs,
      stalledInterval: settings.stalledIntervalMs,
      maxStalledCount: settings.maxStalledCount,
      removeOnComplete: { count: 10_000 },
      removeOnFail: { count: 10_000 },
    });
    w.on('error', (err) => {
      if (!stopping) logOnce(`worker ${name} (${kind}): ${err.message}`);
    });
    w.on('stalled', (jobId) =>
      log(`job ${jobId} ${kind}: its worker stopped answering; put back in the queue`),
    );
    return w;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  return {
    name,
    kinds,
    stats: () => ({ ...stats }),
    async close() {
      stopping = true;
      await Promise.all(workers.map((w) => w.close()));
      await mirror.flush();
    },
    async release() {
      stopping = true;
      const handing = [...active];
      // Handlers stop before their next effect (the store and job.signal refuse them) ...
      for (const [id, a] of handing) {
        released.add(id);
        a.abort.abort(new Error(`job ${id} was handed back to the queue`));
      }
      for (const w of workers) void w.pause(true).catch(() => undefined);
      // ... and the jobs go back to the head of the queue for another worker.
      for (const [id, a] of handing) {
        try {
          await a.job.moveToWait(a.token);
          log(`job ${id}: handed back to the queue`);
        } catch (err) {
          log(`job ${id}: could not hand it back (${String(err)}); it returns once its lock lapses`);
        }
        await mirror.update(id, (a.job.data as JobData).kind, (a.job.data as JobData).params, {
          status: 'queued',
          error: `worker ${name} stopped during the job`,
        });
      }
      await Promise.all(workers.map((w) => w.close(true)));
    },
  };
}
