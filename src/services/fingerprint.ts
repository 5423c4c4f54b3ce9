/**
 * Fingerprint building as a service: images are decoded and reduced to Σ W·I and Σ I² in the
 * worker pool, one image per task, and merged here as they arrive, so memory stays at two
 * (h, w, 3) sums plus the images in flight, whatever their number (streamed).
 */
import { basename } from 'node:path';
import {
  FingerprintAccumulator,
  initFft,
  fingerprintFromSums,
  detect,
  RESIDUAL_DEFAULTS,
  type ResidualOptions,
} from '../prnu/index.js';
import { runSums, threadCount, centreCrop, cropArray, type SumsResult } from '../pool/index.js';
import { InputError } from '../util/errors.js';

export interface BuildOptions extends ResidualOptions {
  /** Side of the centre crop used for the per-image quality figures (default 256). */
  qualityCrop?: number;
  maxPixels?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface SourceImage {
  file: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
}

export interface FingerprintQuality {
  images: number;
  /**
   * Each image's PCE against the fingerprint of all the other images (leave-one-out, on the
   * centre crop): how consistently the images carry the same sensor pattern.
   */
  perImagePce: { file: string; pce: number | null }[];
  /** null with fewer than two images (nothing to leave one out against). */
  meanPce: number | null;
  minPce: number | null;
  /** Mean of K² (PRNU energy of the estimate). */
  prnuEnergy: number;
  /** Side of the crop the per-image PCEs were computed on. */
  qualityCrop: [number, number];
}

export interface BuiltFingerprint {
  width: number;
  height: number;
  fingerprint: Float32Array;
  sources: SourceImage[];
  quality: FingerprintQuality;
  params: Record<string, unknown>;
}

/** Builds a fingerprint from image files (all of one size and orientation). */
export async function buildFingerprint(
  files: readonly string[],
  opts: BuildOptions = {},
): Promise<BuiltFingerprint> {
  if (files.length === 0) throw new InputError('no images to build a fingerprint from');
  await initFft();
  const residualOpts: ResidualOptions = {
    levels: opts.levels ?? RESIDUAL_DEFAULTS.levels,
    sigma: opts.sigma ?? RESIDUAL_DEFAULTS.sigma,
    wienerSigma: opts.wienerSigma ?? RESIDUAL_DEFAULTS.wienerSigma,
  };
  const qualityCrop = opts.qualityCrop ?? 256;
  const task = (file: string, expect?: { width: number; height: number }) =>
    runSums({ file, options: residualOpts, qualityCrop, expect, maxPixels: opts.maxPixels });

  // The first image fixes the size; the rest stream through the pool, a few in flight.
  const first = await task(files[0]);
  const { width, height } = first;
  const acc = new FingerprintAccumulator(height, width, residualOpts);
  const crops: CropSums[] = [];
  const sources: SourceImage[] = [];
  let done = 0;
  const take = (r: SumsResult & { mismatch?: true }): void => {
    if (r.mismatch) {
      throw new InputError(
        `${r.file}: image is ${r.width}×${r.height} but the first image (${files[0]}) is ${width}×${height}; a fingerprint needs images of one size and orientation`,
      );
    }
    acc.merge({ rpSum: r.rpSum, nn: r.nn, count: 1 });
    sources.push({
      file: r.file,
      sha256: r.sha256,
      width: r.width,
      height: r.height,
      format: r.format,
      orientation: r.orientation,
    });
    crops.push(cropSums(r, width, height, qualityCrop));
    done++;
    opts.onProgress?.(done, files.length, r.file);
  };
  take(first);
  const inFlight = Math.max(1, threadCount());
  let next = 1;
  const running = new Map<number, Promise<SumsResult & { mismatch?: true }>>();
  const results = new Map<number, SumsResult & { mismatch?: true }>();
  let order = 1;
  while (order < files.length) {
    while (next < files.length && running.size < inFlight) {
      const i = next++;
      running.set(i, task(files[i], { width, height }));
    }
    const [i, r] = await Promise.race([...running].map(([k, p]) => p.then((v) => [k, v] as const)));
    running.delete(i);
    results.set(i, r);
    // Merge in file order so the float sums, and so the fingerprint, do not depend on timing.
    while (results.has(order)) {
      take(results.get(order)!);
      results.delete(order);
      order++;
    }
  }
  const fingerprint = acc.finish();
  const quality = qualityFigures(crops, fingerprint, residualOpts);
  return {
    width,
    height,
    fingerprint,
    sources,
    quality,
    params: {
      method: 'ml-fingerprint',
      wavelet: 'db4',
      ...residualOpts,
      wienerWindows: [3, 5, 7, 9],
      zeroMean: 'cfa-2x2-rows-cols',
      wienerDft: true,
      saturationMask: true,
    },
  };
}

/** The per-image sums restricted to the centre crop, plus the crop's own residual and intensity. */
interface CropSums {
  file: string;
  rpSum: Float32Array;
  nn: Float32Array;
  residual: Float32Array;
  intensity: Float32Array;
  ch: number;
  cw: number;
}

function cropSums(r: SumsResult, width: number, height: number, side: number): CropSums {
  const { y, x, ch, cw } = centreCrop(height, width, side);
  const rpSum = cropArray(r.rpSum, width, 3, y, x, ch, cw);
  const nn = cropArray(r.nn, width, 3, y, x, ch, cw);
  return { file: r.file, rpSum, nn, residual: r.cropResidual, intensity: r.cropIntensity, ch, cw };
}

/** Leave-one-out PCE of each image on the crop, and the PRNU energy of the full fingerprint. */
function qualityFigures(
  crops: CropSums[],
  fingerprint: Float32Array,
  _opts: ResidualOptions,
): FingerprintQuality {
  let energy = 0;
  for (let i = 0; i < fingerprint.length; i++) energy += fingerprint[i] * fingerprint[i];
  energy /= fingerprint.length;
  const { ch, cw } = crops[0];
  const perImagePce: { file: string; pce: number | null }[] = [];
  if (crops.length >= 2) {
    const n = ch * cw * 3;
    const rpAll = new Float32Array(n);
    const nnAll = new Float32Array(n);
    for (const c of crops) {
      for (let i = 0; i < n; i++) {
        rpAll[i] += c.rpSum[i];
        nnAll[i] += c.nn[i];
      }
    }
    for (const c of crops) {
      const rp = new Float32Array(n);
      const nn = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        rp[i] = rpAll[i] - c.rpSum[i];
        nn[i] = nnAll[i] - c.nn[i];
      }
      const k = fingerprintFromSums(rp, nn, ch, cw);
      const d = detect(
        { data: k, h: ch, w: cw },
        { data: c.residual, h: ch, w: cw },
        { data: c.intensity, h: ch, w: cw },
        { rotations: false },
      );
      perImagePce.push({
        file: basename(c.file),
        pce: d.comparable && Number.isFinite(d.pce) ? d.pce : null,
      });
    }
  }
  const pces = perImagePce.map((p) => p.pce).filter((p): p is number => p !== null);
  return {
    images: crops.length,
    perImagePce,
    meanPce: pces.length ? pces.reduce((a, b) => a + b, 0) / pces.length : null,
    minPce: pces.length ? Math.min(...pces) : null,
    prnuEnergy: energy,
    qualityCrop: [ch, cw],
  };
}
