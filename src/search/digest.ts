/**
 * Fingerprint digests (Goljan, Fridrich & Filler, "Managing a large database of camera
 * fingerprints", SPIE 2010): the k fingerprint values of largest magnitude, with their positions.
 * Where |K| is large the sensor's PRNU dominates the estimation noise, so a correlation over those
 * k pixels keeps much of the full correlation's evidence at a tiny fraction of its cost.
 */
import type { FingerprintDigest } from '../store/index.js';

/** The smallest digest by default: 16,384 values (128 KiB per fingerprint as stored). */
export const DEFAULT_DIGEST_SIZE = 16_384;

/** By default a digest keeps one fingerprint value in this many (512×512: 16,384; 6 MP: 376,000). */
export const DIGEST_PIXELS_PER_VALUE = 16;

/**
 * The digest size for a fingerprint of `pixels` values: a fixed fraction of them, at least
 * DEFAULT_DIGEST_SIZE. Why a fraction: a probe that holds the fingerprint at a given PCE has
 * correlation ρ ≈ √(PCE / N) per pixel, and the digest's score is z ≈ ρ·√(k·g) (g the energy
 * gain of the k largest values, which depends only on k / N), so z ≈ √(PCE · g · k / N): with
 * k a fixed share of N, a PCE-200 probe scores the same z at 6 MP as at 512×512 (5–9; with a
 * fixed k = 16,384 it fell to ≈ 2.3 at 6 MP, under the best of 10,000 unrelated ones).
 */
export function defaultDigestSize(pixels: number): number {
  return Math.min(pixels, Math.max(DEFAULT_DIGEST_SIZE, Math.ceil(pixels / DIGEST_PIXELS_PER_VALUE)));
}

/**
 * The k largest-|K| entries of a fingerprint, indices ascending (row-major). k is clamped to the
 * fingerprint's size; ties at the threshold are broken by position so the result is exact.
 */
export function makeDigest(
  fingerprint: Float32Array,
  k: number = defaultDigestSize(fingerprint.length),
): FingerprintDigest {
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
