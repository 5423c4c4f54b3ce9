/**
 * Detector statistics: the false-alarm probability of a PCE value.
 * Under H0 (the image is not from the camera) the normalised correlation at one shift is close to
 * N(0, σ²), and PCE ≈ (c/σ)², so one shift exceeds PCE τ with probability Q(√τ) (one-sided: only a
 * positive peak supports the match). Searching m shifts/rotations and keeping the best gives
 *   P_FA = 1 − (1 − Q(√τ))^m          (Goljan, Fridrich, Filler 2009, eq. 5).
 */

/**
 * log of erfc(z) for z ≥ 0, with relative error < 1.2e-7 on erfc (Numerical Recipes' Chebyshev
 * fit, in log form so that it does not underflow for large z).
 */
export function logErfc(z: number): number {
  if (z < 0) return Math.log(2 - Math.exp(logErfc(-z)));
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) + poly;
}

/** log10 of the Gaussian upper tail Q(x) = P(N(0,1) > x) = erfc(x/√2)/2. */
export function log10NormalTail(x: number): number {
  return (logErfc(x / Math.SQRT2) - Math.LN2) / Math.LN10;
}

export interface FalseAlarm {
  /** P_FA; 0 when it underflows double precision (see log10). */
  p: number;
  /** log10 P_FA, finite even where p underflows. */
  log10: number;
}

/** False-alarm probability of a PCE value when `tests` shifts × rotations were searched. */
export function falseAlarm(pce: number, tests = 1): FalseAlarm {
  if (!(pce > 0)) return { p: 1, log10: 0 };
  const log10Q = log10NormalTail(Math.sqrt(pce));
  const q = 10 ** log10Q;
  if (q > 1e-12) {
    // 1 − (1 − q)^m computed without cancellation.
    const p = -Math.expm1(tests * Math.log1p(-q));
    return { p, log10: Math.log10(p) };
  }
  // Union bound is exact to relative O(m·q) here.
  const log10 = Math.log10(tests) + log10Q;
  return { p: 10 ** log10, log10 };
}

/** The PCE threshold whose false-alarm probability is `pfa` for `tests` tests (inverse of falseAlarm). */
export function thresholdFor(pfa: number, tests = 1): number {
  let lo = 0;
  let hi = 10000;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (falseAlarm(mid, tests).log10 > Math.log10(pfa)) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** x with Q(x) = p for the standard normal (the inverse of the tail above), by bisection on log10 Q. */
export function normalUpperQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  const target = Math.log10(p);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (log10NormalTail(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
