/**
 * Circular cross-correlation and the peak-to-correlation-energy ratio (PCE), after Goljan,
 * Fridrich and Filler (2009), "Large scale test of sensor fingerprint camera identification".
 */
import { fft2, pffftSupports, nextFastLength } from './fft.js';

/** A cross-correlation surface: cc[dy·w + dx] = Σ_{y,x} a[y+dy, x+dx]·b[y, x] (indices mod h, w). */
export interface Surface {
  cc: Float32Array;
  h: number;
  w: number;
}

/** Grid size used for a correlation of an (h, w) array: itself when PFFFT handles it, else padded. */
export function correlationGrid(h: number, w: number): [number, number] {
  return [pffftSupports(h) ? h : nextFastLength(h), pffftSupports(w) ? w : nextFastLength(w)];
}

/**
 * Cross-correlation of a (ah, aw) and b (bh, bw ≤ ah, aw), both mean-removed, b zero-padded at
 * its bottom and right; circular on a grid of at least (ah, aw) (zero-padded further to a size the
 * FFT handles directly). Both real inputs travel in one complex FFT (z = a + i·b):
 *   A = (Z[k] + Z*[−k])/2,  B = (Z[k] − Z*[−k])/2i,  CC = IFFT(A·B*) = IFFT((i/4)(Z[k]+Z*[−k])(Z*[k]−Z[−k])).
 */
export function crossCorrelate(
  a: Float32Array,
  ah: number,
  aw: number,
  b: Float32Array,
  bh: number,
  bw: number,
): Surface {
  const [h, w] = correlationGrid(ah, aw);
  const meanA = mean(a);
  const meanB = mean(b);
  const z = new Float32Array(2 * h * w);
  for (let r = 0; r < ah; r++) {
    const src = r * aw;
    const dst = 2 * r * w;
    for (let c = 0; c < aw; c++) z[dst + 2 * c] = a[src + c] - meanA;
  }
  for (let r = 0; r < bh; r++) {
    const src = r * bw;
    const dst = 2 * r * w + 1;
    for (let c = 0; c < bw; c++) z[dst + 2 * c] = b[src + c] - meanB;
  }
  fft2(z, h, w);
  // P[k] = A[k]·conj(B[k]), with A = (Z[k] + Z*[−k])/2 and conj(B) = (i/2)·conj(Z[k] − Z*[−k]),
  // computed for k and −k together, in place (the factor 1/4 is folded into the final scale).
  for (let ky = 0; ky < h; ky++) {
    const my = ky === 0 ? 0 : h - ky;
    if (my < ky) continue; // row ky was done as the mirror of row my
    const rowK = 2 * ky * w;
    const rowM = 2 * my * w;
    for (let kx = 0; kx < w; kx++) {
      const mx = kx === 0 ? 0 : w - kx;
      const i = rowK + 2 * kx;
      const j = rowM + 2 * mx;
      if (j < i) continue; // done as the mirror
      const zr = z[i],
        zi = z[i + 1];
      const mr = z[j],
        mi = z[j + 1];
      // 4·P[k]: a = Z[k] + Z*[−k], d = Z[k] − Z*[−k], 4P = a·(i·conj(d)) = a·(di + i·dr)
      const ar = zr + mr,
        ai = zi - mi,
        dr = zr - mr,
        di = zi + mi;
      // 4·P[−k]: the same with Z[k] and Z[−k] exchanged
      const br = mr + zr,
        bi = mi - zi,
        er = mr - zr,
        ei = mi + zi;
      z[i] = ar * di - ai * dr;
      z[i + 1] = ar * dr + ai * di;
      z[j] = br * ei - bi * er;
      z[j + 1] = br * er + bi * ei;
    }
  }
  fft2(z, h, w, true, false);
  // The real parts, scaled, compacted in place into the first half of z (no new 6 MP array).
  const scale = 1 / (4 * h * w);
  for (let i = 0; i < h * w; i++) z[i] = z[2 * i] * scale;
  return { cc: z.subarray(0, h * w), h, w };
}

function mean(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** A rectangle of shifts to search: dy in [dy0, dy1], dx in [dx0, dx1] (negative = wrap-around). */
export interface ShiftRange {
  dy: [number, number];
  dx: [number, number];
}

/** Position and value of the largest correlation within the shift range. */
export function findPeak(
  s: Surface,
  range: ShiftRange,
): { dy: number; dx: number; value: number; positions: number } {
  let best = -Infinity;
  let by = 0;
  let bx = 0;
  for (let dy = range.dy[0]; dy <= range.dy[1]; dy++) {
    const row = (((dy % s.h) + s.h) % s.h) * s.w;
    for (let dx = range.dx[0]; dx <= range.dx[1]; dx++) {
      const v = s.cc[row + (((dx % s.w) + s.w) % s.w)];
      if (v > best) {
        best = v;
        by = dy;
        bx = dx;
      }
    }
  }
  const positions = (range.dy[1] - range.dy[0] + 1) * (range.dx[1] - range.dx[0] + 1);
  return { dy: by, dx: bx, value: best, positions };
}

/**
 * PCE = sign(c(peak))·c(peak)² / mean of c² over all shifts outside the (2r+1)×(2r+1)
 * neighbourhood of the peak (circularly); r = 5 gives the usual 11×11 exclusion.
 */
export function pceAt(
  s: Surface,
  dy: number,
  dx: number,
  radius = 5,
): { pce: number; energy: number; value: number } {
  const { cc, h, w } = s;
  let total = 0;
  for (let i = 0; i < cc.length; i++) total += cc[i] * cc[i];
  let excluded = 0;
  let count = 0;
  const seen = new Set<number>();
  for (let y = dy - radius; y <= dy + radius; y++) {
    for (let x = dx - radius; x <= dx + radius; x++) {
      const idx = (((y % h) + h) % h) * w + (((x % w) + w) % w);
      if (seen.has(idx)) continue;
      seen.add(idx);
      excluded += cc[idx] * cc[idx];
      count++;
    }
  }
  const energy = (total - excluded) / (cc.length - count);
  const value = cc[(((dy % h) + h) % h) * w + (((dx % w) + w) % w)];
  return { pce: (Math.sign(value) * value * value) / energy, energy, value };
}

/**
 * The surface in the (2r+1)×(2r+1) window centred on the shift (dy, dx) (circularly), in units of
 * σ = √energy, the RMS correlation away from the peak (pceAt's `energy`). In these units the value
 * at the peak is sign(c)·√PCE, and a value where no sensor pattern lines up is about N(0, 1): a
 * match shows one value far above its neighbours, a non-match a field of like values.
 * Returns (2r+1)² values, row-major: rows dy−r … dy+r, columns dx−r … dx+r.
 */
export function surfaceWindow(
  s: Surface,
  dy: number,
  dx: number,
  radius: number,
  energy: number,
): Float32Array {
  const { cc, h, w } = s;
  const side = 2 * radius + 1;
  const sigma = Math.sqrt(energy);
  const out = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    const row = ((((dy - radius + y) % h) + h) % h) * w;
    for (let x = 0; x < side; x++) {
      out[y * side + x] = cc[row + ((((dx - radius + x) % w) + w) % w)] / sigma;
    }
  }
  return out;
}
