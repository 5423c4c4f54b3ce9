import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from './errors.js';

/** Temporary sibling name for `path`: same directory, so the final rename is atomic. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** File-system refusals the user can fix: a full disk, a quota, a file-size limit. */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** A write refused for lack of space, as an InputError naming the file (exit 2); others as they are. */
function storageError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !STORAGE_CODES.has(code)) return err;
  return new InputError(`${path}: cannot write it, no space left (${code}); nothing was written`);
}

/** Writes `data` to `path` atomically: a temporary file, fsync'd, then renamed over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data, { flush: true });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw storageError(err, path);
  }
}

/** Writes the chunks to `path` atomically as a stream (for data too large to join in memory). */
export async function writeChunksAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    // pipeline ends both streams, or destroys them and rejects when a write fails (a full disk).
    await pipeline(Readable.from(chunks), createWriteStream(tmp, { flush: true }));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw storageError(err, path);
  }
}
