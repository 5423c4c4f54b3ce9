/**
 * The per-pixel weighting of a residual before pairwise correlation.
 *
 * A residual is W = I·K + Ξ (Lukáš, Fridrich, Goljan 2006; Chen, Fridrich, Goljan, Lukáš 2008):
 * the PRNU K modulated by the scene intensity I, plus noise Ξ whose variance σ²(x) is far from
 * uniform: textured regions leak scene content into the residual. For two photos of one sensor,
 * E[W_a W_b] = I_a I_b K², and the correlation of weighted residuals Σ (u_a W_a)(u_b W_b)
 * is most sensitive when u = I/σ² (the matched filter in independent heteroscedastic noise).
 * σ²(x) is estimated as the local mean of W² in a (2r+1)² window, plus a floor of `floor` times
 * its image mean so that flat regions do not get unbounded weight. The estimate is noisy and
 * contains the PRNU term itself, and dividing by σ instead of σ² measured better (more same-source
 * correlation per unit of H0 spread, on simulated and on the Dresden Nikon photos), so
 *   u(x) = I(x) / √(σ²(x) + floor·mean σ²)   and   u(x) = 0 where I(x) > `saturation`
 * (clipped pixels carry no PRNU).
 *
 * Weighting by I brings back a pattern the residual's ZeroMeanTotal had removed: a demosaicing
 * trace that is periodic on the 2×2 colour-filter lattice with an amplitude following the
 * intensity stays in W as p·(I − its row/column means), and u·W then holds p·I², whose mean over
 * photos is the same for every unit of a camera model (a non-unique artefact: the full-cluster
 * fingerprints of the four units of one simulated model correlated at z = 5–8 without this step,
 * ±2 with it). So ZeroMeanTotal (zero-mean rows and columns of each lattice) is applied again to
 * u·W. The result is then made zero-mean and unit-norm (ncc.ts).
 */
import { zeroMeanTotal } from '../prnu/index.js';

export interface WeightOptions {
  /** Half-width r of the local-variance window (default 8: 17×17). */
  radius?: number;
  /** Floor on the local variance, as a fraction of its image mean (default 0.05). */
  floor?: number;
  /** Grey level above which pixels count as saturated (default 250, 0–255 scale). */
  saturation?: number;
}

export const WEIGHT_DEFAULTS = { radius: 8, floor: 0.05, saturation: 250 } as const;

/**
 * Local mean of `x` (h, w) over the (2r+1)² window around each pixel, clipped at the borders
 * (a summed-area table: O(h·w) whatever r).
 */
export function boxMean(x: Float32Array, h: number, w: number, r: number): Float32Array {
  const W1 = w + 1;
  const sat = new Float64Array((h + 1) * W1);
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let c = 0; c < w; c++) {
      row += x[y * w + c];
      sat[(y + 1) * W1 + c + 1] = sat[y * W1 + c + 1] + row;
    }
  }
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let c = 0; c < w; c++) {
      const c0 = Math.max(0, c - r);
      const c1 = Math.min(w, c + r + 1);
      const s = sat[y1 * W1 + c1] - sat[y0 * W1 + c1] - sat[y1 * W1 + c0] + sat[y0 * W1 + c0];
      out[y * w + c] = s / ((y1 - y0) * (c1 - c0));
    }
  }
  return out;
}

/**
 * u·W, with ZeroMeanTotal applied, for a residual W and the grey intensity I of the same pixels
 * (both (h, w), I on 0–255).
 * @returns a new array; W and I are not changed
 */
export function weightResidual(
  W: Float32Array,
  I: Float32Array,
  h: number,
  w: number,
  opts: WeightOptions = {},
): Float32Array {
  const r = opts.radius ?? WEIGHT_DEFAULTS.radius;
  const floor = opts.floor ?? WEIGHT_DEFAULTS.floor;
  const saturation = opts.saturation ?? WEIGHT_DEFAULTS.saturation;
  const sq = new Float32Array(h * w);
  for (let i = 0; i < sq.length; i++) sq[i] = W[i] * W[i];
  const local = boxMean(sq, h, w, r);
  let mean = 0;
  for (let i = 0; i < local.length; i++) mean += local[i];
  mean /= local.length || 1;
  const add = floor * mean;
  const out = new Float32Array(h * w);
  for (let i = 0; i < out.length; i++) {
    const d = local[i] + add;
    out[i] = I[i] > saturation || !(d > 0) ? 0 : (W[i] * I[i]) / Math.sqrt(d);
  }
  zeroMeanTotal(out, h, w);
  return out;
}
