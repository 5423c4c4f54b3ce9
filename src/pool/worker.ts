/**
 * Worker-thread tasks for the heavy per-image loops (decode → residual / fingerprint sums).
 * Each task returns typed arrays moved (not copied) back to the main thread.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { MessagePort } from 'node:worker_threads';
import { centreCrop, decodeImage, type DecodedImage } from '../image/index.js';
import { InputError } from '../util/errors.js';
import {
  initFft,
  extractResidual,
  rgbToGrey,
  FingerprintAccumulator,
  noiseExtractPlane,
  finishResidual,
  channel,
  type ResidualOptions,
} from '../prnu/index.js';
import {
  cropOffsets,
  inputOf,
  photoSeed,
  storedCrops,
  type InputKind,
  type Offset,
} from '../dl/dataset/input.js';
import { clusterCrop, clusterDots, type ClusterCropTask, type ClusterDotsTask } from '../cluster/task.js';
import { digestScores, type DigestScoresTask } from '../search/task.js';

export interface ResidualTask {
  kind: 'residual';
  file: string;
  options: ResidualOptions;
  maxPixels?: number;
}

/** What is recorded of every image read: identity (hash), size, format, EXIF orientation. */
export interface ImageMeta {
  file: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  bitDepth: number;
}

/** The ImageMeta of a decoded image. */
export function imageMeta(file: string, img: DecodedImage): ImageMeta {
  const { sha256, width, height, format, orientation, bitDepth } = img;
  return { file, sha256, width, height, format, orientation, bitDepth };
}

export interface ResidualResult extends ImageMeta {
  residual: Float32Array;
  /** Grey intensity of the image, 0–255 (the I of the detector's I·K). */
  intensity: Float32Array;
}

/**
 * Fingerprint sums over a share of the images: the worker streams its files through one
 * accumulator and returns a single pair of sums, so per-image arrays never leave the thread.
 */
export interface SumsTask {
  kind: 'sums';
  files: string[];
  options: ResidualOptions;
  /** Size every image must have, and the image that set it (for the error message). */
  expect: { width: number; height: number; file: string };
  /** Side of the centre crop kept for the leave-one-out quality figure. */
  qualityCrop: number;
  maxPixels?: number;
  /** Receives `{ file }` after each image. */
  progress?: MessagePort;
}

/** One image's contribution on the centre crop, for leave-one-out quality figures. */
export interface CropSums {
  file: string;
  rpSum: Float32Array;
  nn: Float32Array;
  residual: Float32Array;
  intensity: Float32Array;
  ch: number;
  cw: number;
}

export interface SumsResult {
  rpSum: Float32Array;
  nn: Float32Array;
  count: number;
  sources: ImageMeta[];
  crops: CropSums[];
}

/** noise_extract of one colour channel of pixels shared by the caller (one third of a residual). */
export interface ChannelTask {
  kind: 'channel';
  /** Interleaved RGB (h, w, 3), 0–255, in a SharedArrayBuffer. */
  rgb: Float32Array;
  height: number;
  width: number;
  channel: number;
  options: ResidualOptions;
}

/** ZeroMeanTotal + DFT-domain Wiener of a grey residual (the last steps of a residual). */
export interface FinishTask {
  kind: 'finish';
  grey: Float32Array;
  height: number;
  width: number;
  wienerSigma: number;
}

/**
 * One photo of a deep-learning data set: decode, compute the network input (residual, colour
 * residual or pixels), cut `count` random crops at even offsets seeded by (seed, the photo's
 * SHA-256), round them to float16. Only the crops come back (moved, not copied).
 */
export interface CropsTask {
  kind: 'crops';
  file: string;
  input: InputKind;
  crop: number;
  count: number;
  /** The data set's seed; each photo's crops are drawn from photoSeed(seed, sha256). */
  seed: number;
  options: ResidualOptions;
  maxPixels?: number;
}

export interface CropsResult extends ImageMeta {
  /** (count, channels, crop, crop) float16 bits, channel-first. */
  x: Uint16Array;
  count: number;
  channels: number;
  offsets: Offset[];
  /** Per channel, over the stored values: count · crop² values, their mean and Σ(v − mean)². */
  n: number;
  mean: number[];
  m2: number[];
}

export type Task =
  ResidualTask | SumsTask | ChannelTask | FinishTask | CropsTask | ClusterTask | DigestScoresTask;

/** Blind clustering's tasks (cluster/task.ts). */
export type ClusterTask = ClusterCropTask | ClusterDotsTask;

/** Copies the (ch, cw) window at (y, x) of a (h, w, channels) array. */
export function cropArray(
  a: Float32Array,
  w: number,
  channels: number,
  y: number,
  x: number,
  ch: number,
  cw: number,
): Float32Array {
  const out = new Float32Array(ch * cw * channels);
  for (let r = 0; r < ch; r++) {
    const src = ((y + r) * w + x) * channels;
    out.set(a.subarray(src, src + cw * channels), r * cw * channels);
  }
  return out;
}

/**
 * Wraps a result so that piscina transfers the listed buffers instead of copying them
 * (its documented Transferable protocol: the transferable and valueOf symbols).
 */
function movable<T>(value: T, buffers: ArrayBuffer[]): unknown {
  return move({ [transferableSymbol]: buffers, [valueSymbol]: value } as never);
}

/** Bad input crosses the thread boundary as data (error classes do not survive it). */
export interface InputFailure {
  inputError: string;
}

export default async function run(task: Task): Promise<unknown> {
  try {
    return await runTask(task);
  } catch (err) {
    if (err instanceof InputError) return { inputError: err.message } satisfies InputFailure;
    throw err;
  }
}

async function runTask(task: Task): Promise<unknown> {
  switch (task.kind) {
    case 'sums':
      return runSumsTask(task);
    case 'residual':
      return runResidualTask(task);
    case 'crops':
      return runCropsTask(task);
    case 'channel': {
      const { rgb, height, width, options } = task;
      const plane = noiseExtractPlane(
        channel(rgb, task.channel),
        height,
        width,
        options.levels ?? 4,
        options.sigma ?? 5,
      );
      return movable(plane, [plane.buffer as ArrayBuffer]);
    }
    case 'finish': {
      await initFft();
      const out = finishResidual(task.grey, task.height, task.width, task.wienerSigma);
      return movable(out, [out.buffer as ArrayBuffer]);
    }
    case 'clusterCrop': {
      const r = await clusterCrop(task);
      return movable(r, [r.crop.buffer as ArrayBuffer]);
    }
    case 'clusterDots': {
      const out = clusterDots(task);
      return movable(out, [out.buffer as ArrayBuffer]);
    }
    case 'digestScores': {
      const out = digestScores(task);
      return movable(out, [out.buffer as ArrayBuffer]);
    }
  }
}

async function runResidualTask(task: ResidualTask): Promise<unknown> {
  await initFft();
  const img = await decodeImage(task.file, { maxPixels: task.maxPixels });
  const { width, height } = img;
  const residual = extractResidual(img.rgb, height, width, task.options);
  const intensity = rgbToGrey(img.rgb);
  const result: ResidualResult = { ...imageMeta(task.file, img), residual, intensity };
  return movable(result, [residual.buffer, intensity.buffer] as ArrayBuffer[]);
}

async function runSumsTask(task: SumsTask): Promise<unknown> {
  await initFft();
  const { width, height } = task.expect;
  const acc = new FingerprintAccumulator(height, width, task.options);
  const sources: ImageMeta[] = [];
  const crops: CropSums[] = [];
  const { y, x, ch, cw } = centreCrop(height, width, task.qualityCrop);
  for (const file of task.files) {
    const img = await decodeImage(file, { maxPixels: task.maxPixels });
    if (img.width !== width || img.height !== height) {
      throw new InputError(
        `${file}: image is ${img.width}×${img.height} but the first image (${task.expect.file}) is ${width}×${height}; a fingerprint needs images of one size and orientation`,
      );
    }
    // This image's own sums on the crop: the accumulator's crop before and after adding it.
    const rpBefore = cropArray(acc.rpSum, width, 3, y, x, ch, cw);
    const nnBefore = cropArray(acc.nn, width, 3, y, x, ch, cw);
    acc.add(img.rgb);
    const rpCrop = cropArray(acc.rpSum, width, 3, y, x, ch, cw);
    const nnCrop = cropArray(acc.nn, width, 3, y, x, ch, cw);
    for (let i = 0; i < rpCrop.length; i++) {
      rpCrop[i] -= rpBefore[i];
      nnCrop[i] -= nnBefore[i];
    }
    const cropRgb = cropArray(img.rgb, width, 3, y, x, ch, cw);
    crops.push({
      file,
      rpSum: rpCrop,
      nn: nnCrop,
      residual: extractResidual(cropRgb, ch, cw, task.options),
      intensity: rgbToGrey(cropRgb),
      ch,
      cw,
    });
    sources.push(imageMeta(file, img));
    task.progress?.postMessage({ file });
  }
  const result: SumsResult = { rpSum: acc.rpSum, nn: acc.nn, count: acc.count, sources, crops };
  return movable(result, [acc.rpSum.buffer, acc.nn.buffer] as ArrayBuffer[]);
}

async function runCropsTask(task: CropsTask): Promise<unknown> {
  await initFft();
  const img = await decodeImage(task.file, { maxPixels: task.maxPixels });
  const { width, height } = img;
  if (width < task.crop || height < task.crop) {
    throw new InputError(
      `${task.file}: image ${width}×${height} is smaller than the ${task.crop}×${task.crop} crop`,
    );
  }
  const { data, channels } = inputOf(img.rgb, height, width, task.input, task.options);
  const offsets = cropOffsets(height, width, task.crop, task.count, photoSeed(task.seed, img.sha256));
  const { x, n, mean, m2 } = storedCrops(data, channels, height, width, task.crop, offsets);
  const result: CropsResult = {
    ...imageMeta(task.file, img),
    x,
    count: offsets.length,
    channels,
    offsets,
    n,
    mean,
    m2,
  };
  return movable(result, [x.buffer as ArrayBuffer]);
}
