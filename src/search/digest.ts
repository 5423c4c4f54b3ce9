/**
 * Fingerprint digests (Goljan, Fridrich & Filler, "Managing a large database of camera
 * fingerprints", SPIE 2010): the k fingerprint values of largest magnitude, with their positions.
 * Where |K| is large the sensor's PRNU dominates the estimation noise, so a correlation over those
 * k pixels keeps much of the full correlation's evidence at a tiny fraction of its cost.
 */
import type { FingerprintDigest } from '../store/index.js';

/** Digest size by default: 16,384 values (128 KiB per fingerprint as stored; see README for the trade-off). */
export const DEFAULT_DIGEST_SIZE = 16_384;

/**
 * The k largest-|K| entries of a fingerprint, indices ascending (row-major). k is clamped to the
 * fingerprint's size; ties at the threshold are broken by position so the result is exact.
 */
export function makeDigest(fingerprint: Float32Array, k: number = DEFAULT_DIGEST_SIZE): FingerprintDigest {
  const n = fingerprint.length;
  const size = Math.max(1, Math.min(Math.floor(k), n));
  const magnitude = new Float32Array(n);
  for (let i = 0; i < n; i++) magnitude[i] = Math.abs(fingerprint[i]);
  const threshold = kthLargest(magnitude.slice(), size);
  // Everything above the threshold, then as many equal to it as are needed, in index order.
  let above = 0;
  for (let i = 0; i < n; i++) if (magnitude[i] > threshold) above++;
  let ties = size - above;
  const indices = new Uint32Array(size);
  const values = new Float32Array(size);
  let j = 0;
  for (let i = 0; i < n && j < size; i++) {
    const m = magnitude[i];
    if (m > threshold || (m === threshold && ties-- > 0)) {
      indices[j] = i;
      values[j++] = fingerprint[i];
    }
  }
  return { indices, values };
}

/** The k-th largest value of a (scratch) array, by Hoare's quickselect; expected O(n). */
function kthLargest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // position in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
