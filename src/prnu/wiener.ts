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
 * Returns x·σ²/(σ̂²+σ²) for a (h, w) array. `noiseVar` is σ². Window means use a float64
 * summed-area table, so each window costs four look-ups regardless of its size.
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
  const radii = windows.map((s) => (s - 1) >> 1);
  const areas = windows.map((s) => 1 / (s * s));
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let minMean = Infinity;
      for (let k = 0; k < radii.length; k++) {
        const q = radii[k];
        const r0 = r - q < 0 ? 0 : r - q;
        const r1 = r + q + 1 > h ? h : r + q + 1;
        const c0 = c - q < 0 ? 0 : c - q;
        const c1 = c + q + 1 > w ? w : c + q + 1;
        const sum = sat[r1 * stride + c1] - sat[r0 * stride + c1] - sat[r1 * stride + c0] + sat[r0 * stride + c0];
        const mean = sum * areas[k];
        if (mean < minMean) minMean = mean;
      }
      const signalVar = minMean > noiseVar ? minMean - noiseVar : 0;
      out[r * w + c] = (x[r * w + c] * noiseVar) / (signalVar + noiseVar);
    }
  }
  return out;
}
