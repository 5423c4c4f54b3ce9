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

/**
 * The best digestScore over several orientations of the query (each a residual and intensity
 * laid out like the fingerprint), in one pass over the digest: the indices and values are read
 * once for all orientations.
 */
export function bestDigestScore(
  digest: FingerprintDigest,
  residuals: readonly Float32Array[],
  intensities: readonly Float32Array[],
): number {
  if (residuals.length === 1) return digestScore(digest, residuals[0], intensities[0]);
  if (residuals.length !== 2 && residuals.length !== 4) {
    let best = -Infinity;
    for (let o = 0; o < residuals.length; o++)
      best = Math.max(best, digestScore(digest, residuals[o], intensities[o]));
    return best;
  }
  const { indices, values } = digest;
  const k = indices.length;
  const four = residuals.length === 4;
  const [w0, w1, w2, w3] = four ? residuals : [residuals[0], residuals[1], residuals[0], residuals[1]];
  const [i0, i1, i2, i3] = four
    ? intensities
    : [intensities[0], intensities[1], intensities[0], intensities[1]];
  // Per orientation o: Σa, Σb, Σa², Σb², Σab with a = K·I, b = W at the digest's pixels.
  const m = new Float64Array(20);
  for (let j = 0; j < k; j++) {
    const p = indices[j];
    const v = values[j];
    let a = v * i0[p];
    let b = w0[p];
    m[0] += a;
    m[1] += b;
    m[2] += a * a;
    m[3] += b * b;
    m[4] += a * b;
    a = v * i1[p];
    b = w1[p];
    m[5] += a;
    m[6] += b;
    m[7] += a * a;
    m[8] += b * b;
    m[9] += a * b;
    if (four) {
      a = v * i2[p];
      b = w2[p];
      m[10] += a;
      m[11] += b;
      m[12] += a * a;
      m[13] += b * b;
      m[14] += a * b;
      a = v * i3[p];
      b = w3[p];
      m[15] += a;
      m[16] += b;
      m[17] += a * a;
      m[18] += b * b;
      m[19] += a * b;
    }
  }
  let best = -Infinity;
  for (let o = 0; o < (four ? 4 : 2); o++) best = Math.max(best, scoreFromSums(m, o * 5, k));
  return best;
}

/** ρ·√k from the five sums at m[at…at+4] (Σa, Σb, Σa², Σb², Σab) over k samples. */
function scoreFromSums(m: Float64Array, at: number, k: number): number {
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
