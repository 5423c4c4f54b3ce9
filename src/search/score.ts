/**
 * The digest detector: the normalised correlation between the query's residual W and the
 * fingerprint term I·K (as in the full detector, DESIGN §3), taken over the digest's k pixels
 * only. Under H0 (another sensor) z = ρ·√k is close to N(0, 1) whatever k and the image size
 * (the products of independent zero-mean terms average out), so scores of fingerprints with
 * digests of different sizes can be ranked together and tested against one threshold.
 */
import { normalUpperQuantile } from '../prnu/index.js';

export { normalUpperQuantile };
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

/** ρ·√k from the five sums at m[at…at+4] (Σa, Σb, Σa², Σb², Σab) over k samples (as digestScore). */
export function scoreFromSums(m: Float64Array, at: number, k: number): number {
  const [sa, sb, saa, sbb, sab] = [m[at], m[at + 1], m[at + 2], m[at + 3], m[at + 4]];
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
