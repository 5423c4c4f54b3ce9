/**
 * The job kinds this build can run. A kind is a name, a zod schema for its JSON parameters and
 * an async handler that returns a small JSON result. Any folder can add kinds:
 *
 * ```ts
 * // src/search/jobs.ts
 * import { z } from 'zod';
 * import { registerJobHandler, absolutePath } from '../queue/registry.js';
 * registerJobHandler('search-shard', {
 *   description: 'rank one shard of the fingerprint database against a query residual',
 *   params: z.object({ query: absolutePath, shard: z.number().int().nonnegative() }).strict(),
 *   prepare: (p, { cwd }) => resolvePaths(p, ['query'], cwd),
 *   run: async (params, job) => { job.progress(0.5); return { candidates: [] }; },
 * });
 * ```
 * then add `import '../search/jobs.js';` to src/queue/kinds/index.ts, so that every process
 * (the submitter and each `camprint worker`) knows the kind. Import registerJobHandler from this
 * file, not from queue/index.ts (that one imports the kinds: a cycle).
 *
 * Rules for handlers: parameters and results are small JSON (paths, names, numbers; no pixels);
 * paths are absolute, on a file system every worker sees; a handler may run more than once for
 * one job (a retry, a worker killed mid-job) so its effects must be idempotent and atomic (write
 * a temporary file and rename it; replace a store record rather than append) and come after a
 * `job.signal.throwIfAborted()` (a worker handing its jobs back aborts them; `job.store()` then
 * refuses too); bad input throws InputError (failed at once, not retried); anything else is
 * retried with backoff.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { JsonObject, Store } from '../store/index.js';
import { InputError } from '../util/errors.js';

/** What a handler gets besides its parameters. */
export interface JobContext {
  id: string;
  kind: string;
  /** 1 on the first run; more after a retry or a recovery from a dead worker. */
  attempt: number;
  /** Reports the fraction done (0–1) and what is in hand; cheap to call often (throttled). */
  progress(fraction: number, detail?: string): void;
  /** The store this process is configured with (--data-dir, or a shared database), opened on demand. */
  store(): Promise<Store>;
  /** Aborted when the job should stop (the worker is shutting down hard). */
  signal: AbortSignal;
  /** One line for the worker's log (stderr). */
  log(line: string): void;
}

export interface JobHandler<S extends z.ZodType = z.ZodType> {
  /** One line for `camprint jobs kinds`. */
  description: string;
  /** The parameters: checked when the job is submitted, and again by the worker that runs it. */
  params: S;
  /**
   * Rewrites the raw parameters in the submitting process before they are checked (e.g. makes
   * relative paths absolute against the submitter's folder, since workers run elsewhere).
   */
  prepare?(params: unknown, from: { cwd: string }): unknown;
  run(params: z.output<S>, job: JobContext): Promise<JsonObject>;
}

/** A registered kind, for listings. */
export interface JobKindInfo {
  kind: string;
  description: string;
}

const handlers = new Map<string, JobHandler>();
const KIND_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Adds a job kind. Kind names are lower-case letters, digits and '-'; each is registered once. */
export function registerJobHandler<S extends z.ZodType>(kind: string, handler: JobHandler<S>): void {
  if (!KIND_NAME.test(kind))
    throw new TypeError(`Expected a job kind name ([a-z][a-z0-9-]*) but received ${JSON.stringify(kind)}`);
  if (handlers.has(kind)) throw new TypeError(`job kind ${kind} is registered twice`);
  handlers.set(kind, handler as unknown as JobHandler);
}

/** The registered kinds, sorted by name. */
export function jobKinds(): JobKindInfo[] {
  return [...handlers.entries()]
    .map(([kind, h]) => ({ kind, description: h.description }))
    .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/** The handler of a kind; an InputError naming the known kinds when there is none. */
export function jobHandler(kind: string): JobHandler {
  const h = typeof kind === 'string' ? handlers.get(kind) : undefined;
  if (!h) {
    const known = jobKinds()
      .map((k) => k.kind)
      .join(', ');
    throw new InputError(
      `job kind ${JSON.stringify(kind)} is unknown (known kinds: ${known || 'none registered'})`,
    );
  }
  return h;
}

/**
 * Checks a job's parameters against its kind's schema; returns them as the handler will get
 * them (defaults filled in). `cwd` (the submitter's folder) runs the kind's `prepare` first.
 */
export function checkJobParams(kind: string, params: unknown, from?: { cwd: string }): JsonObject {
  const h = jobHandler(kind);
  const raw = from && h.prepare ? h.prepare(params, from) : params;
  const r = h.params.safeParse(raw);
  if (!r.success) throw new InputError(`job ${kind}: ${describeIssues(r.error)}`);
  if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data))
    throw new TypeError(`job kind ${kind}: its params schema must produce an object`);
  return r.data as JsonObject;
}

/** "params.images[2]: Invalid input: expected string, received number; …" */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `params${where}: ${i.message}`;
    })
    .join('; ');
}

/** A zod schema for an absolute path (workers resolve nothing against their own folder). */
export const absolutePath = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p), {
    message: 'expected an absolute path (workers run in other folders, maybe on other machines)',
  });

/**
 * For `prepare`: a copy of the object with the string (or string-array) fields named in `keys`
 * resolved against `cwd`; anything else is left for the schema to judge.
 */
export function resolvePaths(params: unknown, keys: readonly string[], cwd: string): unknown {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return params;
  const out: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v.length > 0) out[k] = resolve(cwd, v);
    else if (Array.isArray(v))
      out[k] = v.map((x) => (typeof x === 'string' && x.length > 0 ? resolve(cwd, x) : x));
  }
  return out;
}
