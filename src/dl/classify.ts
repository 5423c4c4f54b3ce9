/**
 * Top-5 for photos: each photo's network input (residual, colour residual or pixels, computed as
 * the data set did) is cut into crops on an even-offset grid that does not follow the 8×8 JPEG
 * grid, every crop is classified, and the probabilities are averaged over the photo.
 */
import { decodeImage } from '../image/index.js';
import { initFft } from '../prnu/index.js';
import { inputOf, gridOffsets, cutCrops } from './dataset/index.js';
import { predictCrops, topK, type LoadedModel } from './model.js';
import { InputError } from '../util/errors.js';

export interface Classification {
  file: string;
  sha256: string;
  crops: number;
  top: { class: string; probability: number }[];
}

export interface ClassifyOptions {
  /** Crops per photo (default 32). */
  crops?: number;
  /** How many classes to list (default 5). */
  top?: number;
  levels?: number;
  sigma?: number;
}

export async function classifyFile(
  model: LoadedModel,
  file: string,
  opts: ClassifyOptions = {},
): Promise<Classification> {
  await initFft();
  const { crop: s, channels: c, classes, input } = model.info;
  const img = await decodeImage(file);
  const { width: w, height: h } = img;
  if (w < s || h < s)
    throw new InputError(`${file}: image ${w}×${h} is smaller than the model's ${s}×${s} crop`);
  const { data } = inputOf(img.rgb, h, w, input, { levels: opts.levels, sigma: opts.sigma });
  const offsets = gridOffsets(h, w, s, opts.crops ?? 32);
  const n = offsets.length;
  const crops = cutCrops(data, c, h, w, s, offsets);
  const k = classes.length;
  const p = await predictCrops(model, crops, n);
  const mean = new Float32Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j] += p[i * k + j] / n;
  return {
    file,
    sha256: img.sha256,
    crops: n,
    top: topK(mean, 0, k, Math.min(opts.top ?? 5, k)).map((j) => ({
      class: classes[j],
      probability: mean[j],
    })),
  };
}
