/**
 * Normalised cross-correlation of many residual crops at zero shift, as dot products.
 *
 * Each crop x is made zero-mean and unit-norm once (`normaliseUnit`), so the NCC of two crops,
 *   ρ(x, y) = Σ (x − x̄)(y − ȳ) / (‖x − x̄‖ ‖y − ȳ‖),
 * is the plain dot product ⟨x, y⟩, and the n×n matrix of all pairs is X·Xᵀ for the (n, N) matrix X
 * of the crops' rows. `dotBlock` computes one (rows of A) × (rows of B) tile of it: 4×4 register
 * tiles (16 accumulators fed by 8 loads per pixel) over chunks of pixels that stay in cache.
 */

/** Pixels per chunk: 4 + 4 rows × 2048 float32 = 64 KiB, inside a core's L2. */
const CHUNK = 2048;

/**
 * In place: x − mean(x), then divided by its norm. A constant crop (norm 0) is left all zero.
 * @returns the norm before scaling (0 for a constant crop)
 */
export function normaliseUnit(x: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length || 1;
  let energy = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] - mean;
    x[i] = v;
    energy += v * v;
  }
  const norm = Math.sqrt(energy);
  if (norm > 0) {
    const s = 1 / norm;
    for (let i = 0; i < x.length; i++) x[i] *= s;
  } else x.fill(0);
  return norm;
}

/**
 * out[i·rowsB + j] = ⟨a_i, b_j⟩ for the rows a_i of `a` (rowsA, N) and b_j of `b` (rowsB, N).
 * rowsA and rowsB must be multiples of 4 (pad with zero rows). When `a` and `b` are the same block
 * (`symmetric`), only tiles with j ≤ i are computed and mirrored.
 * @param out (rowsA, rowsB), overwritten
 */
export function dotBlock(
  a: Float32Array,
  rowsA: number,
  b: Float32Array,
  rowsB: number,
  N: number,
  out: Float64Array,
  symmetric = false,
): Float64Array {
  if (rowsA % 4 !== 0 || rowsB % 4 !== 0)
    throw new RangeError(`dotBlock needs row counts that are multiples of 4, got ${rowsA} and ${rowsB}`);
  if (a.length < rowsA * N || b.length < rowsB * N || out.length < rowsA * rowsB)
    throw new RangeError('dotBlock: an array is shorter than its shape');
  out.fill(0, 0, rowsA * rowsB);
  for (let k0 = 0; k0 < N; k0 += CHUNK) {
    const k1 = Math.min(N, k0 + CHUNK);
    for (let i = 0; i < rowsA; i += 4) {
      const a0 = i * N;
      const a1 = a0 + N;
      const a2 = a1 + N;
      const a3 = a2 + N;
      for (let j = 0; j < (symmetric ? i + 4 : rowsB); j += 4) {
        const b0 = j * N;
        const b1 = b0 + N;
        const b2 = b1 + N;
        const b3 = b2 + N;
        let s00 = 0,
          s01 = 0,
          s02 = 0,
          s03 = 0,
          s10 = 0,
          s11 = 0,
          s12 = 0,
          s13 = 0,
          s20 = 0,
          s21 = 0,
          s22 = 0,
          s23 = 0,
          s30 = 0,
          s31 = 0,
          s32 = 0,
          s33 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = a[a0 + k];
          const x1 = a[a1 + k];
          const x2 = a[a2 + k];
          const x3 = a[a3 + k];
          const y0 = b[b0 + k];
          const y1 = b[b1 + k];
          const y2 = b[b2 + k];
          const y3 = b[b3 + k];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
          s20 += x2 * y0;
          s21 += x2 * y1;
          s22 += x2 * y2;
          s23 += x2 * y3;
          s30 += x3 * y0;
          s31 += x3 * y1;
          s32 += x3 * y2;
          s33 += x3 * y3;
        }
        let o = i * rowsB + j;
        out[o] += s00;
        out[o + 1] += s01;
        out[o + 2] += s02;
        out[o + 3] += s03;
        o += rowsB;
        out[o] += s10;
        out[o + 1] += s11;
        out[o + 2] += s12;
        out[o + 3] += s13;
        o += rowsB;
        out[o] += s20;
        out[o + 1] += s21;
        out[o + 2] += s22;
        out[o + 3] += s23;
        o += rowsB;
        out[o] += s30;
        out[o + 1] += s31;
        out[o + 2] += s32;
        out[o + 3] += s33;
      }
    }
  }
  if (symmetric) {
    for (let i = 0; i < rowsA; i++)
      for (let j = i + 1; j < rowsB; j++) out[i * rowsB + j] = out[j * rowsB + i];
  }
  return out;
}
