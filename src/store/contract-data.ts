/**
 * Test data for the Store contract (contract.ts) and its writer processes (contract-writer.ts).
 */
import { createHash } from 'node:crypto';
import type {
  DatasetInput,
  ImageInput,
  JpegTableSetInput,
  MatchInput,
  ModelInput,
  PutDefectMapInput,
  PutFingerprintInput,
} from './types.js';

/** Deterministic pseudo-random 32-bit words (mulberry32). */
export function words(seed: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}

export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function imageInput(tag: string, extra: Partial<ImageInput> = {}): ImageInput {
  return {
    sha256: sha256Of(tag),
    path: `/evidence/${tag}.jpg`,
    width: 640,
    height: 480,
    format: 'jpeg',
    ...extra,
  };
}

/** A small fingerprint whose values depend on `seed`. */
export function fingerprintInput(
  camera: string,
  seed: number,
  extra: Partial<PutFingerprintInput> = {},
): PutFingerprintInput {
  const width = 8;
  const height = 6;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 131 + i) * 0.01;
  return {
    camera,
    width,
    height,
    images: 2,
    quality: { meanPce: 1000 + seed, energy: 0.5 },
    params: { sigma: 5, levels: 4 },
    data,
    sources: [imageInput(`${camera}-${seed}-a`), imageInput(`${camera}-${seed}-b`)],
    ...extra,
  };
}

/** A match of image `tag` with camera "cam". */
export function matchInput(tag: string): MatchInput {
  return {
    image: imageInput(tag),
    camera: 'cam',
    pce: 812.25,
    ncc: 0.0125,
    pFalseAlarm: 1e-180,
    shiftY: 4,
    decision: 'match',
    threshold: 60,
    params: { search: 'full' },
  };
}

/** A data set summary whose manifest hash and counts depend on `seed`. */
export function datasetInput(name: string, seed: number, extra: Partial<DatasetInput> = {}): DatasetInput {
  return {
    name,
    path: `/data/datasets/${name}`,
    manifestSha256: sha256Of(`manifest ${name} ${seed}`),
    input: 'residual-rgb',
    crop: 256,
    classes: ['SimCam01', 'SimCam02', 'SimCam03'],
    counts: { train: 4096 + seed, val: 512, test: 768 },
    images: { train: 256, val: 32, test: 48 },
    params: { cropsPerImage: 16, seed, split: { train: 75, val: 10, test: 15 }, splitBy: 'photo' },
    ...extra,
  };
}

/** One epoch's figures, as the engine reports them. */
export function epochCurve(epoch: number): Record<string, unknown> {
  return {
    epoch,
    loss: 2 / epoch,
    accuracy: 0.5 + epoch / 100,
    valLoss: 2.5 / epoch,
    valAccuracy: 0.45 + epoch / 100,
    lr: 0.001,
    imagesPerSecond: 205.25,
  };
}

/** A model in training on data set "ds", one epoch done. */
export function modelInput(name: string, extra: Partial<ModelInput> = {}): ModelInput {
  return {
    name,
    path: `/data/models/${name}`,
    dataset: 'ds',
    network: 'resnet18',
    status: 'training',
    config: { batchSize: 64, epochs: 10, lr: 0.001, network: 'resnet18', seed: 1 },
    epochs: 1,
    bestValAccuracy: 0.46,
    curves: [epochCurve(1)],
    metrics: null,
    error: null,
    ...extra,
  };
}

/** A set of JPEG tables whose values depend on `seed`, seen in the images `tags`. */
export function jpegTableSet(seed: number, tags: string[]): JpegTableSetInput {
  const luma = Array.from({ length: 64 }, (_, i) => 1 + ((i * seed) % 50));
  const chroma = Array.from({ length: 64 }, (_, i) => 2 + ((i + seed) % 40));
  return {
    quality: 80 + (seed % 20),
    tables: { quant: [luma, chroma], subsampling: '4:2:0', huffman: 'standard' },
    sources: tags.map((t) => imageInput(t)),
  };
}

/** A defect map of a 64×48 frame with `n` defects placed by `seed`, in no particular order. */
export function defectMapInput(
  camera: string,
  seed: number,
  n = 5,
  extra: Partial<PutDefectMapInput> = {},
): PutDefectMapInput {
  const defects: PutDefectMapInput['defects'] = [];
  for (let i = 0; i < n; i++) {
    defects.push({
      x: (seed * 7 + i * 13) % 64,
      y: 47 - ((seed + i * 5) % 48),
      kind: i % 3 === 0 ? 'dead' : 'hot',
      score: i % 3 === 0 ? -12.5 - i : 9.25 + i,
      hits: 20 - i,
    });
  }
  return {
    camera,
    width: 64,
    height: 48,
    frames: 20,
    params: { threshold: 5, minHits: 3 },
    defects,
    sources: [imageInput(`${camera}-dark-${seed}-a`), imageInput(`${camera}-dark-${seed}-b`)],
    ...extra,
  };
}
