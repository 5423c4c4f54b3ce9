/**
 * The decision threshold of blind clustering, from a false-alarm rate.
 *
 * Two zero-mean, unit-norm residuals x, y of N pixels from different sensors (H0) have a normalised
 * correlation ρ = ⟨x, y⟩ whose scaled value z = ρ·√N is close to N(0, σ0²) (central limit theorem
 * over the pixels; Goljan, Fridrich, Filler 2009 for the same statistic against a fingerprint).
 * σ0 = 1 when the residual pixels are independent; the residual's residual spatial correlation
 * and scene leakage make it a little larger on real and simulated photos (1.1–1.3 measured), so
 * σ0 is estimated from the data (`nullScale`) and never taken below 1. The same holds for the
 * correlation of two cluster fingerprints (sums of unit-norm residuals of disjoint photo sets).
 *
 * A decision "same source" when z/σ0 > τ, over M tests, has a family-wise false-alarm
 * probability at most M·Q(τ) (Bonferroni); τ = Q⁻¹(P_FA / M) makes it P_FA. M is the number of
 * photo pairs compared, n(n − 1)/2 for n mutually comparable photos.
 */
import { normalUpperQuantile } from '../prnu/index.js';

/** The z above which one test in `tests` is declared a match at family-wise false alarm `pfa`. */
export function zThreshold(pfa: number, tests: number): number {
  if (!(pfa > 0 && pfa < 1)) throw new RangeError(`false-alarm rate must be in (0, 1), got ${pfa}`);
  return normalUpperQuantile(pfa / Math.max(1, tests));
}

/**
 * σ0, the standard deviation of z = ρ·√N between photos of different sensors, estimated from the
 * negative off-diagonal entries of the correlation matrices: under H0 z is symmetric about 0, so
 * E[z² | z < 0] = σ0², while same-source pairs are shifted to the positive side and barely reach
 * the negative half. Floors at 1 (independent pixels); 1 when there are too few pairs (< 50).
 * @param matrices each an n×n row-major NCC matrix with the pixel count N its entries were
 *   computed over
 * @returns σ0 and the number of negative pairs it came from
 */
export function nullScale(matrices: readonly { S: Float32Array; n: number; N: number }[]): {
  sigma0: number;
  pairs: number;
} {
  let sum = 0;
  let count = 0;
  for (const { S, n, N } of matrices) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const z = S[i * n + j] * Math.sqrt(N);
        if (z < 0) {
          sum += z * z;
          count++;
        }
      }
    }
  }
  if (count < 50) return { sigma0: 1, pairs: count };
  return { sigma0: Math.max(1, Math.sqrt(sum / count)), pairs: count };
}
