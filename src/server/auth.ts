/**
 * The API token (CAMPRINT_TOKEN): when set, every /api/* request but GET /api/health needs
 * `Authorization: Bearer <token>`, compared in constant time. A server bound to anything but a
 * loopback address refuses to start without one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UsageError } from '../util/errors.js';
import { HttpError } from './errors.js';

/** True for 127.0.0.0/8, ::1, their IPv4-mapped forms, and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Refuses (UsageError, one line) a non-loopback host without a token. */
export function checkExposure(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token)
    throw new UsageError(
      `--host ${host} is not a loopback address: set CAMPRINT_TOKEN (a long random string) so that the API needs it, or bind 127.0.0.1`,
    );
}

/** Equal strings, in a time that does not depend on where they differ (SHA-256 of each, compared). */
export function sameToken(given: string, token: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The routes that need no token: the health check (the page and static files are not under /api). */
function isPublic(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0];
  return !(path === '/api' || path.startsWith('/api/')) || path === '/api/health';
}

/** Adds the token check to every request (a no-op without a token). */
export function addTokenCheck(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  app.addHook('onRequest', async (request) => {
    if (isPublic(request)) return;
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!m)
      throw new HttpError(401, 'this server needs a token: send Authorization: Bearer <CAMPRINT_TOKEN>');
    if (!sameToken(m[1], token)) throw new HttpError(401, 'wrong token');
  });
}
