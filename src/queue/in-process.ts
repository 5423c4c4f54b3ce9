/**
 * The in-process queue (the default): jobs run in this process, `concurrency` at a time (heavy
 * work inside a job still spreads over the worker-thread pool). Failed attempts are retried
 * after a backoff that doubles; bad input fails at once. Jobs are mirrored into the store when
 * one is given, with this process as their worker, and `get`/`list` also show the store's jobs
 * from earlier runs — those a killed process left queued or running marked failed first
 * (orphans.ts).
 */
import { randomUUID } from 'node:crypto';
import type { JobRecord, JsonObject, Store } from '../store/index.js';
import { InputError, expected } from '../util/errors.js';
import { ownerLabel, thisProcess } from '../util/process-owner.js';
import { checkJobParams } from './registry.js';
import { JobMirror } from './mirror.js';
import { failOrphanedJobs } from './orphans.js';
import { failureOf, runJob } from './run.js';
import { QUEUE_DEFAULTS } from './settings.js';
import type { JobEvent, JobInfo, ListOptions, Queue, SubmitOptions, WaitOptions } from './types.js';

export interface InProcessQueueOptions {
  /** Jobs run at once (default 2). */
  concurrency?: number;
  /** The store jobs are mirrored into and handlers get (e.g. fingerprint-build saves there). */
  store?: () => Promise<Store>;
  /** Tries of a failing job (default 3) and the first backoff in ms (default 1000, doubling). */
  attempts?: number;
  backoffMs?: number;
  /** Where warnings and handler log lines go (default stderr). */
  log?: (line: string) => void;
}

interface Entry {
  info: JobInfo;
  maxAttempts: number;
  waiters: ((info: JobInfo) => void)[];
  abort: AbortController;
  timer?: NodeJS.Timeout;
  /** Set by cancel() while the job runs: whatever the handler does, the job ends cancelled. */
  cancelled?: boolean;
}

const FINAL = new Set(['done', 'failed', 'cancelled']);

export class InProcessQueue implements Queue {
  readonly backend = 'in-process' as const;
  private readonly jobs = new Map<string, Entry>();
  private readonly pending: Entry[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly mirror: JobMirror;
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly log: (line: string) => void;
  /** This process as people read it (`host:pid`); the store records it with its start time. */
  private readonly worker = ownerLabel(thisProcess());
  private active = 0;
  private closed = false;
  private recovery?: Promise<void>;

  constructor(private readonly options: InProcessQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new InputError(expected('a positive integer', 'concurrency', options.concurrency));
    this.attempts = options.attempts ?? QUEUE_DEFAULTS.attempts;
    this.backoffMs = options.backoffMs ?? QUEUE_DEFAULTS.backoffMs;
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.mirror = new JobMirror(options.store, this.log, { backend: 'in-process', worker: thisProcess() });
  }

  async submit(kind: string, params: unknown, options: SubmitOptions = {}): Promise<string> {
    if (this.closed) throw new Error('the queue is closed');
    const checked = checkJobParams(kind, params, { cwd: process.cwd() });
    await this.recoverOrphans();
    const id = options.id ?? randomUUID();
    if (this.jobs.has(id) || (this.options.store && (await (await this.options.store()).getJob(id))))
      throw new InputError(`job ${id} already exists`);
    const maxAttempts = options.attempts ?? this.attempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new InputError(expected('a positive integer', 'attempts', maxAttempts));
    const now = new Date().toISOString();
    const entry: Entry = {
      info: {
        id,
        kind,
        status: 'queued',
        progress: 0,
        params: checked,
        attempts: 0,
        createdAt: now,
        updatedAt: now,
      },
      maxAttempts,
      waiters: [],
      abort: new AbortController(),
    };
    this.jobs.set(id, entry);
    await this.mirror.created(id, kind, checked);
    this.pending.push(entry);
    this.pump();
    return id;
  }

  async wait(id: string, options: WaitOptions = {}): Promise<JobInfo> {
    const entry = this.jobs.get(id);
    if (!entry) {
      const stored = await this.get(id);
      if (!stored) throw new InputError(`job ${id}: no such job`);
      if (FINAL.has(stored.status)) return stored;
      throw new InputError(
        `job ${id}: ${stored.status} in another process; only jobs of this process can be waited for`,
      );
    }
    if (FINAL.has(entry.info.status)) return { ...entry.info };
    return new Promise<JobInfo>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (info: JobInfo): void => {
        if (timer) clearTimeout(timer);
        resolve(info);
      };
      entry.waiters.push(done);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          entry.waiters = entry.waiters.filter((w) => w !== done);
          reject(new Error(`job ${id}: still ${entry.info.status} after ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
    });
  }

  async get(id: string): Promise<JobInfo | undefined> {
    const entry = this.jobs.get(id);
    if (entry) return { ...entry.info };
    if (!this.options.store) return undefined;
    await this.recoverOrphans();
    const row = await (await this.options.store()).getJob(id);
    return row && fromRecord(row);
  }

  async list(options: ListOptions = {}): Promise<JobInfo[]> {
    const limit = options.limit ?? 100;
    const byId = new Map<string, JobInfo>();
    if (this.options.store) {
      await this.recoverOrphans();
      const rows = await (
        await this.options.store()
      ).listJobs({ status: options.status, kind: options.kind });
      for (const r of rows) byId.set(r.id, fromRecord(r));
    }
    for (const e of this.jobs.values()) {
      if (options.status && e.info.status !== options.status) continue;
      if (options.kind && e.info.kind !== options.kind) continue;
      byId.set(e.info.id, { ...e.info });
    }
    const all = [...byId.values()].sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
    );
    return limit > 0 ? all.slice(-limit) : [];
  }

  async cancel(id: string): Promise<boolean> {
    const entry = this.jobs.get(id);
    if (!entry) {
      const stored = await this.get(id);
      if (!stored) throw new InputError(`job ${id}: no such job`);
      if (FINAL.has(stored.status)) return false;
      throw new InputError(
        `job ${id}: ${stored.status} in another process; only jobs of this process can be cancelled`,
      );
    }
    if (FINAL.has(entry.info.status) || entry.cancelled) return false;
    if (entry.info.status === 'queued') {
      // Waiting for its turn, or for a retry after a failed attempt: dropped at once.
      const i = this.pending.indexOf(entry);
      if (i >= 0) this.pending.splice(i, 1);
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = undefined;
      this.finish(entry, { status: 'cancelled', error: 'cancelled before it ran' });
      return true;
    }
    // Running: the handler sees its signal aborted and stops at its next check.
    entry.cancelled = true;
    entry.abort.abort(new Error(`job ${id} was cancelled`));
    return true;
  }

  on(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Queued and backing-off jobs are cancelled; running ones finish.
    this.pending.splice(0, this.pending.length);
    for (const e of this.jobs.values()) {
      if (e.info.status !== 'queued') continue;
      if (e.timer) clearTimeout(e.timer);
      this.finish(e, { status: 'cancelled', error: 'the queue was closed before the job ran' });
    }
    while (this.running.size > 0) await Promise.all([...this.running]);
    await this.mirror.flush();
  }

  private pump(): void {
    while (!this.closed && this.active < this.concurrency && this.pending.length > 0) {
      const entry = this.pending.shift()!;
      this.active++;
      const p = this.attempt(entry).finally(() => {
        this.active--;
        this.running.delete(p);
        this.pump();
      });
      this.running.add(p);
    }
  }

  private async attempt(entry: Entry): Promise<void> {
    const { info } = entry;
    const attempt = (info.attempts ?? 0) + 1;
    this.patch(entry, { status: 'running', attempts: attempt, worker: this.worker, progress: 0 });
    this.emit({ type: 'active', id: info.id, kind: info.kind, attempt, worker: this.worker });
    void this.mirror.update(info.id, info.kind, info.params, { status: 'running', progress: 0 });
    try {
      const result = await runJob(info.kind, info.params, {
        id: info.id,
        kind: info.kind,
        attempt,
        progress: (fraction, detail) => {
          const progress = Math.min(1, Math.max(0, fraction));
          this.patch(entry, { progress, detail });
          this.emit({
            type: 'progress',
            id: info.id,
            kind: info.kind,
            progress,
            detail,
            worker: this.worker,
          });
          this.mirror.progress(info.id, info.kind, info.params, progress);
        },
        store: () => this.needStore(),
        signal: entry.abort.signal,
        log: this.log,
      });
      if (entry.cancelled) {
        // The handler stopped early and said how far it got (e.g. training: the last checkpoint).
        this.finish(entry, { status: 'cancelled', result, error: 'cancelled', detail: undefined });
        return;
      }
      this.finish(entry, { status: 'done', result, progress: 1, error: undefined, detail: undefined });
    } catch (err) {
      if (entry.cancelled) {
        this.finish(entry, { status: 'cancelled', error: 'cancelled', detail: undefined });
        return;
      }
      const f = failureOf(err);
      if (f.input || attempt >= entry.maxAttempts || this.closed) {
        this.finish(entry, { status: 'failed', error: f.message, inputError: f.input });
        return;
      }
      const delayMs = this.backoffMs * 2 ** (attempt - 1);
      this.patch(entry, { status: 'queued', error: f.message });
      this.emit({ type: 'retrying', id: info.id, kind: info.kind, error: f.message, delayMs });
      void this.mirror.update(info.id, info.kind, info.params, {
        status: 'queued',
        error: `attempt ${attempt} of ${entry.maxAttempts} failed: ${f.message}`,
      });
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (this.closed) return;
        this.pending.unshift(entry);
        this.pump();
      }, delayMs);
    }
  }

  private finish(entry: Entry, patch: Partial<JobInfo>): void {
    this.patch(entry, patch);
    const { info } = entry;
    if (info.status === 'done')
      this.emit({ type: 'done', id: info.id, kind: info.kind, result: info.result ?? {} });
    else if (info.status === 'cancelled')
      this.emit({
        type: 'cancelled',
        id: info.id,
        kind: info.kind,
        ...(info.result ? { result: info.result } : {}),
      });
    else
      this.emit({
        type: 'failed',
        id: info.id,
        kind: info.kind,
        error: info.error ?? info.status,
        inputError: Boolean(info.inputError),
      });
    void this.mirror.update(info.id, info.kind, info.params, {
      status: info.status,
      progress: info.progress,
      result: info.result ?? null,
      error: info.error ?? null,
    });
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const w of waiters) w({ ...info });
  }

  private patch(entry: Entry, patch: Partial<JobInfo>): void {
    entry.info = { ...entry.info, ...patch, updatedAt: new Date().toISOString() };
  }

  private emit(event: JobEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.log(`job event listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /**
   * Once per queue, before the store's jobs are first read: the jobs of killed processes marked
   * failed (orphans.ts). Best effort: a store that cannot be read says so in the next call.
   */
  private recoverOrphans(): Promise<void> {
    const open = this.options.store;
    if (!open) return Promise.resolve();
    this.recovery ??= open()
      .then(failOrphanedJobs)
      .then(
        (failed) => {
          for (const j of failed) this.log(`job ${j.id} (${j.kind}) failed: ${j.error}`);
        },
        () => undefined,
      );
    return this.recovery;
  }

  private async needStore(): Promise<Store> {
    if (!this.options.store) throw new InputError('this job needs a store, and the queue was given none');
    return this.options.store();
  }
}

/** A store row as a JobInfo (attempts are not kept there). */
export function fromRecord(r: JobRecord): JobInfo {
  const info: JobInfo = {
    id: r.id,
    kind: r.kind,
    status: r.status,
    progress: r.progress,
    params: r.params as JsonObject,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
  if (r.result !== undefined) info.result = r.result;
  if (r.error !== undefined) info.error = r.error;
  if (r.worker !== undefined) info.worker = ownerLabel(r.worker);
  return info;
}
