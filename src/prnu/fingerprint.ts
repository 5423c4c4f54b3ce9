/**
 * Maximum-likelihood PRNU fingerprint estimate (Chen, Fridrich, Goljan, Lukáš 2008; Binghamton
 * "getFingerprint"; DESIGN.md §3.2):
 *   K = Σ_i W_i·I_i / (Σ_i I_i² + 1)        per colour channel,
 * where I_i is the intensity-scaled image with saturated pixels set to 0 (they carry no PRNU), then
 * K → grey → ZeroMeanTotal → Wiener in the DFT domain. Images are added one at a time (streamed):
 * memory is two (h, w, 3) sums whatever the number of images; accumulators from several workers
 * merge by addition.
 */
import { forEachChannelResidual, finishResidual, type ResidualOptions } from './residual.js';
import { GREY_WEIGHTS } from './grey.js';

/** IntenScale (Binghamton): I/T below T = 252, a narrow Gaussian roll-off above (v = 6). */
export function intensityScale(v: number): number {
  const T = 252;
  return v < T ? v / T : Math.exp(-((v - T) * (v - T)) / 6);
}

/**
 * Saturation mask for one channel plane (Binghamton "Saturation"): 0 where the pixel equals the
 * channel's maximum (when that maximum exceeds 250) and at least one 4-neighbour (circularly)
 * has the same value — a clipped plateau; 1 elsewhere.
 */
export function saturationMask(plane: Float32Array, h: number, w: number): Uint8Array {
  const mask = new Uint8Array(h * w).fill(1);
  let max = -Infinity;
  for (let i = 0; i < plane.length; i++) if (plane[i] > max) max = plane[i];
  if (max <= 250) return mask;
  for (let r = 0; r < h; r++) {
    const up = ((r + h - 1) % h) * w;
    const down = ((r + 1) % h) * w;
    const row = r * w;
    for (let c = 0; c < w; c++) {
      const v = plane[row + c];
      if (v !== max) continue;
      const left = plane[row + ((c + w - 1) % w)];
      const right = plane[row + ((c + 1) % w)];
      if (left === v || right === v || plane[up + c] === v || plane[down + c] === v) mask[row + c] = 0;
    }
  }
  return mask;
}

/** Running sums Σ W·I and Σ I² over the images added so far. */
export class FingerprintAccumulator {
  readonly rpSum: Float32Array;
  readonly nn: Float32Array;
  count = 0;
  constructor(
    readonly height: number,
    readonly width: number,
    readonly opts: ResidualOptions = {},
  ) {
    this.rpSum = new Float32Array(height * width * 3);
    this.nn = new Float32Array(height * width * 3);
  }

  /** Adds one image (interleaved RGB, 0–255, same size as the accumulator). */
  add(rgb: Float32Array): void {
    const { height: h, width: w } = this;
    const n = h * w;
    if (rgb.length !== 3 * n) throw new RangeError(`image has ${rgb.length / 3} pixels, fingerprint ${n}`);
    forEachChannelResidual(rgb, h, w, this.opts, (c, wc, plane) => {
      const sat = saturationMask(plane, h, w);
      const rp = this.rpSum;
      const nn = this.nn;
      for (let i = 0; i < n; i++) {
        const v = plane[i];
        const inten = sat[i] === 0 ? 0 : v < 252 ? v / 252 : intensityScale(v);
        rp[3 * i + c] += wc[i] * inten;
        nn[3 * i + c] += inten * inten;
      }
    });
    this.count++;
  }

  /** Adds another accumulator's sums (from another worker). */
  merge(other: { rpSum: Float32Array; nn: Float32Array; count: number }): void {
    for (let i = 0; i < this.rpSum.length; i++) {
      this.rpSum[i] += other.rpSum[i];
      this.nn[i] += other.nn[i];
    }
    this.count += other.count;
  }

  /** The fingerprint K (h, w): ratio, grey, ZeroMeanTotal, DFT Wiener. */
  finish(): Float32Array {
    return fingerprintFromSums(this.rpSum, this.nn, this.height, this.width);
  }
}

/** K from the sums: K_c = RPsum_c/(NN_c + 1), then grey, ZeroMeanTotal and DFT-domain Wiener. */
export function fingerprintFromSums(
  rpSum: Float32Array,
  nn: Float32Array,
  h: number,
  w: number,
): Float32Array {
  const n = h * w;
  const grey = new Float32Array(n);
  const [wr, wg, wb] = GREY_WEIGHTS;
  for (let i = 0; i < n; i++) {
    grey[i] =
      (wr * rpSum[3 * i]) / (nn[3 * i] + 1) +
      (wg * rpSum[3 * i + 1]) / (nn[3 * i + 1] + 1) +
      (wb * rpSum[3 * i + 2]) / (nn[3 * i + 2] + 1);
  }
  return finishResidual(grey, h, w, 0);
}
