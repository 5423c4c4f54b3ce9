/**
 * The digest detector: the normalised correlation between the query's residual W and the
 * fingerprint term I·K (as in the full detector, DESIGN §3), taken over the digest's k pixels
 * only. Under H0 (another sensor) z = ρ·√k is close to N(0, 1) whatever k and the image size
 * (the products of independent zero-mean terms average out), so scores of fingerprints with
 * digests of different sizes can be ranked together and tested against one threshold.
 */
import { log10NormalTail } from '../prnu/index.js';
import type { FingerprintDigest } from '../store/index.js';

/**
 * ρ·√k over the digest's pixels, with W and I the query's residual and grey intensity laid out
 * like the fingerprint (row-major, its width). Means are removed over the k samples.
 */
export function digestScore(
  digest: FingerprintDigest,
  residual: Float32Array,
  intensity: Float32Array,
): number {
  const { indices, values } = digest;
  const k = indices.length;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < k; i++) {
    const p = indices[i];
    const a = values[i] * intensity[p];
    const b = residual[p];
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  const cov = sab - (sa * sb) / k;
  const va = saa - (sa * sa) / k;
  const vb = sbb - (sb * sb) / k;
  if (!(va > 0 && vb > 0)) return 0;
  return (cov / Math.sqrt(va * vb)) * Math.sqrt(k);
}

/**
 * The score a candidate must reach to stand out from every other stored fingerprint at the given
 * database-wide false-alarm probability: the normal upper quantile at pFalseAlarm / count
 * (Bonferroni over the fingerprints searched). E.g. 10,000 fingerprints at 1e-3: z ≈ 5.3.
 */
export function standOutScore(count: number, pFalseAlarm: number): number {
  return normalUpperQuantile(pFalseAlarm / Math.max(1, count));
}

/** x with Q(x) = p for the standard normal, by bisection on log10 Q (prnu/stats). */
export function normalUpperQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  const target = Math.log10(p);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (log10NormalTail(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
