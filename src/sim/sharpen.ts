/**
 * In-camera sharpening: an unsharp mask on luma, Y ← Y + amount·(Y − G_σ ∗ Y), added equally to
 * R, G and B (so chroma is not sharpened, as in most camera pipelines).
 */
import type { RgbPlanes } from './cfa.js';

/** Rec. 601 luma weights. */
const LUMA: [number, number, number] = [0.299, 0.587, 0.114];

/**
 * Normalised 1-D Gaussian kernel, half-width ⌈3σ⌉ (at least 1).
 * @param sigma standard deviation in pixels (> 0)
 */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Separable convolution with a symmetric odd-length kernel, borders replicated.
 * @param src width·height
 * @returns a new width·height plane
 */
export function convolveSeparable(
  src: Float32Array,
  width: number,
  height: number,
  kernel: Float32Array,
): Float32Array {
  const r = (kernel.length - 1) >> 1;
  const k = Array.from(kernel.subarray(r)); // centre, then the weights at distance 1 … r
  const k0 = k[0];
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  // horizontal pass over a row copy padded by edge replication
  const line = new Float32Array(width + 2 * r);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    line.set(src.subarray(row, row + width), r);
    line.fill(src[row], 0, r);
    line.fill(src[row + width - 1], r + width);
    for (let x = 0; x < width; x++) {
      const c = x + r;
      let acc = k0 * line[c];
      for (let t = 1; t <= r; t++) acc += k[t] * (line[c - t] + line[c + t]);
      tmp[row + x] = acc;
    }
  }
  // vertical pass: each output row is a weighted sum of whole input rows
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) out[row + x] = k0 * tmp[row + x];
    for (let t = 1; t <= r; t++) {
      const up = Math.max(0, y - t) * width;
      const down = Math.min(height - 1, y + t) * width;
      const w = k[t];
      for (let x = 0; x < width; x++) out[row + x] += w * (tmp[up + x] + tmp[down + x]);
    }
  }
  return out;
}

/**
 * Unsharp mask on luma, in place.
 * @param planes rendered RGB in [0, 1] (values may leave [0, 1]; the 8-bit step clips)
 * @param sigma blur radius in pixels (standard deviation)
 * @param amount gain on the detail layer (0 = no sharpening)
 */
export function unsharpMask(
  planes: RgbPlanes,
  width: number,
  height: number,
  sigma: number,
  amount: number,
): void {
  if (amount === 0) return;
  const [r, g, b] = planes;
  const [wr, wg, wb] = LUMA;
  const luma = new Float32Array(width * height);
  for (let i = 0; i < luma.length; i++) luma[i] = wr * r[i] + wg * g[i] + wb * b[i];
  const blurred = convolveSeparable(luma, width, height, gaussianKernel(sigma));
  for (let i = 0; i < luma.length; i++) {
    const detail = amount * (luma[i] - blurred[i]);
    r[i] += detail;
    g[i] += detail;
    b[i] += detail;
  }
}
