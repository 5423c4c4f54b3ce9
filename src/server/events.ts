/**
 * GET /api/events: server-sent events. `job` carries each queue JobEvent (active, progress,
 * retrying, stalled, done, failed, cancelled); `model` carries each epoch point of a training
 * (`{"name", "jobId", "point"}`), as it goes into the model's curves; `ping` comes every 15 s
 * (proxies and the app see the stream alive). Works with the bearer header (the app reads the
 * stream with fetch); each client's listeners go when it disconnects or the server closes.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import { onTrainingEpoch, type JobEvent, type Queue, type TrainingEpoch } from '../queue/index.js';
import type { Store } from '../store/index.js';

export type HubEvent = { event: 'job'; data: JobEvent } | { event: 'model'; data: TrainingEpoch };

/**
 * One listener on the queue and on training epochs, fanned out to the clients. With a Redis
 * queue the training runs in a worker process: its points are read from the store's model record
 * as the job reports progress, each sent once.
 */
export class EventHub {
  private readonly clients = new Set<(e: HubEvent) => void>();
  private readonly stops: (() => void)[] = [];
  /** Last epoch sent per training job (points from the store are sent once). */
  private readonly sent = new Map<string, number>();

  constructor(queue: Queue, store: Store) {
    this.stops.push(
      queue.on((e) => {
        this.emit({ event: 'job', data: e });
        if (queue.backend === 'redis' && e.kind === 'train') void this.pointsFromStore(queue, store, e.id);
        if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') this.sent.delete(e.id);
      }),
      onTrainingEpoch((e) => {
        this.sent.set(e.jobId, e.point.epoch);
        this.emit({ event: 'model', data: e });
      }),
    );
  }

  subscribe(client: (e: HubEvent) => void): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.clients.clear();
  }

  private emit(e: HubEvent): void {
    for (const c of this.clients) c(e);
  }

  private async pointsFromStore(queue: Queue, store: Store, jobId: string): Promise<void> {
    try {
      const job = await queue.get(jobId);
      const name = typeof job?.params.name === 'string' ? job.params.name : undefined;
      if (!name) return;
      const model = await store.getModel(name);
      for (const raw of model?.curves ?? []) {
        const point = raw as unknown as TrainingEpoch['point'];
        if (typeof point.epoch !== 'number' || point.epoch <= (this.sent.get(jobId) ?? 0)) continue;
        this.sent.set(jobId, point.epoch);
        this.emit({ event: 'model', data: { name, jobId, point } });
      }
    } catch {
      // best effort: the model's record stays the truth (GET /api/models/:name)
    }
  }
}

/** One SSE frame. */
function frame(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface EventsOptions {
  /** Milliseconds between pings (15,000). */
  pingMs: number;
}

export const eventsRoutes: FastifyPluginAsync<EventsOptions> = async (app, opts) => {
  const open = new Set<ServerResponse>();
  // Streams never end on their own: the server's close ends them (else close would wait forever).
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });

  app.get(
    '/events',
    {
      schema: {
        summary: 'server-sent events: job, model, ping',
        description:
          'text/event-stream. `event: job` → a queue JobEvent {type, id, kind, …}; `event: model` → {name, jobId, point} (one epoch point of a training); `event: ping` → {time} every 15 s.',
        tags: ['jobs'],
      },
    },
    async (request, reply) => {
      const headers: Record<string, string | number | string[]> = {};
      for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let id = 0;
      const send = (event: string, data: unknown): void => {
        if (!res.writableEnded) res.write(frame(++id, event, data));
      };
      res.write('retry: 3000\n\n');
      send('ping', { time: new Date().toISOString() });
      open.add(res);
      const stop = app.camprint.events.subscribe((e) => send(e.event, e.data));
      const timer = setInterval(() => send('ping', { time: new Date().toISOString() }), opts.pingMs);
      timer.unref();
      const cleanup = (): void => {
        clearInterval(timer);
        stop();
        open.delete(res);
      };
      request.raw.on('close', cleanup);
      res.on('close', cleanup);
    },
  );
};
