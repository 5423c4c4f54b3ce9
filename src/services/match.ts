/**
 * Matching a photo against fingerprints: the residual is extracted once (worker pool), then
 * each fingerprint is tested with the PCE detector (prnu/detect).
 */
import {
  initFft,
  detect,
  rgbToGrey,
  GREY_WEIGHTS,
  type DetectOptions,
  type Detection,
  type ResidualOptions,
} from '../prnu/index.js';
import { runChannel, runFinish, imageMeta, type ResidualResult } from '../pool/index.js';
import { decodeImage } from '../image/index.js';

export interface CandidateFingerprint {
  camera: string;
  width: number;
  height: number;
  data: Float32Array;
}

export interface MatchResult {
  camera: string;
  comparable: boolean;
  /** Why not comparable (sizes), when comparable is false. */
  reason?: string;
  pce: number | null;
  ncc: number | null;
  pFalseAlarm: number | null;
  log10PFalseAlarm: number | null;
  shift: [number, number] | null;
  rotation: number | null;
  match: boolean;
  threshold: number;
  tests?: number;
  /**
   * The correlation surface around the peak, when asked for (`surfaceRadius` in the options):
   * (2r+1)² values, row-major, centred on `shift`, in units of the RMS correlation away from the
   * peak, so the centre is sign·√PCE and values where nothing lines up are about N(0, 1).
   */
  surface?: { radius: number; values: number[] };
}

export interface MatchReport {
  file: string;
  sha256: string;
  width: number;
  height: number;
  orientation: number;
  results: MatchResult[];
  seconds: number;
}

export interface MatchOptions extends DetectOptions, ResidualOptions {
  maxPixels?: number;
}

/** Extracts the query's residual (in the pool). */
/**
 * The residual of one query image, with its latency cut by splitting it over the pool: the
 * pixels are decoded here into shared memory, the three colour channels' wavelet filtering run
 * in parallel, and the grey combination's zero-mean + DFT Wiener run as one more task.
 */
export async function queryResidual(file: string, opts: MatchOptions = {}): Promise<ResidualResult> {
  const options = { levels: opts.levels, sigma: opts.sigma, wienerSigma: opts.wienerSigma };
  const img = await decodeImage(file, { maxPixels: opts.maxPixels, shared: true });
  const { width, height } = img;
  const planes = await Promise.all(
    [0, 1, 2].map((channel) => runChannel({ rgb: img.rgb, height, width, channel, options })),
  );
  const grey = new Float32Array(width * height);
  for (let c = 0; c < 3; c++) {
    const k = GREY_WEIGHTS[c];
    const p = planes[c];
    for (let i = 0; i < grey.length; i++) grey[i] += k * p[i];
  }
  const residual = await runFinish({ grey, height, width, wienerSigma: opts.wienerSigma ?? 0 });
  return { ...imageMeta(file, img), residual, intensity: rgbToGrey(img.rgb) };
}

/** Tests one fingerprint against an extracted query. */
export function testFingerprint(
  q: ResidualResult,
  k: CandidateFingerprint,
  opts: DetectOptions = {},
): MatchResult {
  const d = detect(
    { data: k.data, h: k.height, w: k.width },
    { data: q.residual, h: q.height, w: q.width },
    { data: q.intensity, h: q.height, w: q.width },
    opts,
  );
  const threshold = opts.threshold ?? 60;
  if (!d.comparable) {
    return {
      camera: k.camera,
      comparable: false,
      reason: d.reason,
      pce: null,
      ncc: null,
      pFalseAlarm: null,
      log10PFalseAlarm: null,
      shift: null,
      rotation: null,
      match: false,
      threshold,
    };
  }
  const r: Detection = d;
  return {
    camera: k.camera,
    comparable: true,
    pce: r.pce,
    ncc: r.ncc,
    pFalseAlarm: r.pFalseAlarm,
    log10PFalseAlarm: r.log10PFalseAlarm,
    shift: r.shift,
    rotation: r.rotation,
    match: r.match,
    threshold,
    tests: r.tests,
    ...(r.surface ? { surface: { radius: r.surface.radius, values: Array.from(r.surface.values) } } : {}),
  };
}

/** Matches one image file against the given fingerprints (loaded lazily, one at a time). */
export async function matchFile(
  file: string,
  candidates: Iterable<CandidateFingerprint> | AsyncIterable<CandidateFingerprint>,
  opts: MatchOptions = {},
): Promise<MatchReport> {
  const t0 = performance.now();
  await initFft();
  const q = await queryResidual(file, opts);
  const results: MatchResult[] = [];
  for await (const k of candidates) results.push(testFingerprint(q, k, opts));
  return {
    file,
    sha256: q.sha256,
    width: q.width,
    height: q.height,
    orientation: q.orientation,
    results,
    seconds: (performance.now() - t0) / 1000,
  };
}
