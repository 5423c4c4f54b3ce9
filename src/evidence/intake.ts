/**
 * Input files at intake: read once, hashed (SHA-256 of the bytes, the file's identity in the
 * store and the audit log), and decoded with sharp (the one decoder) where pixels are needed.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeImage, type DecodeOptions } from '../image/index.js';
import type { ImageInput } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { outlierScores, type OutlierOptions } from './defects.js';

/** Largest file read whole for header analysis (the pixel limit guards decoding separately). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** The file's bytes and their SHA-256; InputError naming the file when it cannot be read. */
export async function readEvidenceFile(file: string): Promise<{ bytes: Buffer; sha256: string }> {
  let bytes: Buffer;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new InputError(`${file}: is a directory, not an image`);
    if (st.size === 0) throw new InputError(`${file}: empty file`);
    if (st.size > MAX_FILE_BYTES)
      throw new InputError(`${file}: file too large (${st.size} bytes; the limit is ${MAX_FILE_BYTES})`);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such file`);
    if (code === 'EACCES') throw new InputError(`${file}: permission denied`);
    throw new InputError(`${file}: cannot read (${code ?? String(err)})`);
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A decoded frame's outlier scores, and the image as the store records it. */
export interface ScoredFrame {
  file: string;
  width: number;
  height: number;
  z: Float32Array;
  image: ImageInput;
}

/** Decodes an image (sharp) and computes its outlier scores (defects.ts, step 1). */
export async function scoreFrame(
  file: string,
  options: OutlierOptions & Pick<DecodeOptions, 'maxPixels'> = {},
): Promise<ScoredFrame> {
  const img = await decodeImage(file, { maxPixels: options.maxPixels });
  const z = outlierScores(img.rgb, img.width, img.height, 3, options);
  return {
    file,
    width: img.width,
    height: img.height,
    z,
    image: {
      sha256: img.sha256,
      path: resolve(file),
      width: img.width,
      height: img.height,
      format: img.format,
      orientation: img.orientation,
    },
  };
}
