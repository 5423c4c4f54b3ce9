/**
 * Image input: one decoder (sharp) everywhere, so every command sees the same pixel grid.
 * No automatic EXIF rotation: PRNU lives in sensor orientation; the EXIF orientation is recorded.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { InputError } from '../util/errors.js';

/** Formats accepted as input. */
export const SUPPORTED_FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;
export type ImageFormat = (typeof SUPPORTED_FORMATS)[number];

/** Default ceiling on decoded pixels (a decompression-bomb guard): 200 megapixels. */
export const DEFAULT_MAX_PIXELS = 200_000_000;

/** The smallest side camprint can work with (the residual's wavelet filtering needs 8×8). */
export const MIN_SIDE = 8;

export interface ImageInfo {
  file: string;
  format: ImageFormat;
  width: number;
  height: number;
  /** Channels in the file (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA/CMYK). */
  channels: number;
  /** 8 or 16. */
  bitDepth: 8 | 16;
  /** EXIF orientation tag (1–8), 1 when absent. Never applied to the pixels. */
  orientation: number;
}

export interface DecodedImage extends ImageInfo {
  /** Interleaved RGB, 0–255 scale (16-bit input is divided by 257), row-major, length width·height·3. */
  rgb: Float32Array;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

export interface DecodeOptions {
  maxPixels?: number;
  /** Put the pixels in a SharedArrayBuffer (for work split over worker threads). */
  shared?: boolean;
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].replace(/^Input (buffer|file) /, '');
}

async function readBytes(file: string): Promise<Buffer> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new InputError(`${file}: is a directory, not an image`);
    if (st.size === 0) throw new InputError(`${file}: empty file`);
    return await readFile(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such file`);
    if (code === 'EACCES') throw new InputError(`${file}: permission denied`);
    throw new InputError(`${file}: cannot read (${code ?? describe(err)})`);
  }
}

/** Reads the header only: size, format, depth, orientation. Checks the pixel limit. */
export async function probeImage(file: string, bytes?: Buffer, opts: DecodeOptions = {}): Promise<ImageInfo> {
  const buf = bytes ?? (await readBytes(file));
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new InputError(`${file}: not a readable image (${describe(err)})`);
  }
  const format = meta.format as string | undefined;
  if (!format || !(SUPPORTED_FORMATS as readonly string[]).includes(format)) {
    throw new InputError(
      `${file}: unsupported image format ${format ?? 'unknown'} (expected JPEG, PNG, TIFF or WebP)`,
    );
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new InputError(`${file}: image has no pixels`);
  if (width < MIN_SIDE || height < MIN_SIDE)
    throw new InputError(
      `${file}: image ${width}×${height} is too small (${MIN_SIDE}×${MIN_SIDE} pixels at least)`,
    );
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (width * height > maxPixels) {
    throw new InputError(
      `${file}: image too large (${width}×${height} = ${((width * height) / 1e6).toFixed(1)} MP; the limit is ${(maxPixels / 1e6).toFixed(0)} MP)`,
    );
  }
  const depth = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
  return {
    file,
    format: format as ImageFormat,
    width,
    height,
    channels: meta.channels ?? 3,
    bitDepth: depth,
    orientation: meta.orientation ?? 1,
  };
}

/**
 * Decodes an image to interleaved float RGB on the 0–255 scale (grey images are replicated to
 * three channels; alpha is dropped). Errors are InputError naming the file.
 */
export async function decodeImage(file: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const bytes = await readBytes(file);
  const info = await probeImage(file, bytes, opts);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let raw: { data: Buffer; info: OutputInfo };
  // libjpeg reports scan data that ran out, or is damaged, as a warning and makes the missing
  // pixels up: a few kilobytes whose header claims 50 MP decode to grey. Those are refused;
  // other warnings (stray bytes between segments, unknown tags) leave the pixels intact.
  const inventedPixels: string[] = [];
  try {
    let pipe = sharp(bytes, { limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'error' })
      .on('warning', (w: string) => {
        if (/Corrupt JPEG data/i.test(w) && !/extraneous bytes/i.test(w)) inventedPixels.push(w);
      })
      .removeAlpha()
      .toColourspace(info.bitDepth === 16 ? 'rgb16' : 'srgb');
    if (info.channels < 3) pipe = pipe.toColourspace(info.bitDepth === 16 ? 'rgb16' : 'srgb');
    raw = await pipe
      .raw({ depth: info.bitDepth === 16 ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new InputError(`${file}: corrupt or truncated image (${describe(err)})`);
  }
  if (inventedPixels.length > 0)
    throw new InputError(`${file}: corrupt or truncated image (${describe(inventedPixels[0]).trim()})`);
  const { width, height, channels } = raw.info;
  if (width !== info.width || height !== info.height) {
    throw new InputError(
      `${file}: decoded size ${width}×${height} differs from the header's ${info.width}×${info.height}`,
    );
  }
  const n = width * height;
  const rgb = new Float32Array(opts.shared ? new SharedArrayBuffer(n * 12) : new ArrayBuffer(n * 12));
  if (info.bitDepth === 16) {
    const src = new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2);
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      rgb[3 * i] = src[j] / 257;
      rgb[3 * i + 1] = src[j + (channels > 1 ? 1 : 0)] / 257;
      rgb[3 * i + 2] = src[j + (channels > 2 ? 2 : 0)] / 257;
    }
  } else {
    const src = raw.data;
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      rgb[3 * i] = src[j];
      rgb[3 * i + 1] = src[j + (channels > 1 ? 1 : 0)];
      rgb[3 * i + 2] = src[j + (channels > 2 ? 2 : 0)];
    }
  }
  return { ...info, rgb, sha256 };
}

/** SHA-256 of a file's bytes, hex. */
export async function sha256File(file: string): Promise<string> {
  const bytes = await readBytes(file);
  return createHash('sha256').update(bytes).digest('hex');
}
