/**
 * Per-channel mean and standard deviation of the train split, accumulated photo by photo in
 * float64 with the pairwise merge of Chan, Golub and LeVeque (1979):
 *   n = na + nb,  δ = mean_b − mean_a,  mean = mean_a + δ·nb/n,  M2 = M2a + M2b + δ²·na·nb/n.
 * The state is plain numbers (kept in an incomplete manifest so a resumed build continues it).
 */
import type { Moments } from './manifest.js';

export function emptyMoments(channels: number): Moments {
  return { n: 0, mean: new Array<number>(channels).fill(0), m2: new Array<number>(channels).fill(0) };
}

/** Adds a block of nb values per channel with the given means and sums of squared deviations. */
export function mergeMoments(
  a: Moments,
  nb: number,
  meanB: readonly number[],
  m2B: readonly number[],
): Moments {
  if (nb === 0) return a;
  const n = a.n + nb;
  const mean = a.mean.map((ma, c) => ma + ((meanB[c] - ma) * nb) / n);
  const m2 = a.m2.map((m2a, c) => {
    const d = meanB[c] - a.mean[c];
    return m2a + m2B[c] + (d * d * a.n * nb) / n;
  });
  return { n, mean, m2 };
}

/** The normalisation a network applies first, (x − mean) / std; a channel with no spread gets std 1. */
export function normalisationOf(m: Moments): { mean: number[]; std: number[] } {
  return {
    mean: m.mean.slice(),
    std: m.m2.map((v) => {
      const s = m.n > 0 ? Math.sqrt(v / m.n) : 0;
      return s > 0 ? s : 1;
    }),
  };
}
