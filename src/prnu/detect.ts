/**
 * Does residual W of a query image come from the camera with fingerprint K? (DESIGN.md §3.3)
 *
 * The test statistic correlates I·K with W (I: the query's grey intensity), as prnu-python and
 * the Binghamton toolbox do, for every shift at once by FFT. A query that is a crop of the sensor
 * is smaller than K, and I is unknown outside it, so there I moves to the query side: the
 * correlation of K with X = I·W, whose value at the true offset s is the same Σ K(x+s)·I(x)·W(x)
 * and whose peak position is the crop's offset. The four 90° rotations of the
 * query are tried where their size fits the fingerprint (portrait shots); rotations tested count
 * in the false-alarm probability.
 */
import { crossCorrelate, findPeak, pceAt, surfaceWindow, type ShiftRange } from './correlate.js';
import { falseAlarm } from './stats.js';

export interface DetectOptions {
  /** Decision threshold on PCE (default 60). */
  threshold?: number;
  /** For a query the same size as K: search shifts up to ±maxShift pixels (default 0: aligned). */
  maxShift?: number;
  /** Try the 90°, 180° and 270° rotations of the query too (default true). */
  rotations?: boolean;
  /** Stop at the first rotation whose PCE exceeds the threshold (default true). */
  stopAtMatch?: boolean;
  /** Half-width of the peak's exclusion neighbourhood (default 5: 11×11). */
  exclusionRadius?: number;
  /**
   * When set (r > 0), the detection carries the correlation surface in the (2r+1)×(2r+1) window
   * around the peak of the best rotation (surfaceWindow: in σ units), to be plotted. Default 0: none.
   */
  surfaceRadius?: number;
}

export const DETECT_DEFAULTS = {
  threshold: 60,
  maxShift: 0,
  rotations: true,
  stopAtMatch: true,
  exclusionRadius: 5,
  surfaceRadius: 0,
};

export interface Detection {
  comparable: true;
  pce: number;
  ncc: number;
  /** Offset of the query's top-left pixel in the fingerprint, rows then columns. */
  shift: [number, number];
  /** Clockwise rotation applied to the query, degrees (0, 90, 180, 270). */
  rotation: number;
  pFalseAlarm: number;
  log10PFalseAlarm: number;
  /** Shift positions × rotations searched (the m of the false-alarm probability). */
  tests: number;
  threshold: number;
  match: boolean;
  /**
   * The correlation around the peak, when asked for (DetectOptions.surfaceRadius): (2r+1)² values,
   * row-major, centred on `shift`, in units of the RMS correlation away from the peak (so the centre
   * is sign·√PCE).
   */
  surface?: { radius: number; values: Float32Array };
}

export interface NotComparable {
  comparable: false;
  reason: string;
}

/** A 2-D array with its shape. */
export interface Plane {
  data: Float32Array;
  h: number;
  w: number;
}

/** Rotates a plane clockwise by 90°·quarter. */
export function rotatePlane(p: Plane, quarter: number): Plane {
  const q = ((quarter % 4) + 4) % 4;
  if (q === 0) return p;
  const { data, h, w } = p;
  const oh = q === 2 ? h : w;
  const ow = q === 2 ? w : h;
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let rr: number, cc: number;
      if (q === 1) [rr, cc] = [c, h - 1 - r];
      else if (q === 2) [rr, cc] = [h - 1 - r, w - 1 - c];
      else [rr, cc] = [w - 1 - c, r];
      out[rr * ow + cc] = data[r * w + c];
    }
  }
  return { data: out, h: oh, w: ow };
}

function multiply(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

/** Normalised correlation of I·K (the region of K at the offset) with W, means removed. */
function nccAt(K: Plane, W: Plane, I: Plane, dy: number, dx: number): number {
  const n = W.h * W.w;
  const x = new Float64Array(n);
  let mx = 0;
  let my = 0;
  for (let r = 0; r < W.h; r++) {
    const kr = (((r + dy) % K.h) + K.h) % K.h;
    for (let c = 0; c < W.w; c++) {
      const kc = (((c + dx) % K.w) + K.w) % K.w;
      const v = K.data[kr * K.w + kc] * I.data[r * W.w + c];
      x[r * W.w + c] = v;
      mx += v;
      my += W.data[r * W.w + c];
    }
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = W.data[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Detects fingerprint K in a query with residual W and grey intensity I (same shape as W).
 * Returns NotComparable when no rotation of the query fits inside the fingerprint.
 */
export function detect(K: Plane, W: Plane, I: Plane, options: DetectOptions = {}): Detection | NotComparable {
  const opts = { ...DETECT_DEFAULTS, ...options };
  const quarters = opts.rotations ? [0, 1, 2, 3] : [0];
  const fits = quarters.filter((q) => {
    const [h, w] = q % 2 === 0 ? [W.h, W.w] : [W.w, W.h];
    return h <= K.h && w <= K.w;
  });
  if (fits.length === 0) {
    return {
      comparable: false,
      reason: `image ${W.w}×${W.h} is larger than the fingerprint ${K.w}×${K.h} in every orientation (different resolution or camera setting)`,
    };
  }
  let best: Detection | undefined;
  let tests = 0;
  for (const q of fits) {
    const w = rotatePlane(W, q);
    const i = rotatePlane(I, q);
    const same = w.h === K.h && w.w === K.w;
    const range: ShiftRange = same
      ? { dy: [-opts.maxShift, opts.maxShift], dx: [-opts.maxShift, opts.maxShift] }
      : { dy: [0, K.h - w.h], dx: [0, K.w - w.w] };
    const surface = same
      ? crossCorrelate(multiply(K.data, i.data), K.h, K.w, w.data, w.h, w.w)
      : crossCorrelate(K.data, K.h, K.w, multiply(w.data, i.data), w.h, w.w);
    const peak = findPeak(surface, range);
    tests += peak.positions;
    const { pce, energy } = pceAt(surface, peak.dy, peak.dx, opts.exclusionRadius);
    if (!best || pce > best.pce) {
      const ncc = nccAt(K, w, i, peak.dy, peak.dx);
      const r = opts.surfaceRadius;
      best = {
        comparable: true,
        pce,
        ncc,
        shift: [peak.dy, peak.dx],
        rotation: q * 90,
        pFalseAlarm: 1,
        log10PFalseAlarm: 0,
        tests: 0,
        threshold: opts.threshold,
        match: pce > opts.threshold,
        ...(r > 0
          ? { surface: { radius: r, values: surfaceWindow(surface, peak.dy, peak.dx, r, energy) } }
          : {}),
      };
    }
    if (best.match && opts.stopAtMatch) break;
  }
  const fa = falseAlarm(best!.pce, tests);
  return { ...best!, pFalseAlarm: fa.p, log10PFalseAlarm: fa.log10, tests };
}
