/**
 * The workbench page: the built single-page app (dist/web, `npm run build`) at `/`, with every
 * other GET outside /api answered by its index.html (the app routes in the browser). Without a
 * build, `/` says how to make one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REPO_ROOT } from '../util/paths.js';
import { VERSION } from '../version.js';
import { notFound } from './errors.js';

/** The built app: dist/web in the package (the folder holding package.json). */
export const DEFAULT_WEB_DIR = join(REPO_ROOT, 'dist', 'web');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>camprint</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>camprint ${VERSION}</h1>
<p>The web workbench is not built. Run <code>npm run build</code> in the camprint folder, then start
<code>camprint serve</code> again. The JSON API works meanwhile: <a href="/api/health">/api/health</a>,
<code>/api/openapi.json</code>.</p>
</body></html>
`;

function isApi(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0];
  return path === '/api' || path.startsWith('/api/');
}

/** Registers the page and the not-found handler (API paths: 404 JSON). */
export async function registerWeb(app: FastifyInstance, webDir: string): Promise<void> {
  const built = existsSync(join(webDir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: webDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      cacheControl: false,
      setHeaders(res, path) {
        // Vite's assets carry their hash in their name: cached for good; the page is always checked.
        res.setHeader(
          'cache-control',
          /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(NOT_BUILT),
    );
  }
  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    if (isApi(request) || (request.method !== 'GET' && request.method !== 'HEAD'))
      throw notFound(`no route ${request.method} ${request.url.split('?')[0]}`);
    if (!built) return reply.code(404).type('text/html; charset=utf-8').send(NOT_BUILT);
    // A missing file (an asset of another build) is a 404; any other path is a page of the app.
    if (/\.[A-Za-z0-9]{1,8}$/.test(request.url.split('?')[0]))
      throw notFound(`no file ${request.url.split('?')[0]}`);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
