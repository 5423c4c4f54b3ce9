/**
 * Colour and tone rendering, after demosaicing: white balance and the camera-to-output colour
 * matrix (one 3×3 product), clipping to the sensor's range, then the tone curve (gamma with a
 * toe, and an S-shaped contrast boost) applied through a lookup table.
 */
import type { RgbPlanes } from './cfa.js';

/** A row-major 3×3 matrix. */
export type Matrix3 = [number, number, number, number, number, number, number, number, number];

/** Tone-curve parameters. */
export interface ToneCurve {
  /** Display gamma; the curve is roughly x^(1/gamma). Typical 1.8–2.6. */
  gamma: number;
  /** S-curve strength in [0, 1): 0 leaves the gamma curve alone. */
  contrast: number;
}

/** Size of the tone lookup table (linear input quantised to this many steps over [0, 1]). */
const LUT_SIZE = 16384;
/** Linear offset of the gamma toe: keeps the slope finite at black, as sRGB's linear segment does. */
const TOE = 0.01;

/**
 * The tone curve on one value: `y = ((x + t)^(1/γ) − t^(1/γ)) / ((1 + t)^(1/γ) − t^(1/γ))`
 * followed by `y ← (1 − c)·y + c·y²(3 − 2y)`. Maps [0, 1] onto [0, 1], monotone increasing.
 * @param x linear value in [0, 1]
 */
export function toneValue(x: number, curve: ToneCurve): number {
  const g = 1 / curve.gamma;
  const lo = Math.pow(TOE, g);
  const y = (Math.pow(Math.min(Math.max(x, 0), 1) + TOE, g) - lo) / (Math.pow(1 + TOE, g) - lo);
  return (1 - curve.contrast) * y + curve.contrast * y * y * (3 - 2 * y);
}

/** Inverse of `toneValue` by bisection: the linear value whose rendered value is `y` ∈ [0, 1]. */
export function inverseTone(y: number, curve: ToneCurve): number {
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const mid = 0.5 * (lo + hi);
    if (toneValue(mid, curve) < y) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Tabulates the tone curve: entry i is toneValue(i / (LUT_SIZE − 1)). */
export function toneLut(curve: ToneCurve): Float32Array {
  const lut = new Float32Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) lut[i] = toneValue(i / (LUT_SIZE - 1), curve);
  return lut;
}

/**
 * White balance, colour matrix, clip and tone curve, in place.
 * out = tone(clip(M · diag(gains) · camRGB, 0, 1)) per pixel.
 * @param planes camera RGB, linear, full scale 1 (overwritten with rendered values in [0, 1])
 * @param gains white-balance gains (R, G, B)
 * @param matrix camera-to-output colour matrix, row-major (rows sum to 1 so grey stays grey)
 */
export function renderColour(
  planes: RgbPlanes,
  gains: [number, number, number],
  matrix: Matrix3,
  curve: ToneCurve,
): void {
  const [r, g, b] = planes;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = matrix.map((v, k) => v * gains[k % 3]);
  const lut = toneLut(curve);
  const scale = LUT_SIZE - 1;
  for (let i = 0; i < r.length; i++) {
    const cr = r[i];
    const cg = g[i];
    const cb = b[i];
    // clip to [0, 1] and look up the nearest LUT entry (NaN → 0)
    const vr = m0 * cr + m1 * cg + m2 * cb;
    const vg = m3 * cr + m4 * cg + m5 * cb;
    const vb = m6 * cr + m7 * cg + m8 * cb;
    r[i] = lut[vr > 0 ? (vr < 1 ? (vr * scale + 0.5) | 0 : scale) : 0];
    g[i] = lut[vg > 0 ? (vg < 1 ? (vg * scale + 0.5) | 0 : scale) : 0];
    b[i] = lut[vb > 0 ? (vb < 1 ? (vb * scale + 0.5) | 0 : scale) : 0];
  }
}
