/**
 * server/: `camprint serve` — the web workbench's HTTP API (fastify) over the same services as
 * the CLI. One plugin per resource (health, jobs and events, cameras, identify and inspect,
 * folders, data sets, networks and models, cases); zod schemas validate each route and make the
 * OpenAPI document (GET /api/openapi.json); long work runs as queue jobs whose events stream on
 * GET /api/events. docs/api.md is the overview.
 *
 * Security: binds 127.0.0.1 by default; any other address needs CAMPRINT_TOKEN, and then every
 * /api/* call but the health check needs `Authorization: Bearer <token>`; uploads are held to a
 * size and a pixel-count limit; folders are accepted only under the configured roots; errors are
 * one line of JSON, never a stack trace; requests are rate-limited; helmet sets the security
 * headers (a CSP fit for the built app).
 *
 * ```ts
 * const app = await createServer({ dataDir: '/data/camprint' });   // a fastify instance
 * const res = await app.inject({ method: 'GET', url: '/api/health' });
 * await app.close();                                                // queue and store closed
 * ```
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { listModelsChecked } from '../dl/index.js';
import { failOrphanedJobs, openQueue, type Queue } from '../queue/index.js';
import { openStore, type Store } from '../store/index.js';
import { VERSION } from '../version.js';
import { addTokenCheck, checkExposure } from './auth.js';
import { JobBook, type ServerContext } from './context.js';
import { errorHandler, HttpError } from './errors.js';
import { EventHub, eventsRoutes } from './events.js';
import { prepareRoots } from './roots.js';
import { multipartJsonSchema, type MultipartDoc } from './schemas.js';
import { registerWeb, DEFAULT_WEB_DIR } from './web.js';
import { healthRoutes } from './health.js';
import { jobsRoutes } from './jobs.js';
import { camerasRoutes } from './cameras.js';
import { identifyRoutes } from './identify.js';
import { foldersRoutes } from './folders.js';
import { datasetsRoutes } from './datasets.js';
import { modelsRoutes } from './models.js';
import { casesRoutes } from './cases.js';

export type { ServerContext } from './context.js';
export { isLoopback, checkExposure } from './auth.js';
export { HttpError } from './errors.js';

export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  /** Per uploaded file. */
  maxUploadMb: 64,
  /** Per uploaded image, from its header. */
  maxPixels: 100_000_000,
  /** Requests per client (IP) per window. */
  rateLimit: { max: 1000, windowMs: 60_000 },
  pingMs: 15_000,
} as const;

export interface ServerOptions {
  /** The data directory: the SQLite store, uploads/, datasets/, models/, inputs/. */
  dataDir: string;
  /** A PostgreSQL store instead (as openStore takes it; null: SQLite whatever the environment says). */
  databaseUrl?: string | null;
  /** A store to use (not closed with the server); else one is opened (and closed). */
  store?: Store;
  /** A queue to use (not closed with the server); else one is opened as the CLI opens it. */
  queue?: Queue;
  /** The address it will be bound to: any but loopback needs a token (default 127.0.0.1). */
  host?: string;
  /** The API token (default CAMPRINT_TOKEN; empty: none). */
  token?: string;
  /** Folders requests may name (default <dataDir>/inputs, created). */
  roots?: string[];
  /** Largest uploaded file in bytes (default 64 MB). */
  maxUploadBytes?: number;
  /** Most pixels of an uploaded image (default 100 MP). */
  maxPixels?: number;
  /** Requests per client per window (default 1000 a minute); false: no limit. */
  rateLimit?: { max: number; windowMs: number } | false;
  /** The built app (default dist/web beside this file's folder). */
  webDir?: string;
  /** Milliseconds between SSE pings (default 15,000). */
  pingMs?: number;
  /** fastify's logger (default: none). */
  logger?: FastifyServerOptions['logger'];
}

/** The CSP of the built app: its own scripts only; inline styles and data:/blob: images (vega's SVG and PNG). */
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    workerSrc: ["'self'", 'blob:'],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * The server, ready to `listen` or `inject` (see the module comment). Refuses (UsageError) a
 * non-loopback host without a token.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const token = (options.token ?? process.env.CAMPRINT_TOKEN ?? '') || undefined;
  checkExposure(options.host ?? SERVER_DEFAULTS.host, token);
  const dataDir = resolve(options.dataDir);
  const uploadsDir = join(dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const roots = prepareRoots(options.roots?.length ? options.roots : [join(dataDir, 'inputs')]);

  const store = options.store ?? (await openStore({ dataDir, databaseUrl: options.databaseUrl }));
  let queue: Queue;
  try {
    queue = options.queue ?? (await openQueue({ store: async () => store }));
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
  const ctx: ServerContext = {
    store,
    queue,
    dataDir,
    uploadsDir,
    roots,
    maxUploadBytes: options.maxUploadBytes ?? SERVER_DEFAULTS.maxUploadMb * 1048576,
    maxPixels: options.maxPixels ?? SERVER_DEFAULTS.maxPixels,
    jobs: new JobBook(queue),
    events: new EventHub(queue, store),
  };

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1048576,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.decorate('camprint', ctx);
  // What a killed server (or CLI) left queued, running or training reads failed or interrupted
  // from the start, not only once someone asks. Best effort: a store that cannot be read says so
  // on every request.
  try {
    await failOrphanedJobs(store);
    await listModelsChecked(store);
  } catch (err) {
    app.log.error(err, 'could not check for jobs and trainings of killed processes');
  }

  app.addHook('onClose', async () => {
    // This server's unfinished jobs are cancelled (a training keeps its checkpoint), then the
    // queue waits for the running ones to stop.
    for (const job of await ctx.jobs.unfinished()) await queue.cancel(job.id).catch(() => false);
    ctx.events.close();
    if (!options.queue) await queue.close();
    if (!options.store) await store.close();
  });

  try {
    // First, so that every answer has the headers, a 401 or a 429 too.
    await app.register(fastifyHelmet, {
      global: true,
      contentSecurityPolicy: CSP,
      // Plain HTTP on a lab network is allowed (with a token): no HTTPS upgrade, no HSTS.
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
    });
    const rate = options.rateLimit ?? SERVER_DEFAULTS.rateLimit;
    if (rate) {
      await app.register(fastifyRateLimit, {
        global: false,
        max: rate.max,
        timeWindow: rate.windowMs,
        errorResponseBuilder: (_request, context) =>
          new HttpError(
            429,
            `too many requests: at most ${context.max} per ${context.after}; try again later`,
          ),
      });
      // A hook on every request, added before the token check: the plugin's own (global: true)
      // is a route hook, and those run after the instance's, so a wrong token was never counted.
      app.addHook('onRequest', app.rateLimit());
    }
    addTokenCheck(app, token);
    await app.register(fastifyMultipart, {
      limits: { fileSize: ctx.maxUploadBytes, files: 500, fields: 50, fieldSize: 65536, parts: 600 },
    });
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'camprint',
          description:
            'The HTTP API of `camprint serve` (docs/api.md). Errors are {"error": "<one line>"}. With CAMPRINT_TOKEN set, every route but /api/health needs Authorization: Bearer <token>.',
          version: VERSION,
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: (doc) => {
        const out = jsonSchemaTransform(doc) as { schema: Record<string, unknown>; url: string };
        const multipart = (doc.route?.config as { multipart?: MultipartDoc } | undefined)?.multipart;
        if (multipart && out.schema && !out.schema.hide) {
          const json = out.schema.body;
          out.schema = {
            ...out.schema,
            body: {
              content: {
                'multipart/form-data': { schema: multipartJsonSchema(multipart) },
                ...(json ? { 'application/json': { schema: json } } : {}),
              },
            },
          };
        }
        return out as ReturnType<typeof jsonSchemaTransform>;
      },
      transformObject: jsonSchemaTransformObject,
    });

    await app.register(
      async (api) => {
        api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
        await api.register(healthRoutes);
        await api.register(eventsRoutes, { pingMs: options.pingMs ?? SERVER_DEFAULTS.pingMs });
        await api.register(jobsRoutes);
        await api.register(camerasRoutes);
        await api.register(identifyRoutes);
        await api.register(foldersRoutes);
        await api.register(datasetsRoutes);
        await api.register(modelsRoutes);
        await api.register(casesRoutes);
      },
      { prefix: '/api' },
    );
    await registerWeb(app, options.webDir ?? DEFAULT_WEB_DIR);
  } catch (err) {
    await app.close().catch(() => undefined); // the queue and the store with it
    throw err;
  }
  return app;
}

export interface StartedServer {
  app: FastifyInstance;
  /** http://host:port/ as a browser reaches it. */
  url: string;
}

/** Creates the server and listens on host:port (defaults 127.0.0.1:8080; port 0: a free one). */
export async function startServer(options: ServerOptions & { port?: number }): Promise<StartedServer> {
  const host = options.host ?? SERVER_DEFAULTS.host;
  const app = await createServer({ ...options, host });
  try {
    await app.listen({ host, port: options.port ?? SERVER_DEFAULTS.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}/` };
}
