/**
 * Worker-thread tasks for the heavy per-image loops (decode → residual / fingerprint sums).
 * Each task returns typed arrays moved (not copied) back to the main thread.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { decodeImage } from '../image/index.js';
import { InputError } from '../util/errors.js';
import {
  initFft,
  extractResidual,
  rgbToGrey,
  FingerprintAccumulator,
  type ResidualOptions,
} from '../prnu/index.js';

export interface ResidualTask {
  kind: 'residual';
  file: string;
  options: ResidualOptions;
  maxPixels?: number;
}

export interface ResidualResult {
  file: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  bitDepth: number;
  residual: Float32Array;
  /** Grey intensity of the image, 0–255 (the I of the detector's I·K). */
  intensity: Float32Array;
}

export interface SumsTask {
  kind: 'sums';
  file: string;
  options: ResidualOptions;
  /** Size every image must have (the first image's), or undefined for the first. */
  expect?: { width: number; height: number };
  /** Side of the centre crop kept for the leave-one-out quality figure. */
  qualityCrop: number;
  maxPixels?: number;
}

export interface SumsResult {
  file: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  bitDepth: number;
  rpSum: Float32Array;
  nn: Float32Array;
  /** Centre crop (side qualityCrop) of this image's grey residual and intensity. */
  cropResidual: Float32Array;
  cropIntensity: Float32Array;
}

export type Task = ResidualTask | SumsTask;

/** Top-left corner of the centred (side × side) crop of an (h, w) image, and its actual size. */
export function centreCrop(
  h: number,
  w: number,
  side: number,
): { y: number; x: number; ch: number; cw: number } {
  const ch = Math.min(side, h) & ~1;
  const cw = Math.min(side, w) & ~1;
  return { y: ((h - ch) >> 1) & ~1, x: ((w - cw) >> 1) & ~1, ch, cw };
}

/** Copies the (ch, cw) window at (y, x) of a (h, w, channels) array. */
export function cropArray(
  a: Float32Array,
  w: number,
  channels: number,
  y: number,
  x: number,
  ch: number,
  cw: number,
): Float32Array {
  const out = new Float32Array(ch * cw * channels);
  for (let r = 0; r < ch; r++) {
    const src = ((y + r) * w + x) * channels;
    out.set(a.subarray(src, src + cw * channels), r * cw * channels);
  }
  return out;
}

/**
 * Wraps a result so that piscina transfers the listed buffers instead of copying them
 * (its documented Transferable protocol: the transferable and valueOf symbols).
 */
function movable<T>(value: T, buffers: ArrayBuffer[]): unknown {
  return move({ [transferableSymbol]: buffers, [valueSymbol]: value } as never);
}

/** Bad input crosses the thread boundary as data (error classes do not survive it). */
export interface InputFailure {
  inputError: string;
}

export default async function run(task: Task): Promise<unknown> {
  try {
    return await runTask(task);
  } catch (err) {
    if (err instanceof InputError) return { inputError: err.message } satisfies InputFailure;
    throw err;
  }
}

async function runTask(task: Task): Promise<unknown> {
  await initFft();
  const img = await decodeImage(task.file, { maxPixels: task.maxPixels });
  const { width, height } = img;
  const meta = {
    file: task.file,
    sha256: img.sha256,
    width,
    height,
    format: img.format,
    orientation: img.orientation,
    bitDepth: img.bitDepth,
  };
  if (task.kind === 'residual') {
    const residual = extractResidual(img.rgb, height, width, task.options);
    const intensity = rgbToGrey(img.rgb);
    const result: ResidualResult = { ...meta, residual, intensity };
    return movable(result, [residual.buffer, intensity.buffer] as ArrayBuffer[]);
  }
  if (task.expect && (task.expect.width !== width || task.expect.height !== height)) {
    return { ...meta, mismatch: true };
  }
  const acc = new FingerprintAccumulator(height, width, task.options);
  acc.add(img.rgb);
  // Quality crop: this image's own residual on the centre crop (grey, zero-mean, Wiener).
  const { y, x, ch, cw } = centreCrop(height, width, task.qualityCrop);
  const cropRgb = cropArray(img.rgb, width, 3, y, x, ch, cw);
  const cropResidual = extractResidual(cropRgb, ch, cw, task.options);
  const cropIntensity = rgbToGrey(cropRgb);
  const result: SumsResult = { ...meta, rpSum: acc.rpSum, nn: acc.nn, cropResidual, cropIntensity };
  return movable(result, [acc.rpSum.buffer, acc.nn.buffer] as ArrayBuffer[]);
}
