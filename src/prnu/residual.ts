/**
 * The noise residual W = I − F(I) of Lukáš, Fridrich and Goljan (2006), as the Binghamton
 * toolbox and prnu-python compute it (DESIGN.md §3.1):
 *   1. per colour channel, a 4-level db4 wavelet decomposition; each detail sub-band is shrunk by
 *      the adaptive Wiener filter (σ = 5) to its noise part; the approximation is zeroed; the
 *      inverse transform of what is left is the channel's residual (noise_extract);
 *   2. to grey with the rgb2gray weights;
 *   3. ZeroMeanTotal (each 2×2 CFA sub-lattice zero-mean by rows and columns);
 *   4. Wiener filtering in the DFT domain with σ = std(W).
 */
import { dwt2, idwt2, maxLevel } from './wavelet.js';
import { wienerAdaptive } from './wiener.js';
import { zeroMeanTotal } from './zeroMean.js';
import { GREY_WEIGHTS, channel } from './grey.js';
import { std, wienerDft } from './wienerDft.js';

export interface ResidualOptions {
  /** Wavelet decomposition levels (default 4). */
  levels?: number;
  /** Standard deviation of the noise the wavelet-domain Wiener filter keeps, on the 0–255 scale (default 5). */
  sigma?: number;
  /** σ of the DFT-domain Wiener filter; 0 or absent: the residual's own sample std (prnu-python default). */
  wienerSigma?: number;
}

export const RESIDUAL_DEFAULTS = { levels: 4, sigma: 5, wienerSigma: 0 } as const;

/**
 * noise_extract for one channel plane (h, w), values on the 0–255 scale: the wavelet-domain
 * noise estimate. Levels are reduced when the image is too small for them.
 */
export function noiseExtractPlane(
  plane: Float32Array,
  h: number,
  w: number,
  levels = 4,
  sigma = 5,
): Float32Array {
  const depth = Math.max(1, Math.min(levels, maxLevel(Math.min(h, w))));
  if (Math.min(h, w) < 8)
    throw new RangeError(`image ${w}×${h} is too small for wavelet filtering (8×8 at least)`);
  const noiseVar = sigma * sigma;
  type Level = { h: number; w: number; details: [Float32Array, Float32Array, Float32Array] };
  const stack: Level[] = [];
  let cur = plane;
  let ch = h;
  let cw = w;
  for (let l = 0; l < depth; l++) {
    const sb = dwt2(cur, ch, cw);
    const details = sb.details.map((d) => wienerAdaptive(d, sb.h, sb.w, noiseVar)) as Level['details'];
    stack.push({ h: sb.h, w: sb.w, details });
    cur = sb.ll;
    ch = sb.h;
    cw = sb.w;
  }
  // Approximation zeroed: start the synthesis from null at the coarsest level.
  let rec: Float32Array | null = null;
  let rh = ch;
  let rw = cw;
  for (let l = depth - 1; l >= 0; l--) {
    const lev = stack[l];
    rec = idwt2(rec, rh, rw, lev.details, lev.h, lev.w);
    rh = 2 * lev.h - 6;
    rw = 2 * lev.w - 6;
  }
  if (rh === h && rw === w) return rec!;
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) out.set(rec!.subarray(r * rw, r * rw + w), r * w);
  return out;
}

/**
 * noise_extract on interleaved RGB (n·3, 0–255): calls `each(c, Wc, Ic)` with each channel's
 * residual plane and pixel plane in turn, so callers can combine channels without holding all three.
 */
export function forEachChannelResidual(
  rgb: Float32Array,
  h: number,
  w: number,
  opts: ResidualOptions,
  each: (ch: number, residual: Float32Array, plane: Float32Array) => void,
): void {
  for (let c = 0; c < 3; c++) {
    const plane = channel(rgb, c);
    each(c, noiseExtractPlane(plane, h, w, opts.levels ?? 4, opts.sigma ?? 5), plane);
  }
}

/**
 * The full residual (prnu-python `extract_single`): grey, zero-mean, DFT-Wiener filtered.
 * @param rgb interleaved RGB, (h, w, 3), 0–255 scale
 * @returns W, (h, w) float32
 */
export function extractResidual(
  rgb: Float32Array,
  h: number,
  w: number,
  opts: ResidualOptions = {},
): Float32Array {
  const grey = new Float32Array(h * w);
  forEachChannelResidual(rgb, h, w, opts, (c, wc) => {
    const k = GREY_WEIGHTS[c];
    for (let i = 0; i < grey.length; i++) grey[i] += k * wc[i];
  });
  return finishResidual(grey, h, w, opts.wienerSigma ?? 0);
}

/** Steps 3–4 on a grey residual or fingerprint: ZeroMeanTotal then DFT-domain Wiener (in place, returns result). */
export function finishResidual(grey: Float32Array, h: number, w: number, wienerSigma = 0): Float32Array {
  zeroMeanTotal(grey, h, w);
  const s = wienerSigma > 0 ? wienerSigma : std(grey);
  return wienerDft(grey, h, w, s);
}
