/**
 * Queue settings from the environment (each overridable in code): where Redis is, how long a
 * worker's lock on a job lasts, how often workers look for jobs whose worker died, and how
 * failed jobs are retried.
 */
import { InputError, expected } from '../util/errors.js';

export interface QueueSettings {
  /** CAMPRINT_REDIS_URL: redis://[user:password@]host[:port][/db] or rediss://…; absent: in-process. */
  redisUrl?: string;
  /** CAMPRINT_QUEUE_PREFIX: prefix of every Redis key (several set-ups can share one Redis). */
  prefix: string;
  /**
   * CAMPRINT_QUEUE_LOCK_MS: a worker holds a job under a lock it renews every half of this; when
   * the worker dies the lock lapses after this long and the job is handed to another worker.
   */
  lockDurationMs: number;
  /** CAMPRINT_QUEUE_STALLED_MS: how often each worker looks for jobs whose lock has lapsed. */
  stalledIntervalMs: number;
  /** CAMPRINT_QUEUE_MAX_STALLED: a job whose worker died more often than this fails. */
  maxStalledCount: number;
  /** CAMPRINT_JOB_ATTEMPTS: tries of a job that fails (bad input is never retried). */
  attempts: number;
  /** CAMPRINT_JOB_BACKOFF_MS: the wait before the first retry; it doubles for each one after. */
  backoffMs: number;
}

export const QUEUE_DEFAULTS = {
  prefix: 'camprint',
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
  attempts: 3,
  backoffMs: 1_000,
} as const;

type Env = Record<string, string | undefined>;

function intFromEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(expected(`an integer from ${min} to ${max}`, name, text));
  return n;
}

/** The settings from the environment, with `overrides` on top; bad values are InputErrors naming the variable. */
export function queueSettings(overrides: Partial<QueueSettings> = {}, env: Env = process.env): QueueSettings {
  const redisUrl = overrides.redisUrl ?? (env.CAMPRINT_REDIS_URL || undefined);
  if (redisUrl !== undefined) checkRedisUrl(redisUrl);
  const prefix = overrides.prefix ?? (env.CAMPRINT_QUEUE_PREFIX || QUEUE_DEFAULTS.prefix);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix))
    throw new InputError(expected('1–64 letters, digits, _ . or -', 'CAMPRINT_QUEUE_PREFIX', prefix));
  return {
    redisUrl,
    prefix,
    lockDurationMs:
      overrides.lockDurationMs ??
      intFromEnv(env, 'CAMPRINT_QUEUE_LOCK_MS', QUEUE_DEFAULTS.lockDurationMs, 500, 86_400_000),
    stalledIntervalMs:
      overrides.stalledIntervalMs ??
      intFromEnv(env, 'CAMPRINT_QUEUE_STALLED_MS', QUEUE_DEFAULTS.stalledIntervalMs, 100, 86_400_000),
    maxStalledCount:
      overrides.maxStalledCount ??
      intFromEnv(env, 'CAMPRINT_QUEUE_MAX_STALLED', QUEUE_DEFAULTS.maxStalledCount, 1, 1000),
    attempts: overrides.attempts ?? intFromEnv(env, 'CAMPRINT_JOB_ATTEMPTS', QUEUE_DEFAULTS.attempts, 1, 100),
    backoffMs:
      overrides.backoffMs ??
      intFromEnv(env, 'CAMPRINT_JOB_BACKOFF_MS', QUEUE_DEFAULTS.backoffMs, 0, 3_600_000),
  };
}

/** A redis:// or rediss:// URL, or an InputError naming CAMPRINT_REDIS_URL. */
export function checkRedisUrl(url: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname)
    throw new InputError(
      expected('a redis://host:port or rediss://host:port URL', 'CAMPRINT_REDIS_URL', redactUrl(url)),
    );
  return u;
}

/** The URL with its password replaced by "***" (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
