/**
 * Jobs mirrored into the store's jobs table, so that a UI reading the store can list them. The
 * queue (memory, or Redis) is the truth; the mirror is best effort: a failed write is logged and
 * the job goes on. A worker whose store does not know a job yet (another machine submitted it
 * to another store) creates the row. Writes for one job are made in order.
 */
import type { JobPatch, JsonObject, Store } from '../store/index.js';
import { throttle } from './run.js';

export class JobMirror {
  private readonly progressWriters = new Map<string, (force: boolean, p: JobPatch) => void>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: (() => Promise<Store>) | undefined,
    private readonly warn: (line: string) => void,
  ) {}

  /** Records a new job as queued. */
  created(id: string, kind: string, params: JsonObject): Promise<void> {
    return this.enqueue(id, async (s) => {
      if (!(await s.getJob(id))) await s.createJob({ id, kind, params });
    });
  }

  /** Changes a job (creating its row first when this store lacks it). */
  update(id: string, kind: string, params: JsonObject, patch: JobPatch): Promise<void> {
    if (patch.status && patch.status !== 'running') this.progressWriters.delete(id);
    return this.enqueue(id, async (s) => {
      if (!(await s.getJob(id))) {
        try {
          await s.createJob({ id, kind, params });
        } catch {
          // Created meanwhile by another process sharing this store.
        }
      }
      await s.updateJob(id, patch);
    });
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
