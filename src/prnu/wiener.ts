/**
 * Adaptive Wiener shrinkage (Binghamton "WaveNoise", prnu-python `wiener_adaptive`).
 *
 * For each coefficient x, the local signal variance is estimated as the smallest, over square
 * windows of sizes 3, 5, 7, 9 (zero outside the array), of max(0, mean(x²) − σ²); the noise part
 * kept is x·σ² / (σ̂² + σ²). Since max(0, ·) is monotone, min over windows of the thresholded
 * means equals the threshold of the minimum mean, which is what is computed here.
 */

export const DEFAULT_WINDOWS = [3, 5, 7, 9] as const;

/**
 * Returns x·σ²/(σ̂²+σ²) for a (h, w) array. `noiseVar` is σ². Window means come from a float64
 * summed-area table, so each window costs four look-ups regardless of its size; pixels at least
 * the largest radius from every edge take a branch-free path.
 */
export function wienerAdaptive(
  x: Float32Array,
  h: number,
  w: number,
  noiseVar: number,
  windows: readonly number[] = DEFAULT_WINDOWS,
): Float32Array {
  const stride = w + 1;
  // sat[(r+1)·stride + (c+1)] = Σ_{i≤r, j≤c} x[i,j]²
  const sat = new Float64Array((h + 1) * stride);
  for (let r = 0; r < h; r++) {
    let rowSum = 0;
    const src = r * w;
    const dst = (r + 1) * stride;
    const above = r * stride;
    for (let c = 0; c < w; c++) {
      const v = x[src + c];
      rowSum += v * v;
      sat[dst + c + 1] = sat[above + c + 1] + rowSum;
    }
  }
  const out = new Float32Array(h * w);
  const radii = windows.map((s) => (s - 1) >> 1);
  const inv = windows.map((s) => 1 / (s * s));
  const qMax = Math.max(...radii);

  const minMeanClamped = (r: number, c: number): number => {
    let minMean = Infinity;
    for (let k = 0; k < radii.length; k++) {
      const q = radii[k];
      const r0 = r - q < 0 ? 0 : r - q;
      const r1 = r + q + 1 > h ? h : r + q + 1;
      const c0 = c - q < 0 ? 0 : c - q;
      const c1 = c + q + 1 > w ? w : c + q + 1;
      const sum =
        sat[r1 * stride + c1] - sat[r0 * stride + c1] - sat[r1 * stride + c0] + sat[r0 * stride + c0];
      const mean = sum * inv[k];
      if (mean < minMean) minMean = mean;
    }
    return minMean;
  };
  const shrink = (i: number, minMean: number): void => {
    const signalVar = minMean > noiseVar ? minMean - noiseVar : 0;
    out[i] = (x[i] * noiseVar) / (signalVar + noiseVar);
  };

  const defaultWindows = radii.length === 4 && radii.every((q, k) => q === k + 1);
  for (let r = 0; r < h; r++) {
    const interiorRow = defaultWindows && r >= qMax && r + qMax < h;
    if (!interiorRow) {
      for (let c = 0; c < w; c++) shrink(r * w + c, minMeanClamped(r, c));
      continue;
    }
    for (let c = 0; c < qMax && c < w; c++) shrink(r * w + c, minMeanClamped(r, c));
    // Interior: windows 3, 5, 7, 9 without clamping. Row offsets of the SAT corners per radius.
    const t1 = (r - 1) * stride,
      b1 = (r + 2) * stride;
    const t2 = (r - 2) * stride,
      b2 = (r + 3) * stride;
    const t3 = (r - 3) * stride,
      b3 = (r + 4) * stride;
    const t4 = (r - 4) * stride,
      b4 = (r + 5) * stride;
    const end = w - qMax;
    for (let c = qMax; c < end; c++) {
      const m1 = (sat[b1 + c + 2] - sat[t1 + c + 2] - sat[b1 + c - 1] + sat[t1 + c - 1]) * (1 / 9);
      const m2 = (sat[b2 + c + 3] - sat[t2 + c + 3] - sat[b2 + c - 2] + sat[t2 + c - 2]) * (1 / 25);
      const m3 = (sat[b3 + c + 4] - sat[t3 + c + 4] - sat[b3 + c - 3] + sat[t3 + c - 3]) * (1 / 49);
      const m4 = (sat[b4 + c + 5] - sat[t4 + c + 5] - sat[b4 + c - 4] + sat[t4 + c - 4]) * (1 / 81);
      let m = m1 < m2 ? m1 : m2;
      const n = m3 < m4 ? m3 : m4;
      if (n < m) m = n;
      const signalVar = m > noiseVar ? m - noiseVar : 0;
      const i = r * w + c;
      out[i] = (x[i] * noiseVar) / (signalVar + noiseVar);
    }
    for (let c = Math.max(end, qMax); c < w; c++) shrink(r * w + c, minMeanClamped(r, c));
  }
  return out;
}
