/**
 * Defective pixels (hot, stuck, dead): pure kernels on typed arrays, no I/O.
 *
 * 1. Outlier score of one frame. Per colour channel c, each pixel's residual against the median of
 *    the 8 pixels at distance R (default 3) along the rows, columns and diagonals:
 *        r_c(x, y) = I_c(x, y) − median{ I_c(x ± R·i, y ± R·j) : (i, j) ∈ {−1, 0, 1}², (i, j) ≠ 0 }
 *    R = 3 skips the pixels demosaicing, sharpening and chroma subsampling smear a defect into,
 *    and the median ignores an edge or a second defect among the eight. The residual is made a
 *    robust z-score with the channel's own spread, σ_c = max(1.4826 · MAD(r_c), 1.2533 · mean
 *    |r_c − median| over the central 99 %) (both consistent for Gaussian noise; the second holds
 *    when JPEG quantisation leaves most residuals at 0 and the MAD collapses), and each pixel keeps the channel with the largest
 *    |z| (a red-filter defect shows in red, a green one mostly in green), with its sign:
 *        z(x, y) = z_c*(x, y),  c* = argmax_c |r_c(x, y) / σ_c|
 *    Pixels closer than R to the border get z = 0 (not scored).
 *
 * 2. A map from F frames of one camera (dark frames, flat-fields, or many natural photos). A pixel
 *    is an outlier in a frame when |z| > t (default 6). A scene puts outliers in a few places of
 *    each frame (edges, texture), at different places in each; a defect puts one in the same
 *    place in frame after frame. With p the mean per-frame rate of same-sign outliers and N
 *    scored pixels, a pixel that is not defective is an outlier in h of F frames with about
 *        P(H ≥ h) = Σ_{j ≥ h} C(F, j) p^j (1 − p)^(F − j)        (binomial tail)
 *    so the map keeps the pixels with h ≥ h_min, the least h (≥ 2) for which N · P(H ≥ h) ≤ α
 *    (default α = 0.01: one false defect in a hundred maps). Flat frames, with few outliers,
 *    need few repeats; natural photos need more. Neighbouring consistent pixels are one defect
 *    smeared by the processing: of pixels within R of each other only the strongest (largest
 *    |mean z|) is kept. Sign gives the kind: brighter than its surround 'hot', darker 'dead'. A
 *    stuck-high pixel in flat or natural frames reads as hot; telling them apart needs frames at
 *    several exposures, which this does not assume.
 *
 * 3. A photo against a map. Of the map's n defects, k are outliers of the matching sign in the
 *    photo; the photo has m outliers (either sign) among its N scored pixels. If the photo came
 *    from another camera, its outliers fall where the scene puts them, unrelated to the map: the
 *    number of the n map positions they hit is hypergeometric, and the chance of a coincidence
 *    at least as large as the one seen is
 *        P(X ≥ k) = Σ_{j ≥ k} C(m, j) C(N − m, n − j) / C(N, n)
 *    (≈ the binomial tail with p = m/N, since n ≪ N). Counting m over both signs but k with the
 *    sign the map expects makes P an over-estimate (conservative). The decision is P ≤ maxP
 *    (default 10⁻⁶). What this does not say: a camera whose firmware maps out its defects, or a
 *    photo whose defects sit in saturated or very bright regions, shows few hits, so no match is
 *    not evidence of another camera.
 */
import type { DefectPoint } from '../store/index.js';

export interface OutlierOptions {
  /** Distance of the 8 reference pixels (default 3). */
  radius?: number;
}

export interface DefectMapOptions extends OutlierOptions {
  /** |z| above which a pixel is an outlier in one frame (default 6). */
  threshold?: number;
  /** Expected false defects per map that the consistency rule allows (default 0.01). */
  alpha?: number;
}

export interface DefectMatchOptions {
  /** |z| above which the photo's pixel is an outlier (default 6). */
  threshold?: number;
  /** Coincidence probability at or below which it is a match (default 1e-6). */
  maxP?: number;
}

export const DEFECT_DEFAULTS = { radius: 3, threshold: 6, alpha: 0.01, maxP: 1e-6 } as const;

/** Smallest σ used (grey levels): quantisation noise alone is 1/√12 ≈ 0.29. */
const MIN_SIGMA = 0.3;

function median8(v: Float64Array): number {
  // insertion sort of 8 values
  for (let i = 1; i < 8; i++) {
    const x = v[i];
    let j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
  return 0.5 * (v[3] + v[4]);
}

/** Median of an array (sorted in place). */
function median(a: Float64Array): number {
  a.sort();
  const n = a.length;
  if (n === 0) return 0;
  return n % 2 ? a[(n - 1) / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
}

/**
 * The signed outlier score z of every pixel (step 1 of the module comment).
 * @param pixels interleaved, `channels` values per pixel, row-major (height, width), any scale
 * @returns z, width·height, 0 within `radius` of the border
 */
export function outlierScores(
  pixels: Float32Array,
  width: number,
  height: number,
  channels: number,
  options: OutlierOptions = {},
): Float32Array {
  const R = options.radius ?? DEFECT_DEFAULTS.radius;
  const z = new Float32Array(width * height);
  if (width <= 2 * R || height <= 2 * R) return z;
  const resid = new Float32Array(width * height);
  const ring = new Float64Array(8);
  const offsets = [
    -R * width - R,
    -R * width,
    -R * width + R,
    -R,
    R,
    R * width - R,
    R * width,
    R * width + R,
  ];
  for (let c = 0; c < channels; c++) {
    for (let y = R; y < height - R; y++) {
      for (let x = R; x < width - R; x++) {
        const i = y * width + x;
        for (let k = 0; k < 8; k++) ring[k] = pixels[(i + offsets[k]) * channels + c];
        resid[i] = pixels[i * channels + c] - median8(ring);
      }
    }
    // σ from the MAD of a sample of at most ~250 000 interior residuals
    const interior = (width - 2 * R) * (height - 2 * R);
    const step = Math.max(1, Math.floor(interior / 250_000));
    const sample = new Float64Array(Math.ceil(interior / step));
    let n = 0;
    let k = 0;
    for (let y = R; y < height - R; y++) {
      for (let x = R; x < width - R; x++, k++) if (k % step === 0) sample[n++] = resid[y * width + x];
    }
    const s = sample.subarray(0, n);
    const med = median(s.slice());
    for (let j = 0; j < n; j++) s[j] = Math.abs(s[j] - med);
    s.sort();
    // JPEG-quantised smooth frames have mostly zero residuals, and the MAD collapses: the mean
    // absolute deviation of the central 99 % (× √(π/2) for Gaussian noise) does not.
    const kept = Math.max(1, Math.floor(0.99 * n));
    let meanAbs = 0;
    for (let j = 0; j < kept; j++) meanAbs += s[j];
    meanAbs /= kept;
    const mad = n === 0 ? 0 : n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    const sigma = Math.max(MIN_SIGMA, 1.4826 * mad, 1.2533 * meanAbs);
    for (let y = R; y < height - R; y++) {
      for (let x = R; x < width - R; x++) {
        const i = y * width + x;
        const zc = (resid[i] - med) / sigma;
        if (c === 0 || Math.abs(zc) > Math.abs(z[i])) z[i] = zc;
      }
    }
  }
  return z;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function lnGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const xx = x - 1;
  let a = g[0];
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln C(n, k). */
export function lnChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
}

/** ln Σ exp(terms), stable. */
function logSumExp(terms: number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const t of terms) s += Math.exp(t - max);
  return max + Math.log(s);
}

/** ln P(H ≥ h) for H ~ Binomial(F, p). */
export function lnBinomialTail(F: number, p: number, h: number): number {
  if (h <= 0) return 0;
  if (h > F) return -Infinity;
  if (p <= 0) return -Infinity;
  if (p >= 1) return 0;
  const terms: number[] = [];
  for (let j = h; j <= F; j++) terms.push(lnChoose(F, j) + j * Math.log(p) + (F - j) * Math.log1p(-p));
  return Math.min(0, logSumExp(terms));
}

/**
 * ln P(X ≥ k) for X hypergeometric: n draws without replacement from N items of which m are
 * marked (step 3 of the module comment).
 */
export function lnHypergeometricTail(N: number, m: number, n: number, k: number): number {
  const lo = Math.max(k, 0, n - (N - m));
  const hi = Math.min(n, m);
  if (lo > hi) return k <= Math.max(0, n - (N - m)) ? 0 : -Infinity;
  const denom = lnChoose(N, n);
  const terms: number[] = [];
  for (let j = lo; j <= hi; j++) terms.push(lnChoose(m, j) + lnChoose(N - m, n - j) - denom);
  return Math.min(0, logSumExp(terms));
}

/** The consistency rule of step 2: the least h ≥ 2 with N · P(H ≥ h) ≤ α; F + 1 when none. */
export function minimumHits(frames: number, rate: number, pixels: number, alpha: number): number {
  for (let h = 2; h <= frames; h++) {
    if (Math.log(pixels) + lnBinomialTail(frames, rate, h) <= Math.log(alpha)) return h;
  }
  return frames + 1;
}

export interface DefectEstimate {
  defects: DefectPoint[];
  frames: number;
  /** The consistency rule used: hits needed out of `frames`. */
  minHits: number;
  /** Mean per-frame rate of bright and of dark outliers. */
  rates: { bright: number; dark: number };
  /** Scored pixels per frame. */
  pixels: number;
  params: { radius: number; threshold: number; alpha: number };
}

/** Builds a defect map from the outlier scores of F frames, fed one at a time (step 2). */
export class DefectAccumulator {
  private readonly bright: Uint16Array;
  private readonly dark: Uint16Array;
  private readonly sumZ: Float32Array;
  private frames = 0;
  private brightRate = 0;
  private darkRate = 0;
  private readonly radius: number;
  private readonly threshold: number;
  private readonly alpha: number;
  readonly pixels: number;

  constructor(
    readonly width: number,
    readonly height: number,
    options: DefectMapOptions = {},
  ) {
    this.radius = options.radius ?? DEFECT_DEFAULTS.radius;
    this.threshold = options.threshold ?? DEFECT_DEFAULTS.threshold;
    this.alpha = options.alpha ?? DEFECT_DEFAULTS.alpha;
    const n = width * height;
    this.bright = new Uint16Array(n);
    this.dark = new Uint16Array(n);
    this.sumZ = new Float32Array(n);
    this.pixels = Math.max(1, (width - 2 * this.radius) * (height - 2 * this.radius));
  }

  /** Adds one frame's scores (from outlierScores with the same radius). */
  add(z: Float32Array): void {
    if (z.length !== this.width * this.height)
      throw new Error(`expected ${this.width * this.height} scores, got ${z.length}`);
    if (this.frames >= 65_535) throw new Error('at most 65535 frames');
    const t = this.threshold;
    let b = 0;
    let d = 0;
    for (let i = 0; i < z.length; i++) {
      const v = z[i];
      this.sumZ[i] += v;
      if (v > t) {
        this.bright[i]++;
        b++;
      } else if (v < -t) {
        this.dark[i]++;
        d++;
      }
    }
    this.brightRate += b / this.pixels;
    this.darkRate += d / this.pixels;
    this.frames++;
  }

  result(): DefectEstimate {
    const F = this.frames;
    const rates = { bright: F ? this.brightRate / F : 0, dark: F ? this.darkRate / F : 0 };
    // the rule per sign: each sign's test has its own rate; α is split between them
    const hBright = minimumHits(F, rates.bright, this.pixels, this.alpha / 2);
    const hDark = minimumHits(F, rates.dark, this.pixels, this.alpha / 2);
    const candidates: Candidate[] = [];
    for (let i = 0; i < this.sumZ.length; i++) {
      const hot = this.bright[i] >= hBright;
      const dead = this.dark[i] >= hDark;
      if (!hot && !dead) continue;
      const score = this.sumZ[i] / F;
      const isHot = hot && (!dead || score > 0);
      candidates.push({ i, score, hits: isHot ? this.bright[i] : this.dark[i], hot: isHot });
    }
    // One defect per cluster (see the module comment, step 2).
    const defects = clusterDefects(candidates, this.width, this.radius);
    return {
      defects,
      frames: F,
      minHits: Math.min(hBright, hDark),
      rates,
      pixels: this.pixels,
      params: { radius: this.radius, threshold: this.threshold, alpha: this.alpha },
    };
  }
}

interface Candidate {
  i: number;
  score: number;
  hits: number;
  hot: boolean;
}

/**
 * Groups consistent pixels into defects. Demosaicing, sharpening and the JPEG blocks spread a
 * defect over its neighbourhood, with halos of either sign as strong as the pixel itself two
 * pixels away and weaker ringing up to a block (8 pixels) away. Strongest first, a candidate
 * within R + 1 of a cluster's seed joins that cluster; one within 2R + 2 of a clustered pixel at
 * least twice as strong is its ringing and is dropped; any other starts a cluster. A cluster's
 * position is the member nearest its centroid (weights score²) among the members at least half
 * as strong as its strongest: the middle of a symmetric halo is the defect.
 */
function clusterDefects(candidates: Candidate[], width: number, R: number): DefectPoint[] {
  candidates.sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.i - b.i);
  const xy = (c: Candidate): [number, number] => [c.i % width, Math.floor(c.i / width)];
  const dist = (a: Candidate, b: Candidate): number => {
    const [ax, ay] = xy(a);
    const [bx, by] = xy(b);
    return Math.max(Math.abs(ax - bx), Math.abs(ay - by));
  };
  const clusters: Candidate[][] = [];
  for (const c of candidates) {
    const home = clusters.find((cl) => dist(cl[0], c) <= R + 1);
    if (home) home.push(c);
    else if (
      !clusters.some((cl) =>
        cl.some((m) => dist(m, c) <= 2 * R + 2 && Math.abs(m.score) >= 2 * Math.abs(c.score)),
      )
    )
      clusters.push([c]);
  }
  return clusters
    .map((members): DefectPoint => {
      let wx = 0;
      let wy = 0;
      let w = 0;
      for (const m of members) {
        const [x, y] = xy(m);
        const mw = m.score * m.score;
        wx += mw * x;
        wy += mw * y;
        w += mw;
      }
      const cx = wx / w;
      const cy = wy / w;
      const strong = members.filter((m) => Math.abs(m.score) >= 0.5 * Math.abs(members[0].score));
      let best = strong[0];
      let bestD = Infinity;
      for (const m of strong) {
        const [x, y] = xy(m);
        const d = (x - cx) ** 2 + (y - cy) ** 2;
        if (d < bestD) {
          bestD = d;
          best = m;
        }
      }
      const [x, y] = xy(best);
      return {
        x,
        y,
        kind: best.hot ? 'hot' : 'dead',
        score: Math.round(best.score * 1000) / 1000,
        hits: best.hits,
      };
    })
    .sort((a, b) => a.y - b.y || a.x - b.x);
}

export interface DefectMatch {
  /** Map defects inside the photo's scored area (n). */
  tested: number;
  /** Of those, outliers of the expected sign in the photo (k). */
  hits: number;
  /** The photo's outliers of either sign (m) among its scored pixels (N). */
  outliers: number;
  pixels: number;
  /** n · m / N: hits expected by chance. */
  expectedByChance: number;
  /** P(X ≥ k) under the hypergeometric model (step 3), and its log10. */
  pCoincidence: number;
  log10PCoincidence: number;
  match: boolean;
  /** The map defects that were hit, with the photo's score there. */
  matched: { x: number; y: number; kind: DefectPoint['kind']; z: number }[];
}

/**
 * Compares a photo's outlier scores with a camera's map (step 3).
 * @param z the photo's scores (outlierScores), width·height, in the map's orientation
 */
export function matchDefects(
  z: Float32Array,
  width: number,
  height: number,
  map: readonly DefectPoint[],
  options: DefectMatchOptions & OutlierOptions = {},
): DefectMatch {
  const t = options.threshold ?? DEFECT_DEFAULTS.threshold;
  const maxP = options.maxP ?? DEFECT_DEFAULTS.maxP;
  const R = options.radius ?? DEFECT_DEFAULTS.radius;
  let m = 0;
  for (let i = 0; i < z.length; i++) if (Math.abs(z[i]) > t) m++;
  const N = Math.max(1, (width - 2 * R) * (height - 2 * R));
  let n = 0;
  const matched: DefectMatch['matched'] = [];
  for (const d of map) {
    if (d.x < R || d.y < R || d.x >= width - R || d.y >= height - R) continue;
    n++;
    const v = z[d.y * width + d.x];
    if (d.kind === 'dead' ? v < -t : v > t)
      matched.push({ x: d.x, y: d.y, kind: d.kind, z: Math.round(v * 100) / 100 });
  }
  const k = matched.length;
  const lnP = k === 0 ? 0 : lnHypergeometricTail(N, Math.min(m, N), n, k);
  const log10P = lnP / Math.LN10;
  return {
    tested: n,
    hits: k,
    outliers: m,
    pixels: N,
    expectedByChance: (n * m) / N,
    pCoincidence: Math.exp(lnP),
    log10PCoincidence: log10P,
    match: k > 0 && Math.exp(lnP) <= maxP,
    matched,
  };
}
