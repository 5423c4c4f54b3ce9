/**
 * 2-D Daubechies-4 discrete wavelet transform, numerically the same as PyWavelets'
 * `wavedec2(x, 'db4', mode='symmetric')` / `waverec2` (the transform prnu-python and the
 * Binghamton toolbox use). Arrays are row-major float32 (height, width).
 *
 * Analysis (per axis, length n → m = ⌊(n+7)/2⌋):
 *   a[k] = Σ_{j=0..7} lo[j]·x̃[2k+1−j],  d[k] = Σ_j hi[j]·x̃[2k+1−j],
 * with x̃ the half-sample symmetric extension (x̃[−1] = x[0], x̃[n] = x[n−1]).
 * Synthesis (length m → 2m−6):
 *   x[2p]   = Σ_{t=0..3} a[p+t]·g[6−2t] + d[p+t]·h[6−2t]
 *   x[2p+1] = Σ_{t=0..3} a[p+t]·g[7−2t] + d[p+t]·h[7−2t]
 */

/** db4 decomposition low-pass filter (PyWavelets `dec_lo`). */
const DEC_LO = [
  -0.010597401785069032, 0.0328830116668852, 0.030841381835560764, -0.18703481171909309,
  -0.027983769416859854, 0.6308807679298589, 0.7148465705529157, 0.2303778133088965,
];
/** db4 decomposition high-pass filter: hi[j] = (−1)^(j+1)·lo[7−j]. */
const DEC_HI = DEC_LO.map((_, j) => (j % 2 === 0 ? -1 : 1) * DEC_LO[7 - j]);
/** Reconstruction filters: time-reversed decomposition filters. */
const REC_LO = [...DEC_LO].reverse();
const REC_HI = [...DEC_HI].reverse();
const TAPS = 8;

/** Length of one analysis output for an input of length n. */
export function dwtLength(n: number): number {
  return Math.floor((n + TAPS - 1) / 2);
}

/** Deepest useful level for length n (PyWavelets `dwt_max_level`): ⌊log2(n / 7)⌋. */
export function maxLevel(n: number): number {
  return n < TAPS - 1 ? 0 : Math.floor(Math.log2(n / (TAPS - 1)));
}

/** Index into [0, n) for position i of the half-sample symmetric extension. */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let p = i % period;
  if (p < 0) p += period;
  return p < n ? p : period - 1 - p;
}

/** One 2-D analysis step's four sub-bands, each (h2, w2). */
export interface Subbands {
  h: number;
  w: number;
  ll: Float32Array;
  /** Detail sub-bands: [low rows·high cols, high rows·low cols, high·high]. */
  details: [Float32Array, Float32Array, Float32Array];
}

/** Analysis along rows: (h, w) → lo, hi each (h, m). */
function analyseRows(x: Float32Array, h: number, w: number): [Float32Array, Float32Array] {
  const m = dwtLength(w);
  const lo = new Float32Array(h * m);
  const hi = new Float32Array(h * m);
  const ext = new Float32Array(w + 2 * TAPS);
  const [l0, l1, l2, l3, l4, l5, l6, l7] = DEC_LO;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = DEC_HI;
  for (let r = 0; r < h; r++) {
    const row = r * w;
    // ext[i + TAPS] = x̃[i] for i in [−TAPS, w + TAPS): the row itself, reflected at both ends
    ext.set(x.subarray(row, row + w), TAPS);
    for (let i = -TAPS; i < 0; i++) ext[i + TAPS] = x[row + reflect(i, w)];
    for (let i = w; i < w + TAPS; i++) ext[i + TAPS] = x[row + reflect(i, w)];
    const out = r * m;
    for (let k = 0; k < m; k++) {
      const c = 2 * k + 1 + TAPS; // ext index of x̃[2k+1]
      const e0 = ext[c],
        e1 = ext[c - 1],
        e2 = ext[c - 2],
        e3 = ext[c - 3];
      const e4 = ext[c - 4],
        e5 = ext[c - 5],
        e6 = ext[c - 6],
        e7 = ext[c - 7];
      lo[out + k] = l0 * e0 + l1 * e1 + l2 * e2 + l3 * e3 + l4 * e4 + l5 * e5 + l6 * e6 + l7 * e7;
      hi[out + k] = h0 * e0 + h1 * e1 + h2 * e2 + h3 * e3 + h4 * e4 + h5 * e5 + h6 * e6 + h7 * e7;
    }
  }
  return [lo, hi];
}

/** Analysis along columns: (h, w) → lo, hi each (m, w); rows combined whole for cache locality. */
function analyseCols(x: Float32Array, h: number, w: number): [Float32Array, Float32Array] {
  const m = dwtLength(h);
  const lo = new Float32Array(m * w);
  const hi = new Float32Array(m * w);
  const rows = new Array<number>(TAPS);
  const [l0, l1, l2, l3, l4, l5, l6, l7] = DEC_LO;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = DEC_HI;
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < TAPS; j++) rows[j] = reflect(2 * k + 1 - j, h) * w;
    const [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    const out = k * w;
    for (let c = 0; c < w; c++) {
      const e0 = x[r0 + c],
        e1 = x[r1 + c],
        e2 = x[r2 + c],
        e3 = x[r3 + c];
      const e4 = x[r4 + c],
        e5 = x[r5 + c],
        e6 = x[r6 + c],
        e7 = x[r7 + c];
      lo[out + c] = l0 * e0 + l1 * e1 + l2 * e2 + l3 * e3 + l4 * e4 + l5 * e5 + l6 * e6 + l7 * e7;
      hi[out + c] = h0 * e0 + h1 * e1 + h2 * e2 + h3 * e3 + h4 * e4 + h5 * e5 + h6 * e6 + h7 * e7;
    }
  }
  return [lo, hi];
}

/** One level of 2-D analysis: rows then columns. */
export function dwt2(x: Float32Array, h: number, w: number): Subbands {
  const [lo, hi] = analyseRows(x, h, w);
  const mw = dwtLength(w);
  const [ll, lh] = analyseCols(lo, h, mw);
  const [hl, hh] = analyseCols(hi, h, mw);
  return { h: dwtLength(h), w: mw, ll, details: [lh, hl, hh] };
}

/** Synthesis along columns: a, d each (m, w) → (2m−6, w). `a` may be null (all zero). */
function synthCols(a: Float32Array | null, d: Float32Array, m: number, w: number): Float32Array {
  const n = 2 * m - 6;
  const out = new Float32Array(n * w);
  const [g0, g1, g2, g3, g4, g5, g6, g7] = REC_LO;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = REC_HI;
  for (let p = 0; 2 * p < n; p++) {
    // Output rows 2p and 2p+1 both come from coefficient rows p … p+3.
    const even = 2 * p * w;
    const odd = even + w;
    const r0 = p * w,
      r1 = r0 + w,
      r2 = r1 + w,
      r3 = r2 + w;
    const hasOdd = 2 * p + 1 < n;
    if (a) {
      for (let c = 0; c < w; c++) {
        const a0 = a[r0 + c],
          a1 = a[r1 + c],
          a2 = a[r2 + c],
          a3 = a[r3 + c];
        const d0 = d[r0 + c],
          d1 = d[r1 + c],
          d2 = d[r2 + c],
          d3 = d[r3 + c];
        out[even + c] = g6 * a0 + g4 * a1 + g2 * a2 + g0 * a3 + h6 * d0 + h4 * d1 + h2 * d2 + h0 * d3;
      }
      if (hasOdd) {
        for (let c = 0; c < w; c++) {
          const a0 = a[r0 + c],
            a1 = a[r1 + c],
            a2 = a[r2 + c],
            a3 = a[r3 + c];
          const d0 = d[r0 + c],
            d1 = d[r1 + c],
            d2 = d[r2 + c],
            d3 = d[r3 + c];
          out[odd + c] = g7 * a0 + g5 * a1 + g3 * a2 + g1 * a3 + h7 * d0 + h5 * d1 + h3 * d2 + h1 * d3;
        }
      }
    } else {
      for (let c = 0; c < w; c++) {
        const d0 = d[r0 + c],
          d1 = d[r1 + c],
          d2 = d[r2 + c],
          d3 = d[r3 + c];
        out[even + c] = h6 * d0 + h4 * d1 + h2 * d2 + h0 * d3;
        if (hasOdd) out[odd + c] = h7 * d0 + h5 * d1 + h3 * d2 + h1 * d3;
      }
    }
  }
  return out;
}

/** Synthesis along rows: a, d each (h, m) → (h, 2m−6). */
function synthRows(a: Float32Array, d: Float32Array, h: number, m: number): Float32Array {
  const n = 2 * m - 6;
  const out = new Float32Array(h * n);
  const [g0, g1, g2, g3, g4, g5, g6, g7] = REC_LO;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = REC_HI;
  for (let r = 0; r < h; r++) {
    const src = r * m;
    const dst = r * n;
    for (let p = 0; 2 * p < n; p++) {
      const i = src + p;
      const a0 = a[i],
        a1 = a[i + 1],
        a2 = a[i + 2],
        a3 = a[i + 3];
      const d0 = d[i],
        d1 = d[i + 1],
        d2 = d[i + 2],
        d3 = d[i + 3];
      out[dst + 2 * p] = g6 * a0 + g4 * a1 + g2 * a2 + g0 * a3 + h6 * d0 + h4 * d1 + h2 * d2 + h0 * d3;
      if (2 * p + 1 < n) {
        out[dst + 2 * p + 1] = g7 * a0 + g5 * a1 + g3 * a2 + g1 * a3 + h7 * d0 + h5 * d1 + h3 * d2 + h1 * d3;
      }
    }
  }
  return out;
}

/** Crops a (h, w) array to its top-left (h2, w2) corner. */
function cropTopLeft(x: Float32Array, h: number, w: number, h2: number, w2: number): Float32Array {
  if (h2 === h && w2 === w) return x;
  const out = new Float32Array(h2 * w2);
  for (let r = 0; r < h2; r++) out.set(x.subarray(r * w, r * w + w2), r * w2);
  return out;
}

/**
 * One level of 2-D synthesis (PyWavelets idwt2). `ll` may be null for an all-zero approximation;
 * a larger `ll` (by one, from the level below) is cropped to the detail size first.
 * Returns the (2h−6, 2w−6) reconstruction.
 */
export function idwt2(
  ll: Float32Array | null,
  llH: number,
  llW: number,
  details: [Float32Array, Float32Array, Float32Array],
  h: number,
  w: number,
): Float32Array {
  const a = ll ? cropTopLeft(ll, llH, llW, h, w) : null;
  const [lh, hl, hh] = details;
  const lo = synthCols(a, lh, h, w);
  const hi = synthCols(hl, hh, h, w);
  return synthRows(lo, hi, 2 * h - 6, w);
}
