/**
 * Uploads: multipart files streamed to disk with their SHA-256 computed on the way, kept
 * content-addressed as `<uploads>/<sha256>.<ext>` (a temporary name renamed into place: the same
 * photo twice is one file, and nothing half-written is ever read). Each file is held to the size
 * limit while it streams (413) and, for images, to the pixel limit from its header before any
 * decoding (413); a file that is not a readable image is 400 naming it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import sharp from 'sharp';
import type { z } from 'zod';
import { HttpError } from './errors.js';

export interface Upload {
  /** The form field it came in. */
  field: string;
  /** The file name the client gave (its last path component, control characters removed). */
  name: string;
  /** Where the server keeps it. */
  path: string;
  sha256: string;
  bytes: number;
  /** As sharp reads the header (jpeg, png, tiff, webp, …); null when it cannot. */
  format: string | null;
  width: number | null;
  height: number | null;
}

export interface UploadLimits {
  dir: string;
  maxBytes: number;
  maxPixels: number;
}

export interface MultipartSpec {
  /** File fields and how many files each takes. */
  files: Record<string, { min: number; max: number }>;
  /** Refuse files that are not readable images (400); else unreadable files are kept as they are. */
  requireImage: boolean;
}

const EXT: Record<string, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };

/** A client's file name as messages show it. */
function cleanName(filename: string | undefined, field: string): string {
  const base = basename(String(filename ?? '').replace(/\\/g, '/'));
  const clean = [...base].filter((ch) => ch.charCodeAt(0) >= 32 && ch.charCodeAt(0) !== 127).join('');
  return clean.slice(0, 200) || `(${field})`;
}

/** The extension kept on disk: the format's, else the client's when plain, else bin. */
function extensionFor(format: string | null, name: string): string {
  if (format && EXT[format]) return EXT[format];
  const ext = extname(name).slice(1).toLowerCase();
  return /^[a-z0-9]{1,5}$/.test(ext) ? ext : 'bin';
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 1048576 ? 2 : 0)} MB`;
}

/**
 * Reads a multipart request: the files of the spec's fields saved (see the module comment), the
 * other fields as strings. Registers each upload's name for error messages (errors.ts).
 */
export async function receiveMultipart(
  request: FastifyRequest,
  limits: UploadLimits,
  spec: MultipartSpec,
): Promise<{ files: Upload[]; fields: Record<string, string> }> {
  if (!request.isMultipart())
    throw new HttpError(400, 'expected a multipart/form-data upload (Content-Type: multipart/form-data)');
  mkdirSync(limits.dir, { recursive: true });
  const files: Upload[] = [];
  const fields: Record<string, string> = {};
  request.uploadNames ??= new Map();
  for await (const part of request.parts({ limits: { fileSize: limits.maxBytes } })) {
    if (part.type === 'field') {
      if (Object.hasOwn(fields, part.fieldname))
        throw new HttpError(400, `field ${part.fieldname} given twice`);
      fields[part.fieldname] = String(part.value);
      continue;
    }
    const want = Object.hasOwn(spec.files, part.fieldname) ? spec.files[part.fieldname] : undefined;
    const name = cleanName(part.filename, part.fieldname);
    if (!want) {
      part.file.resume();
      throw new HttpError(
        400,
        `unexpected file field ${part.fieldname} (${name}); this route takes ${Object.keys(spec.files).join(', ')}`,
      );
    }
    if (files.filter((f) => f.field === part.fieldname).length >= want.max)
      throw new HttpError(400, `at most ${want.max} file(s) in field ${part.fieldname}`);
    files.push(await saveFile(part.file, part.fieldname, name, limits, spec.requireImage, request));
  }
  for (const [field, want] of Object.entries(spec.files)) {
    const n = files.filter((f) => f.field === field).length;
    if (n < want.min)
      throw new HttpError(400, `expected at least ${want.min} file(s) in field ${field}, got ${n}`);
  }
  return { files, fields };
}

async function saveFile(
  stream: NodeJS.ReadableStream & { truncated?: boolean },
  field: string,
  name: string,
  limits: UploadLimits,
  requireImage: boolean,
  request: FastifyRequest,
): Promise<Upload> {
  const tmp = join(limits.dir, `.incoming-${randomUUID()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(stream, count, createWriteStream(tmp));
    if (stream.truncated)
      throw new HttpError(413, `${name}: file too large (the limit is ${mb(limits.maxBytes)} per file)`);
    if (bytes === 0) throw new HttpError(400, `${name}: empty file`);
    let format: string | null = null;
    let width: number | null = null;
    let height: number | null = null;
    try {
      const meta = await sharp(tmp, { limitInputPixels: false }).metadata();
      format = meta.format ?? null;
      width = meta.width ?? null;
      height = meta.height ?? null;
    } catch (err) {
      if (requireImage) {
        const why = (err instanceof Error ? err.message : String(err))
          .split('\n')[0]
          .replace(/^Input file /, '');
        throw new HttpError(400, `${name}: not a readable image (${why})`);
      }
    }
    if (requireImage && (format === null || !EXT[format]))
      throw new HttpError(
        400,
        `${name}: unsupported image format ${format ?? 'unknown'} (expected JPEG, PNG, TIFF or WebP)`,
      );
    if (width !== null && height !== null && width * height > limits.maxPixels)
      throw new HttpError(
        413,
        `${name}: image too large (${width}×${height} = ${((width * height) / 1e6).toFixed(1)} MP; this server's limit is ${(limits.maxPixels / 1e6).toFixed(0)} MP)`,
      );
    const sha256 = hash.digest('hex');
    const path = join(limits.dir, `${sha256}.${extensionFor(format, name)}`);
    if (existsSync(path)) rmSync(tmp, { force: true });
    else renameSync(tmp, path);
    request.uploadNames?.set(path, name);
    return { field, name, path, sha256, bytes, format, width, height };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The fields checked against a zod schema: 400 naming the field and the problem. */
export function parseFields<S extends z.ZodType>(schema: S, fields: Record<string, string>): z.output<S> {
  const r = schema.safeParse(fields);
  if (r.success) return r.data;
  throw new HttpError(
    400,
    r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'fields'}: ${i.message}`).join('; '),
  );
}
