import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Temporary sibling name for `path`: same directory, so the final rename is atomic. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
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
    throw err;
  }
}

/** Writes the chunks to `path` atomically as a stream (for data too large to join in memory). */
export async function writeChunksAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const out = createWriteStream(tmp, { flush: true });
  try {
    for (const chunk of chunks) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    renameSync(tmp, path);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}
