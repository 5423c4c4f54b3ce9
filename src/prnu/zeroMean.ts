/**
 * Zero-mean normalisation (Binghamton "ZeroMean(·,'both')" and "ZeroMeanTotal").
 * Removes row and column means, which carry linear patterns shared by cameras of one model
 * (demosaicing and readout artefacts), not the unit's PRNU.
 */

/**
 * In place, on the sub-lattice of `x` (h, w) that starts at (r0, c0) with step 2 in both
 * directions: subtract the sub-lattice mean, then its row means, then its column means.
 */
function zeroMeanLattice(x: Float32Array, h: number, w: number, r0: number, c0: number): void {
  const rows = Math.ceil((h - r0) / 2);
  const cols = Math.ceil((w - c0) / 2);
  if (rows <= 0 || cols <= 0) return;
  // (x − mean) − rowmean(x − mean) = x − rowmean(x): the global mean cancels, so only row and
  // column means are needed.
  const colSum = new Float64Array(cols);
  for (let r = r0; r < h; r += 2) {
    let rowSum = 0;
    for (let c = c0; c < w; c += 2) rowSum += x[r * w + c];
    const rowMean = rowSum / cols;
    for (let c = c0, j = 0; c < w; c += 2, j++) {
      const v = x[r * w + c] - rowMean;
      x[r * w + c] = v;
      colSum[j] += v;
    }
  }
  for (let r = r0; r < h; r += 2) {
    for (let c = c0, j = 0; c < w; c += 2, j++) x[r * w + c] -= colSum[j] / rows;
  }
}

/**
 * ZeroMeanTotal: zero-mean each of the four 2×2 colour-filter-array sub-lattices separately,
 * in place. Returns `x`.
 */
export function zeroMeanTotal(x: Float32Array, h: number, w: number): Float32Array {
  zeroMeanLattice(x, h, w, 0, 0);
  zeroMeanLattice(x, h, w, 1, 0);
  zeroMeanLattice(x, h, w, 0, 1);
  zeroMeanLattice(x, h, w, 1, 1);
  return x;
}

/** ZeroMean('both') on the whole array, in place. Returns `x`. */
export function zeroMean(x: Float32Array, h: number, w: number): Float32Array {
  const colSum = new Float64Array(w);
  for (let r = 0; r < h; r++) {
    let rowSum = 0;
    for (let c = 0; c < w; c++) rowSum += x[r * w + c];
    const rowMean = rowSum / w;
    for (let c = 0; c < w; c++) {
      const v = x[r * w + c] - rowMean;
      x[r * w + c] = v;
      colSum[c] += v;
    }
  }
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) x[r * w + c] -= colSum[c] / h;
  return x;
}
