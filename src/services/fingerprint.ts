/**
 * Fingerprint building as a service: images are decoded and reduced to Σ W·I and Σ I² in the
 * worker pool, one image per task, and merged here as they arrive, so memory stays at two
 * (h, w, 3) sums plus the images in flight, whatever their number (streamed).
 */
import { basename, resolve } from 'node:path';
import type { FingerprintRecord, Store } from '../store/index.js';
import {
  FingerprintAccumulator,
  initFft,
  fingerprintFromSums,
  detect,
  RESIDUAL_DEFAULTS,
  DEFAULT_WINDOWS,
  type ResidualOptions,
} from '../prnu/index.js';
import { runSums, threadCount, type CropSums, type ImageMeta } from '../pool/index.js';
import { probeImage } from '../image/index.js';
import { InputError } from '../util/errors.js';
import { makeDigest } from '../search/digest.js';

export interface BuildOptions extends ResidualOptions {
  /** Side of the centre crop used for the per-image quality figures (default 256). */
  qualityCrop?: number;
  maxPixels?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

/** An image a fingerprint was estimated from. */
export type SourceImage = ImageMeta;

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

/**
 * Builds a fingerprint from image files (all of one size and orientation). The files are dealt
 * round-robin to one task per worker thread; each streams its share through its own
 * accumulator and returns one pair of sums, which are added here.
 */
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
  // The first image's header fixes the size every image must have.
  const { width, height } = await probeImage(files[0], undefined, { maxPixels: opts.maxPixels });
  const shares = Math.max(1, Math.min(threadCount(), files.length));
  let done = 0;
  const results = await Promise.all(
    Array.from({ length: shares }, (_, k) =>
      runSums(
        {
          files: files.filter((_, i) => i % shares === k),
          options: residualOpts,
          expect: { width, height, file: files[0] },
          qualityCrop,
          maxPixels: opts.maxPixels,
        },
        (file) => opts.onProgress?.(++done, files.length, file),
      ),
    ),
  );
  const acc = new FingerprintAccumulator(height, width, residualOpts);
  for (const r of results) acc.merge(r);
  // Back to the order the files were given in.
  const rank = new Map(files.map((f, i) => [f, i]));
  const byOrder = <T extends { file: string }>(list: T[]): T[] =>
    list.sort((a, b) => rank.get(a.file)! - rank.get(b.file)!);
  const sources: SourceImage[] = byOrder(results.flatMap((r) => r.sources));
  const crops = byOrder(results.flatMap((r) => r.crops));
  const fingerprint = acc.finish();
  return {
    width,
    height,
    fingerprint,
    sources,
    quality: qualityFigures(crops, fingerprint),
    params: {
      method: 'ml-fingerprint',
      ...residualParams(residualOpts),
      saturationMask: true,
      threads: shares,
    },
  };
}

/**
 * How residuals are extracted with these options, every parameter named (for a fingerprint's
 * stored params and a report's methods section): db4 wavelet, `levels` levels, Wiener shrinkage
 * of the detail sub-bands with noise σ and windows, CFA zero-mean, Wiener filtering in the DFT domain.
 */
export function residualParams(opts: ResidualOptions = {}): Record<string, unknown> {
  return {
    wavelet: 'db4',
    levels: opts.levels ?? RESIDUAL_DEFAULTS.levels,
    sigma: opts.sigma ?? RESIDUAL_DEFAULTS.sigma,
    wienerSigma: opts.wienerSigma ?? RESIDUAL_DEFAULTS.wienerSigma,
    wienerWindows: [...DEFAULT_WINDOWS],
    zeroMean: 'cfa-2x2-rows-cols',
    wienerDft: true,
  };
}

/** Stores a built fingerprint under a camera name, with its source images (paths made absolute). */
export function saveFingerprint(
  store: Store,
  camera: string,
  built: BuiltFingerprint,
  about: { model?: string; device?: string } = {},
): Promise<FingerprintRecord> {
  return store.putFingerprint({
    camera,
    ...about,
    width: built.width,
    height: built.height,
    images: built.sources.length,
    quality: { ...built.quality },
    params: built.params,
    data: built.fingerprint,
    digest: makeDigest(built.fingerprint),
    sources: built.sources.map((s) => ({
      sha256: s.sha256,
      path: resolve(s.file),
      width: s.width,
      height: s.height,
      format: s.format,
      orientation: s.orientation,
    })),
  });
}

/** Leave-one-out PCE of each image on the crop, and the PRNU energy of the full fingerprint. */
function qualityFigures(crops: CropSums[], fingerprint: Float32Array): FingerprintQuality {
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
