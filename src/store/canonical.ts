/**
 * Canonical JSON: one text for one value, so that hashes over it are reproducible anywhere.
 * Object keys are sorted by code point, no whitespace, numbers as JavaScript prints them.
 * Only plain data is accepted: anything JSON.stringify would silently change (NaN → null,
 * a Date → a string, undefined in an array → null, a Map → {}) is refused instead.
 */
import { createHash } from 'node:crypto';
import { InputError, expected } from '../util/errors.js';

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function write(value: unknown, path: string, out: string[], seen: Set<object>): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InputError(expected('a finite number', path, value));
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new InputError(expected('JSON data', path, value));
  }
  const obj = value as object;
  if (seen.has(obj)) throw new InputError(`Expected JSON data for ${path} but received a circular reference`);
  seen.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    obj.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      write(item, `${path}[${i}]`, out, seen);
    });
    out.push(']');
  } else if (isPlainObject(obj)) {
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec)
      .filter((k) => rec[k] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(k), ':');
      write(rec[k], `${path}.${k}`, out, seen);
    });
    out.push('}');
  } else {
    const kind = (obj.constructor as { name?: string } | undefined)?.name ?? 'object';
    throw new InputError(`Expected plain JSON data for ${path} but received an instance of ${kind}`);
  }
  seen.delete(obj);
}

/** Canonical JSON text of plain data; `name` names the value in error messages. Keys whose value is undefined are left out. */
export function canonicalJson(value: unknown, name = 'value'): string {
  const out: string[] = [];
  write(value, name, out, new Set());
  return out.join('');
}

/** Canonical JSON of a JSON object (refuses arrays and scalars at the top). */
export function canonicalObject(value: unknown, name: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (Array.isArray(value))
      throw new InputError(`Expected a JSON object for ${name} but received an array`);
    throw new InputError(expected('a JSON object', name, value));
  }
  return canonicalJson(value, name);
}

/** SHA-256 as 64 lower-case hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
