/**
 * The two pool tasks of blind clustering (run on worker threads by pool/worker.ts):
 *   clusterCrop: decode a photo, cut its centred crop, compute the crop's residual, weight it and
 *     make it zero-mean and unit-norm: one row of the matrix X whose Gram matrix is the NCCs;
 *   clusterDots: one tile of X·Xᵀ from two blocks of rows held in shared memory.
 */
import { centreCrop, decodeImage } from '../image/index.js';
import { extractResidual, initFft, rgbToGrey, type ResidualOptions } from '../prnu/index.js';
import { InputError } from '../util/errors.js';
import { dotBlock, normaliseUnit } from './ncc.js';
import { weightResidual, type WeightOptions } from './weight.js';

/** Smallest crop side clustering works on (the wavelet filter needs room; so does the statistic). */
export const MIN_CROP = 64;

export interface ClusterCropTask {
  kind: 'clusterCrop';
  file: string;
  /** Largest side of the centred crop (each side is min(side, image side), rounded down to even). */
  side: number;
  options: ResidualOptions;
  /** Pixel weighting (weight.ts); false: the plain residual. */
  weight: WeightOptions | false;
  maxPixels?: number;
}

export interface ClusterCropResult {
  file: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  /** The crop's rows × columns and its top-left corner in the photo. */
  ch: number;
  cw: number;
  y: number;
  x: number;
  /** Weighted residual of the crop, zero-mean and unit-norm, (ch, cw) row-major. */
  crop: Float32Array;
  /** Norm before normalisation (0: nothing to correlate, e.g. a saturated or constant crop). */
  norm: number;
}

export interface ClusterDotsTask {
  kind: 'clusterDots';
  /** Rows of X (rowsA, N) and (rowsB, N), views of shared memory; row counts multiples of 4. */
  a: Float32Array;
  rowsA: number;
  b: Float32Array;
  rowsB: number;
  N: number;
  /** a and b are the same block: compute one triangle and mirror it. */
  symmetric: boolean;
}

/** Decode → centred crop → residual of the crop → weighting → zero-mean, unit-norm. */
export async function clusterCrop(task: ClusterCropTask): Promise<ClusterCropResult> {
  await initFft();
  const img = await decodeImage(task.file, { maxPixels: task.maxPixels });
  const { width, height } = img;
  const { y, x, ch, cw } = centreCrop(height, width, task.side);
  if (ch < MIN_CROP || cw < MIN_CROP)
    throw new InputError(
      `${task.file}: image ${width}×${height} is too small to cluster (${MIN_CROP}×${MIN_CROP} at least)`,
    );
  const rgb = new Float32Array(ch * cw * 3);
  for (let r = 0; r < ch; r++) {
    const src = ((y + r) * width + x) * 3;
    rgb.set(img.rgb.subarray(src, src + cw * 3), r * cw * 3);
  }
  const residual = extractResidual(rgb, ch, cw, task.options);
  const crop =
    task.weight === false ? residual : weightResidual(residual, rgbToGrey(rgb), ch, cw, task.weight);
  const norm = normaliseUnit(crop);
  return {
    file: task.file,
    sha256: img.sha256,
    width,
    height,
    format: img.format,
    orientation: img.orientation,
    ch,
    cw,
    y,
    x,
    crop,
    norm,
  };
}

/** One tile of dot products (ncc.ts: dotBlock), as float64. */
export function clusterDots(task: ClusterDotsTask): Float64Array {
  const out = new Float64Array(task.rowsA * task.rowsB);
  return dotBlock(task.a, task.rowsA, task.b, task.rowsB, task.N, out, task.symmetric);
}
