/**
 * Scores and their calibration, in plain numbers (no I/O).
 *
 * Scoring: each photo has one score per class (higher: more likely); top-1 and top-k follow the
 * scores' order; per-class accuracy and the confusion matrix (rows: true class, columns: top-1).
 *
 * Calibration: a conditional logit (McFadden 1974) fitted on the validation split. A photo's
 * class probabilities are softmax_c(θ · x_c), where x_c holds the method's evidence for class c:
 *   - CNN: x_c = log p_c (p: the softmax averaged over the photo's crops); θ = 1/T is
 *     temperature scaling (Guo et al. 2017);
 *   - PCE: x_c = sign(PCE_c)·√|PCE_c|, the correlation peak in units of its noise, which is about
 *     N(0, 1) for another camera's fingerprint and N(μ, 1) for the right one, so its
 *     log-likelihood ratio is linear in it (μ·x − μ²/2), the constant cancelling across classes;
 *   - fusion: both, x_c = (log p_c, √PCE_c), one coefficient each (rule logistic), or each
 *     method's own coefficient, i.e. the sum of the two calibrated log-likelihoods (rule sum).
 * θ maximises the validation log-likelihood of the true classes minus λ/2·|θ − θ₀|² (a Gaussian
 * prior, so a split that one score separates perfectly still gives finite, not infinite,
 * confidence). Its mean θ₀: 1 for the CNN (the probabilities as they are), 0 for PCE, and for the
 * fusion the two methods' own fits (their sum of log-likelihoods, which the joint fit corrects
 * where the scores are not independent). Newton's method with a backtracking line search (the
 * objective is convex).
 */

export interface ScoredPhoto {
  truth: number;
  /** One score per class; -Infinity for a class that cannot be scored. */
  scores: number[];
}

export interface ClassFigures {
  images: number;
  correct: number;
  accuracy: number | null;
}

export interface Figures {
  photos: number;
  top1: number;
  top5: number;
  /** top-k with k = min(5, classes). */
  k: number;
  perClass: Record<string, ClassFigures>;
  /** confusion[true][predicted]. */
  confusion: number[][];
}

/** Class indices by score, best first (ties: lower index first). */
export function order(scores: readonly number[]): number[] {
  return scores.map((_, j) => j).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Top-1, top-5, per-class accuracy and the confusion matrix of scored photos. */
export function scoreFigures(classes: readonly string[], photos: readonly ScoredPhoto[]): Figures {
  const n = classes.length;
  const k = Math.min(5, n);
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let hit1 = 0;
  let hitK = 0;
  for (const p of photos) {
    const o = order(p.scores);
    confusion[p.truth][o[0]]++;
    if (o[0] === p.truth) hit1++;
    if (o.slice(0, k).includes(p.truth)) hitK++;
  }
  const perClass: Record<string, ClassFigures> = {};
  classes.forEach((name, c) => {
    const images = confusion[c].reduce((a, b) => a + b, 0);
    perClass[name] = { images, correct: confusion[c][c], accuracy: images ? confusion[c][c] / images : null };
  });
  const m = photos.length || 1;
  return { photos: photos.length, top1: hit1 / m, top5: hitK / m, k, perClass, confusion };
}

/** Evidence of one photo: features[class][d]. */
export type Evidence = number[][];

/** softmax_c(θ · x_c) of one photo, computed stably. */
export function posterior(x: Evidence, theta: readonly number[]): number[] {
  const s = x.map((f) => f.reduce((a, v, d) => a + theta[d] * v, 0));
  const max = Math.max(...s);
  const e = s.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export interface LogitFit {
  theta: number[];
  /** Mean negative log-likelihood of the true classes on the fitting photos (prior excluded). */
  nll: number;
  /** The prior's mean θ₀. */
  prior: number[];
  iterations: number;
  converged: boolean;
  photos: number;
  l2: number;
}

/** Objective (negative log-likelihood + λ/2·|θ − θ₀|²), gradient and Hessian. */
function objective(
  xs: readonly Evidence[],
  truth: readonly number[],
  theta: readonly number[],
  l2: number,
  prior: readonly number[],
): { f: number; g: number[]; h: number[][]; nll: number } {
  const d = theta.length;
  const g = theta.map((t, a) => l2 * (t - prior[a]));
  const h = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => (a === b ? l2 : 0)));
  let nll = 0;
  xs.forEach((x, i) => {
    const p = posterior(x, theta);
    nll -= Math.log(Math.max(p[truth[i]], 1e-300));
    const mean = new Array<number>(d).fill(0);
    x.forEach((f, c) => f.forEach((v, a) => (mean[a] += p[c] * v)));
    for (let a = 0; a < d; a++) g[a] += mean[a] - x[truth[i]][a];
    x.forEach((f, c) => {
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++) h[a][b] += p[c] * (f[a] - mean[a]) * (f[b] - mean[b]);
    });
  });
  const penalty = (l2 / 2) * theta.reduce((a, t, i) => a + (t - prior[i]) ** 2, 0);
  return { f: nll + penalty, g, h, nll };
}

/** Solves h·x = g (small, symmetric positive definite) by Gaussian elimination with pivoting. */
function solve(h: number[][], g: number[]): number[] {
  const d = g.length;
  const a = h.map((row, i) => [...row, g[i]]);
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    [a[c], a[piv]] = [a[piv], a[c]];
    const div = a[c][c] || 1e-12;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r][c] / div;
      for (let k = c; k <= d; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[d] / (a[i][i] || 1e-12));
}

/**
 * Fits θ of the conditional logit on photos with evidence `xs` and true classes `truth`.
 * @param l2 the prior's weight λ (0: plain maximum likelihood)
 * @param prior the prior's mean θ₀, also where Newton starts (default all 0)
 */
export function fitLogit(
  xs: readonly Evidence[],
  truth: readonly number[],
  l2 = 1,
  prior?: readonly number[],
): LogitFit {
  const d = prior?.length ?? xs[0]?.[0]?.length ?? 1;
  const mean = prior ? [...prior] : new Array<number>(d).fill(0);
  let theta = [...mean];
  if (xs.length === 0)
    return { theta, nll: NaN, prior: mean, iterations: 0, converged: false, photos: 0, l2 };
  let cur = objective(xs, truth, theta, l2, mean);
  let iterations = 0;
  let converged = false;
  for (; iterations < 100; iterations++) {
    const step = solve(cur.h, cur.g);
    let t = 1;
    let next = cur;
    let cand = theta;
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      cand = theta.map((v, a) => v - t * step[a]);
      next = objective(xs, truth, cand, l2, mean);
      if (next.f <= cur.f + 1e-12) break;
    }
    const moved = Math.max(...cand.map((v, a) => Math.abs(v - theta[a])));
    theta = cand;
    const gain = cur.f - next.f;
    cur = next;
    if (moved < 1e-9 || gain < 1e-12 * Math.max(1, Math.abs(cur.f))) {
      converged = true;
      break;
    }
  }
  return { theta, nll: cur.nll / xs.length, prior: mean, iterations, converged, photos: xs.length, l2 };
}

export interface CalibrationFigures {
  /** Mean negative log-likelihood of the true class. */
  nll: number;
  /** Mean Brier score (Σ_c (p_c − [c = truth])²). */
  brier: number;
  /** Expected calibration error of the top-1 confidence, 10 equal bins. */
  ece: number;
  /** Mean top-1 confidence (to set beside the top-1 accuracy). */
  meanConfidence: number;
  /** The reliability diagram: per non-empty bin, mean confidence, accuracy and photos. */
  bins: { confidence: number; accuracy: number; photos: number }[];
}

/** How well probabilities (photo × class) fit the true classes. */
export function calibrationFigures(probs: readonly number[][], truth: readonly number[]): CalibrationFigures {
  const n = probs.length;
  if (n === 0) return { nll: NaN, brier: NaN, ece: NaN, meanConfidence: NaN, bins: [] };
  let nll = 0;
  let brier = 0;
  let conf = 0;
  const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, hit: 0 }));
  probs.forEach((p, i) => {
    nll -= Math.log(Math.max(p[truth[i]], 1e-300));
    p.forEach((v, c) => (brier += (v - (c === truth[i] ? 1 : 0)) ** 2));
    const best = order(p)[0];
    conf += p[best];
    const b = bins[Math.min(9, Math.floor(p[best] * 10))];
    b.n++;
    b.conf += p[best];
    b.hit += best === truth[i] ? 1 : 0;
  });
  const ece = bins.reduce((a, b) => a + (b.n ? (b.n / n) * Math.abs(b.hit / b.n - b.conf / b.n) : 0), 0);
  return {
    nll: nll / n,
    brier: brier / n,
    ece,
    meanConfidence: conf / n,
    bins: bins
      .filter((b) => b.n > 0)
      .map((b) => ({ confidence: b.conf / b.n, accuracy: b.hit / b.n, photos: b.n })),
  };
}

/** CNN evidence of a photo: log p_c (floored at 1e-12). */
export function cnnEvidence(p: readonly number[]): Evidence {
  return p.map((v) => [Math.log(Math.max(v, 1e-12))]);
}

/** PCE evidence of a photo: sign·√|PCE| per class (0 for a class it cannot be compared with). */
export function pceEvidence(pce: readonly (number | null)[]): Evidence {
  return pce.map((v) => [v === null || !Number.isFinite(v) ? 0 : Math.sign(v) * Math.sqrt(Math.abs(v))]);
}

/** Both, side by side: (log p_c, √PCE_c). */
export function joinEvidence(a: Evidence, b: Evidence): Evidence {
  return a.map((f, c) => [...f, ...b[c]]);
}
