/** Running one attempt of a job: the parameters checked again, the handler called, its error classified. */
import type { JsonObject } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { checkJobParams, jobHandler, type JobContext } from './registry.js';

/**
 * Runs the kind's handler. The parameters are checked again here (a worker may run another
 * build than the submitter's); the result is made plain JSON (non-finite numbers become null).
 */
export async function runJob(kind: string, params: unknown, job: JobContext): Promise<JsonObject> {
  const handler = jobHandler(kind);
  const checked = checkJobParams(kind, params);
  const result = await handler.run(checked, job);
  const plain = JSON.parse(JSON.stringify(result ?? {})) as unknown;
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain))
    throw new TypeError(`job kind ${kind}: the handler must return a JSON object`);
  return plain as JsonObject;
}

/** Why an attempt failed: the message, and whether it was bad input (never retried). */
export interface Failure {
  message: string;
  input: boolean;
}

/** Messages of input failures carry this prefix where only a string travels (Redis). */
export const INPUT_ERROR_PREFIX = 'InputError: ';

export function failureOf(err: unknown): Failure {
  if (err instanceof InputError) return { message: err.message, input: true };
  if (err instanceof Error) return { message: err.message || err.name, input: false };
  return { message: String(err), input: false };
}

/** A failure as one string (InputError ones prefixed), and back. */
export function encodeFailure(f: Failure): string {
  return f.input ? INPUT_ERROR_PREFIX + f.message : f.message;
}
export function decodeFailure(text: string): Failure {
  return text.startsWith(INPUT_ERROR_PREFIX)
    ? { message: text.slice(INPUT_ERROR_PREFIX.length), input: true }
    : { message: text, input: false };
}

/** The error a caller gets for a job that failed for good: InputError (exit 2) for bad input. */
export function jobFailedError(info: {
  id: string;
  kind: string;
  error?: string;
  inputError?: boolean;
  attempts?: number;
}): Error {
  const why = info.error ?? 'no reason recorded';
  if (info.inputError) return new InputError(`job ${info.id} (${info.kind}): ${why}`);
  const tries = info.attempts ? ` after ${info.attempts} attempt${info.attempts === 1 ? '' : 's'}` : '';
  return new Error(`job ${info.id} (${info.kind}) failed${tries}: ${why}`);
}

/** Calls `fn` at most once per `ms` (the last call in a burst is dropped unless `force`). */
export function throttle<A extends unknown[]>(
  ms: number,
  fn: (...args: A) => void,
): (force: boolean, ...args: A) => void {
  let last = -Infinity;
  return (force, ...args) => {
    const now = performance.now();
    if (!force && now - last < ms) return;
    last = now;
    fn(...args);
  };
}
