/**
 * Evaluation of a trained model on a data set split, in TypeScript with onnxruntime (no Python):
 * crop-level and image-level top-1/top-5 (image level: the softmax averaged over a photo's
 * crops), per-class accuracy and the image-level confusion matrix (rows: true, columns: predicted).
 */
import { readManifest, readShard } from './dataset/index.js';
import { predictCrops, topK, type LoadedModel } from './model.js';
import { InputError } from '../util/errors.js';

export type Split = 'train' | 'val' | 'test';

export interface Evaluation {
  split: Split;
  classes: string[];
  /** Image-level (the paper reports per crop; camprint decides per photo). */
  top1: number;
  top5: number;
  crop: { top1: number; top5: number; crops: number };
  images: number;
  perClass: Record<string, { images: number; correct: number; accuracy: number | null }>;
  /** confusion[true][predicted], image counts. */
  confusion: number[][];
  seconds: number;
}

/** The model and the data set must agree on input, channels, crop and classes. */
export function checkCompatible(model: LoadedModel, ds: string, m: ReturnType<typeof readManifest>): void {
  const i = model.info;
  const problems: string[] = [];
  if (i.input !== m.input) problems.push(`input ${m.input} vs the model's ${i.input}`);
  if (i.channels !== m.channels) problems.push(`${m.channels} channels vs ${i.channels}`);
  if (i.crop !== m.crop) problems.push(`crop ${m.crop} vs ${i.crop}`);
  if (i.classes.join('\u0000') !== m.classes.join('\u0000'))
    problems.push(`classes [${m.classes.join(', ')}] vs [${i.classes.join(', ')}]`);
  if (problems.length)
    throw new InputError(`${ds}: data set does not fit model ${model.dir}: ${problems.join('; ')}`);
}

export async function evaluate(
  model: LoadedModel,
  ds: string,
  split: Split = 'test',
  onProgress?: (done: number, total: number) => void,
): Promise<Evaluation> {
  const t0 = performance.now();
  const m = readManifest(ds);
  checkCompatible(model, ds, m);
  const k = m.classes.length;
  const top = Math.min(5, k);
  const shards = m.shards[split];
  const total = shards.reduce((a, s) => a + s.count, 0);
  if (total === 0) throw new InputError(`${ds}: the ${split} split is empty`);
  // Image level: summed probabilities per source photo.
  const sums = new Map<number, Float64Array>();
  let crops = 0;
  let hit1 = 0;
  let hit5 = 0;
  for (let s = 0; s < shards.length; s++) {
    const shard = readShard(ds, split, s, m);
    const n = shard.y.length;
    const p = await predictCrops(model, shard.x, n);
    for (let i = 0; i < n; i++) {
      const best = topK(p, i, k, top);
      if (best[0] === shard.y[i]) hit1++;
      if (best.includes(shard.y[i])) hit5++;
      let acc = sums.get(shard.src[i]);
      if (!acc) sums.set(shard.src[i], (acc = new Float64Array(k)));
      for (let j = 0; j < k; j++) acc[j] += p[i * k + j];
    }
    crops += n;
    onProgress?.(crops, total);
  }
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let img1 = 0;
  let img5 = 0;
  for (const [src, acc] of sums) {
    const truth = m.sources[src].class;
    const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => acc[b] - acc[a]);
    confusion[truth][order[0]]++;
    if (order[0] === truth) img1++;
    if (order.slice(0, top).includes(truth)) img5++;
  }
  const perClass: Evaluation['perClass'] = {};
  m.classes.forEach((name, c) => {
    const images = confusion[c].reduce((a, b) => a + b, 0);
    perClass[name] = { images, correct: confusion[c][c], accuracy: images ? confusion[c][c] / images : null };
  });
  return {
    split,
    classes: m.classes,
    top1: img1 / sums.size,
    top5: img5 / sums.size,
    crop: { top1: hit1 / crops, top5: hit5 / crops, crops },
    images: sums.size,
    perClass,
    confusion,
    seconds: (performance.now() - t0) / 1000,
  };
}
