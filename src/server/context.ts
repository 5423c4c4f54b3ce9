/**
 * What every route of the server shares: the store, the queue, the data directory, the folders
 * requests may name, the upload limits, and the jobs this server submitted (for the 409s: a name
 * in use by a job still queued or running).
 */
import type { Queue, JobInfo } from '../queue/index.js';
import type { Store } from '../store/index.js';
import type { EventHub } from './events.js';

export interface ServerContext {
  store: Store;
  queue: Queue;
  /** The data directory: uploads/, datasets/, models/ and the default root inputs/ live there. */
  dataDir: string;
  /** Where uploads are kept, content-addressed: <dataDir>/uploads. */
  uploadsDir: string;
  /** Folders a request may name (real paths, symlinks resolved). */
  roots: string[];
  /** Largest uploaded file, in bytes. */
  maxUploadBytes: number;
  /** Most pixels of an uploaded image (checked from its header, before decoding). */
  maxPixels: number;
  jobs: JobBook;
  events: EventHub;
}

declare module 'fastify' {
  interface FastifyInstance {
    camprint: ServerContext;
  }
}

const FINAL = new Set(['done', 'failed', 'cancelled']);

/** The jobs this server submitted, by kind and the name they work on (camera, data set, model). */
export class JobBook {
  private readonly byKey = new Map<string, string[]>();

  constructor(private readonly queue: Queue) {}

  /** Submits a job working on `name`; resolves to its id. */
  async submit(kind: string, name: string, params: unknown, attempts?: number): Promise<string> {
    const id = await this.queue.submit(kind, params, attempts === undefined ? {} : { attempts });
    const key = `${kind}\u0000${name}`;
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), id]);
    return id;
  }

  /** The job of this kind on `name` that is still queued or running, if any. */
  async active(kind: string, name: string): Promise<JobInfo | undefined> {
    for (const id of [...(this.byKey.get(`${kind}\u0000${name}`) ?? [])].reverse()) {
      const info = await this.queue.get(id);
      if (info && !FINAL.has(info.status)) return info;
    }
    return undefined;
  }

  /** Every job this server submitted that is still queued or running. */
  async unfinished(): Promise<JobInfo[]> {
    const out: JobInfo[] = [];
    for (const ids of this.byKey.values()) {
      for (const id of ids) {
        const info = await this.queue.get(id);
        if (info && !FINAL.has(info.status)) out.push(info);
      }
    }
    return out;
  }
}
