/** Reaching Redis: a quick check with a clear message, and the connection options BullMQ gets. */
import { Redis } from 'ioredis';
import { InputError } from '../util/errors.js';
import { checkRedisUrl, redactUrl } from './settings.js';

/**
 * Connects once and PINGs, giving up after `timeoutMs`; an InputError naming the URL (password
 * hidden) when Redis cannot be reached or refuses us.
 */
export async function checkRedisReachable(url: string, timeoutMs = 5000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
  } catch (err) {
    const why = lastError?.message || (err instanceof Error && err.message) || String(err);
    throw new InputError(
      `CAMPRINT_REDIS_URL=${redactUrl(url)}: cannot reach Redis (${why}); is redis-server running there?`,
    );
  } finally {
    client.disconnect();
  }
}

/** BullMQ's connection options for a URL (BullMQ creates and closes the clients). */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}
