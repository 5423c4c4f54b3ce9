/**
 * The lens, between scene and sensor: a small optical blur (the point-spread function of lens and
 * anti-aliasing filter, here a separable 3-tap kernel) and vignetting (radial fall-off of
 * illumination towards the corners).
 */
import type { RgbPlanes } from './cfa.js';

/** Lens parameters of a camera model. */
export interface LensParams {
  /** Side weight w of the separable blur kernel [w, 1 − 2w, w], in [0, 0.25]. */
  blur: number;
  /** Vignetting v(r) = 1 − a·r² − b·r⁴, r = distance from the centre / distance to a corner. */
  vignetting: [number, number];
}

/**
 * Relative illumination at a pixel: 1 at the centre, 1 − a − b in the corners.
 * @param x, y pixel coordinates (centres at integer positions)
 */
export function vignettingAt(
  x: number,
  y: number,
  width: number,
  height: number,
  v: [number, number],
): number {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const r2 = ((x - cx) ** 2 + (y - cy) ** 2) / (cx * cx + cy * cy);
  return 1 - v[0] * r2 - v[1] * r2 * r2;
}

/**
 * Applies the lens to the scene in place: blur each plane with [w, 1 − 2w, w] along rows and
 * columns (borders clamped), then multiply by the vignetting.
 * @param planes linear radiance R, G, B, each width·height
 */
export function applyLens(planes: RgbPlanes, width: number, height: number, lens: LensParams): void {
  const w = lens.blur;
  const c = 1 - 2 * w;
  // r² = dx² + dy²: tabulate the column terms once
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const norm = 1 / (cx * cx + cy * cy);
  const dx2 = new Float32Array(width);
  for (let x = 0; x < width; x++) dx2[x] = (x - cx) ** 2 * norm;
  const [a, b] = lens.vignetting;
  for (const p of planes) {
    if (w > 0) {
      // horizontal pass in place, carrying the unblurred left neighbour
      for (let y = 0; y < height; y++) {
        const row = y * width;
        const last = row + width - 1;
        let left = p[row];
        let mid = p[row];
        for (let i = row; i < last; i++) {
          const right = p[i + 1];
          p[i] = w * (left + right) + c * mid;
          left = mid;
          mid = right;
        }
        p[last] = w * (left + mid) + c * mid;
      }
      // vertical pass: `prev` and `cur` hold the unblurred rows y − 1 and y
      let prev = p.slice(0, width);
      let cur = new Float32Array(width);
      for (let y = 0; y < height; y++) {
        const row = y * width;
        const next = y + 1 < height ? row + width : row;
        cur.set(p.subarray(row, row + width));
        for (let x = 0; x < width; x++) p[row + x] = w * (prev[x] + p[next + x]) + c * cur[x];
        const t = prev;
        prev = cur;
        cur = t;
      }
    }
  }
  const [pr, pg, pb] = planes;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const dy2 = (y - cy) ** 2 * norm;
    for (let x = 0; x < width; x++) {
      const r2 = dx2[x] + dy2;
      const v = 1 - a * r2 - b * r2 * r2;
      pr[row + x] *= v;
      pg[row + x] *= v;
      pb[row + x] *= v;
    }
  }
}
