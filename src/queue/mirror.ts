/**
 * Jobs mirrored into the store's jobs table, so that a UI reading the store can list them. The
 * queue (memory, or Redis) is the truth; the mirror is best effort: a failed write is logged and
 * the job goes on. A worker whose store does not know a job yet (another machine submitted it
 * to another store) creates the row. Writes for one job are made in order.
 */
import type { JobBackend, JobPatch, JsonObject, Store } from '../store/index.js';
import { throttle } from './run.js';

/** Who writes through a mirror: the queue the jobs go through, and the process that holds them. */
export interface MirrorHolder {
  backend: JobBackend;
  /**
   * Recorded as the job's worker when it is created and when it starts running: the in-process
   * queue's process (util/process-owner.ts), or a Redis worker's name; absent for a submitter
   * that hands jobs to others.
   */
  worker?: string;
}

export class JobMirror {
  private readonly progressWriters = new Map<string, (force: boolean, p: JobPatch) => void>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: (() => Promise<Store>) | undefined,
    private readonly warn: (line: string) => void,
    private readonly holder: MirrorHolder,
  ) {}

  /** Records a new job as queued. */
  created(id: string, kind: string, params: JsonObject): Promise<void> {
    return this.enqueue(id, async (s) => {
      if (!(await s.getJob(id))) await s.createJob(this.row(id, kind, params));
    });
  }

  /** Changes a job (creating its row first when this store lacks it); a job set running gets the holder as its worker. */
  update(id: string, kind: string, params: JsonObject, patch: JobPatch): Promise<void> {
    if (patch.status && patch.status !== 'running') this.progressWriters.delete(id);
    const change =
      patch.status === 'running' && this.holder.worker !== undefined && patch.worker === undefined
        ? { ...patch, worker: this.holder.worker }
        : patch;
    return this.enqueue(id, async (s) => {
      if (!(await s.getJob(id))) {
        try {
          await s.createJob(this.row(id, kind, params));
        } catch {
          // Created meanwhile by another process sharing this store.
        }
      }
      await s.updateJob(id, change);
    });
  }

  private row(id: string, kind: string, params: JsonObject) {
    return { id, kind, params, backend: this.holder.backend, worker: this.holder.worker };
  }

  /** Progress, written at most twice a second per job. */
  progress(id: string, kind: string, params: JsonObject, fraction: number): void {
    if (!this.store) return;
    let write = this.progressWriters.get(id);
    if (!write) {
      write = throttle(500, (p: JobPatch) => void this.update(id, kind, params, p));
      this.progressWriters.set(id, write);
    }
    write(false, { progress: Math.min(1, Math.max(0, fraction)) });
  }

  /** Waits for every write made so far. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private enqueue(id: string, fn: (s: Store) => Promise<void>): Promise<void> {
    const open = this.store;
    if (!open) return Promise.resolve();
    const next = (this.chains.get(id) ?? Promise.resolve())
      .then(async () => fn(await open()))
      .catch((err: unknown) =>
        this.warn(
          `job ${id}: could not record it in the store (${err instanceof Error ? err.message : String(err)})`,
        ),
      );
    this.chains.set(id, next);
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
    return next;
  }
}
