/**
 * What the network sees of a photo, and where its crops are cut (docs/dl-format.md). Typed arrays
 * in, typed arrays out; no I/O. The data set builder (in the worker pool) and `classify` both
 * use these, so a photo is turned into crops the same way for training and for prediction.
 */
import {
  channel,
  extractResidual,
  noiseExtractPlane,
  RESIDUAL_DEFAULTS,
  type ResidualOptions,
} from '../../prnu/index.js';
import { hashSeed, Rng } from '../../sim/prng.js';
import { float32ToHalfs, halfsToFloat32 } from '../../util/npy.js';

/** The network inputs a data set can hold. */
export const INPUT_KINDS = ['residual', 'residual-rgb', 'rgb'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** Channels of an input: 1 for the grey residual, 3 otherwise. */
export function channelsOf(input: InputKind): number {
  return input === 'residual' ? 1 : 3;
}

/** A crop's top-left corner, [y, x]; both even. */
export type Offset = [y: number, x: number];

/**
 * A photo's network input, channel-first.
 *   - `residual`: the grey PRNU residual W of `camprint residual` (prnu-python extract_single:
 *     noise_extract per channel, rgb2gray, ZeroMeanTotal, DFT-domain Wiener), 1 channel;
 *   - `residual-rgb`: noise_extract of each colour channel before grey conversion, 3 channels
 *     (keeps the demosaicing traces);
 *   - `rgb`: the pixels, 0–255, 3 channels.
 * For `residual`, `initFft()` must have been awaited on this thread.
 * @param rgb interleaved RGB (h, w, 3), 0–255 scale, as decodeImage gives it
 * @param opts wavelet levels and σ of the residuals (defaults 4 and 5)
 * @returns data (channels, h, w) float32, and the channel count
 */
export function inputOf(
  rgb: Float32Array,
  h: number,
  w: number,
  input: InputKind,
  opts: ResidualOptions = {},
): { data: Float32Array; channels: number } {
  const levels = opts.levels ?? RESIDUAL_DEFAULTS.levels;
  const sigma = opts.sigma ?? RESIDUAL_DEFAULTS.sigma;
  const n = h * w;
  switch (input) {
    case 'residual':
      return { data: extractResidual(rgb, h, w, { ...opts, levels, sigma }), channels: 1 };
    case 'residual-rgb': {
      const data = new Float32Array(3 * n);
      for (let c = 0; c < 3; c++) data.set(noiseExtractPlane(channel(rgb, c), h, w, levels, sigma), c * n);
      return { data, channels: 3 };
    }
    case 'rgb': {
      const data = new Float32Array(3 * n);
      for (let c = 0, j = 0; c < 3; c++) for (let i = c; i < rgb.length; i += 3) data[j++] = rgb[i];
      return { data, channels: 3 };
    }
  }
}

/** The seed of one photo's random crops: from the data set's seed and the photo's SHA-256 only. */
export function photoSeed(seed: number, sha256: string): number {
  return hashSeed(seed, 'crops', sha256);
}

/**
 * `count` crop corners drawn at random (seeded) among the even offsets of an (h, w) image, so
 * each crop keeps the 2×2 colour-filter phase and the 8×8 JPEG grid phase varies. Corners are
 * distinct while the image has enough of them. Empty when the image is smaller than the crop.
 */
export function cropOffsets(h: number, w: number, crop: number, count: number, seed: number): Offset[] {
  if (h < crop || w < crop || count < 1) return [];
  const ny = ((h - crop) >> 1) + 1;
  const nx = ((w - crop) >> 1) + 1;
  const distinct = ny * nx >= count;
  const rng = new Rng(seed);
  const seen = new Set<number>();
  const out: Offset[] = [];
  while (out.length < count) {
    const iy = rng.int(ny);
    const ix = rng.int(nx);
    const key = iy * nx + ix;
    if (distinct && seen.has(key)) continue;
    seen.add(key);
    out.push([2 * iy, 2 * ix]);
  }
  return out;
}

/**
 * Evenly spread even positions 0…max (max even) for `n` crops along one axis. The i-th position
 * is moved to the nearest value ≡ 2·i (mod 8), so the grid's crops take the four even JPEG-grid
 * phases in turn, as the random training crops do, rather than all sitting on multiples of 8.
 */
function spread(max: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const base = n === 1 ? max / 2 : (i * max) / (n - 1);
    const phase = (2 * i) % 8;
    const below = base - ((((base - phase) % 8) + 8) % 8);
    const candidates = [below, below + 8].filter((v) => v >= 0 && v <= max);
    const v =
      candidates.length > 0
        ? candidates.reduce((a, b) => (Math.abs(b - base) < Math.abs(a - base) ? b : a))
        : Math.min(max, 2 * Math.round(base / 2));
    out.push(Math.round(v));
  }
  return out;
}

/**
 * About `count` crop corners on a regular grid over an (h, w) image, for test-time averaging:
 * rows × columns with cells close to square (e.g. 4 × 4 for 16 on 4:3), even offsets spread
 * from edge to edge, with the
 * JPEG-grid phase varying along each axis (see `spread`). Exactly `count` corners when the image
 * has room for that many distinct even positions, fewer otherwise; empty when it is smaller than
 * the crop.
 */
export function gridOffsets(h: number, w: number, crop: number, count: number): Offset[] {
  if (h < crop || w < crop || count < 1) return [];
  const maxY = (h - crop) & ~1;
  const maxX = (w - crop) & ~1;
  const ny = maxY / 2 + 1;
  const nx = maxX / 2 + 1;
  // rows × cols: cells close to square, and as few grid points beyond `count` as may be.
  let rows = 1;
  let cols = Math.min(nx, count);
  let best = Infinity;
  for (let r = 1; r <= Math.min(count, ny); r++) {
    const c = Math.min(nx, Math.ceil(count / r));
    const score = Math.abs(Math.log(h / r / (w / c))) + (4 * Math.abs(r * c - count)) / count;
    if (score < best - 1e-12) [best, rows, cols] = [score, r, c];
  }
  const ys = spread(maxY, rows);
  const xs = spread(maxX, cols);
  const all: Offset[] = [];
  for (const y of ys) for (const x of xs) all.push([y, x]);
  if (all.length <= count) return all;
  // More grid points than wanted: keep `count` of them evenly through the row-major order.
  return Array.from({ length: count }, (_, k) => all[Math.floor((k * all.length) / count)]);
}

/**
 * Cuts crops out of a channel-first (channels, h, w) input.
 * @returns (offsets.length, channels, crop, crop) float32, channel-first
 */
export function cutCrops(
  data: Float32Array,
  channels: number,
  h: number,
  w: number,
  crop: number,
  offsets: readonly Offset[],
): Float32Array {
  const out = new Float32Array(offsets.length * channels * crop * crop);
  offsets.forEach(([y, x], i) => {
    if (y < 0 || x < 0 || y + crop > h || x + crop > w)
      throw new RangeError(`crop ${crop}×${crop} at (${y}, ${x}) is outside the ${w}×${h} image`);
    for (let c = 0; c < channels; c++) {
      for (let r = 0; r < crop; r++) {
        const src = c * h * w + (y + r) * w + x;
        out.set(data.subarray(src, src + crop), ((i * channels + c) * crop + r) * crop);
      }
    }
  });
  return out;
}

/** Crops as stored (half floats) and their per-channel moments, for the running normalisation. */
export interface StoredCrops {
  /** (count, channels, crop, crop) IEEE binary16 bits. */
  x: Uint16Array;
  /** Values per channel (count · crop²). */
  n: number;
  /** Per channel: mean and sum of squared deviations of the stored (half-rounded) values, float64. */
  mean: number[];
  m2: number[];
}

/**
 * Cuts the crops, rounds them to float16 as a data set stores them, and measures each channel's
 * mean and sum of squared deviations on the rounded values (two passes, float64).
 */
export function storedCrops(
  data: Float32Array,
  channels: number,
  h: number,
  w: number,
  crop: number,
  offsets: readonly Offset[],
): StoredCrops {
  const x = float32ToHalfs(cutCrops(data, channels, h, w, crop, offsets));
  const values = halfsToFloat32(x);
  const plane = crop * crop;
  const n = offsets.length * plane;
  const mean: number[] = [];
  const m2: number[] = [];
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = 0; i < offsets.length; i++) {
      const o = (i * channels + c) * plane;
      for (let k = o; k < o + plane; k++) sum += values[k];
    }
    const mu = n > 0 ? sum / n : 0;
    let ss = 0;
    for (let i = 0; i < offsets.length; i++) {
      const o = (i * channels + c) * plane;
      for (let k = o; k < o + plane; k++) ss += (values[k] - mu) * (values[k] - mu);
    }
    mean.push(mu);
    m2.push(ss);
  }
  return { x, n, mean, m2 };
}
