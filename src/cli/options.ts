/** Option parsing at the edge: zod schemas, one error style ("Expected … for --x but received …"). */
import { z } from 'zod';
import { UsageError } from '../util/errors.js';

function parse<T>(schema: z.ZodType<T>, name: string, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`Expected ${what} for ${name} but received ${JSON.stringify(value)}`);
  return r.data;
}

export function positiveInt(name: string, value: unknown): number {
  return parse(z.coerce.number().int().positive(), name, value, 'a positive integer');
}

export function nonNegativeInt(name: string, value: unknown): number {
  return parse(z.coerce.number().int().nonnegative(), name, value, 'a non-negative integer');
}

export function positiveNumber(name: string, value: unknown): number {
  return parse(z.coerce.number().positive().finite(), name, value, 'a positive number');
}

export function nonNegativeNumber(name: string, value: unknown): number {
  return parse(z.coerce.number().nonnegative().finite(), name, value, 'a non-negative number');
}

export function intInRange(name: string, value: unknown, min: number, max: number): number {
  return parse(z.coerce.number().int().min(min).max(max), name, value, `an integer from ${min} to ${max}`);
}

/** "WxH" → [width, height]. */
export function size(name: string, value: unknown): [number, number] {
  const m = /^(\d+)x(\d+)$/i.exec(String(value));
  if (!m || Number(m[1]) < 16 || Number(m[2]) < 16)
    throw new UsageError(
      `Expected WIDTHxHEIGHT (each ≥ 16) for ${name} but received ${JSON.stringify(value)}`,
    );
  return [Number(m[1]), Number(m[2])];
}

export function cameraName(name: string, value: unknown): string {
  return parse(
    z
      .string()
      .min(1)
      .max(200)
      .refine((s) => !/[/\\]/.test(s) && ![...s].some((ch) => ch.charCodeAt(0) < 32)),
    name,
    value,
    'a camera name (1–200 characters, no slashes or control characters)',
  );
}
