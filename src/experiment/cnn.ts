/**
 * The CNN method through the deep-learning services: the data set (dl/dataset createDataset), the
 * training (dl startTraining, resumed from its last checkpoint after a kill), the evaluation on
 * the test split (dl evaluate, ONNX) and each photo's class probabilities on the validation and
 * test splits (the softmax averaged over the photo's crops, as evaluate does), which calibration
 * and fusion need.
 */
import { existsSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createDataset,
  readManifest,
  readShard,
  parseSplit,
  type DatasetSummary,
  type Manifest,
} from '../dl/dataset/index.js';
import {
  startTraining,
  loadModel,
  evaluate,
  predictCrops,
  type Evaluation,
  type EpochPoint,
} from '../dl/index.js';
import type { ExperimentSpec, NetworkSettings } from './spec.js';
import type { ExperimentData } from './data.js';
import type { Steps } from './steps.js';
import { writeFileAtomic } from '../util/atomic.js';

/** Builds (or finds, or resumes) `<out>/dataset` from the photo list. */
export async function datasetStep(
  spec: ExperimentSpec,
  data: ExperimentData,
  out: string,
  steps: Steps,
  log: (line: string) => void,
): Promise<{ dir: string; manifest: Manifest; hash: string; summary: Omit<DatasetSummary, 'dataset'> }> {
  const dir = join(out, 'dataset');
  const d = spec.dataset;
  const options = {
    input: d.input,
    crop: d.crop,
    cropsPerImage: d.cropsPerImage,
    split: parseSplit(d.split),
    splitBy: d.splitBy,
    testDevices: d.testDevices,
    maxImages: spec.data.maxImages,
    seed: spec.seed,
    levels: d.levels,
    sigma: d.sigma,
  };
  const r = await steps.run('dataset', { options, photos: data.hash }, async ({ stale }) => {
    let last = 0;
    const summary = await createDataset(
      {
        ...options,
        list: data.list,
        out: dir,
        overwrite: stale,
        onWarning: (line) => log(`dataset: ${line}`),
      },
      (p) => {
        if (performance.now() - last > 15_000) {
          last = performance.now();
          log(`dataset: ${p.phase} ${p.done}/${p.total} photos`);
        }
      },
    );
    const { dataset: _d, ...rest } = summary;
    void _d;
    return rest;
  });
  return { dir, manifest: readManifest(dir), hash: r.hash, summary: r.output };
}

/** The engine settings of a network spec (engine/config.py names). */
export function engineSettings(
  net: NetworkSettings,
  seed: number,
): Record<string, string | number | boolean> {
  return {
    epochs: net.epochs,
    lr: net.lr,
    batch_size: net.batch,
    optimizer: net.optimizer,
    lr_policy: net.policy,
    weight_decay: net.weightDecay,
    seed,
    checkpoint_every: net.checkpointEvery,
    ...net.settings,
  };
}

export interface TrainOutput {
  model: string;
  epochs: number;
  bestValAccuracy: number | null;
  seconds: number;
  curves: EpochPoint[];
}

/** Trains one network into `<out>/models/<id>`, resuming an interrupted run of the same step. */
export async function trainStep(
  spec: ExperimentSpec,
  net: NetworkSettings,
  dataset: { dir: string; hash: string },
  out: string,
  steps: Steps,
  log: (line: string) => void,
): Promise<{ output: TrainOutput; hash: string }> {
  const modelDir = join(out, 'models', net.id);
  const settings = engineSettings(net, spec.seed);
  const config = { network: net.network, settings, dataset: dataset.hash };
  const r = await steps.run(`train-${net.id}`, config, async ({ hash }) => {
    // The hash of the run that owns the folder: an interrupted run of the same step resumes.
    const owner = join(modelDir, 'experiment-step.txt');
    const mine = existsSync(owner) && readFileSync(owner, 'utf8').trim() === hash;
    const resume = mine && existsSync(join(modelDir, 'checkpoints', 'last.pt'));
    if (!mine) rmSync(modelDir, { recursive: true, force: true });
    writeFileAtomic(owner, hash + '\n');
    if (resume) log(`train-${net.id}: resuming from ${join(modelDir, 'checkpoints', 'last.pt')}`);
    const { result } = startTraining({
      dataset: dataset.dir,
      out: modelDir,
      network: net.network,
      settings,
      resume,
      name: net.id,
      onEpoch: (p) =>
        log(
          `train-${net.id}: epoch ${p.epoch}/${net.epochs} loss ${p.loss?.toFixed(4) ?? '—'} ` +
            `val acc ${p.valAccuracy === undefined ? '—' : (100 * p.valAccuracy).toFixed(2) + '%'}`,
        ),
    });
    const t = await result;
    if (t.status !== 'done') throw new Error(`training ${net.id} stopped before the end`);
    return {
      model: t.model,
      epochs: t.epochs,
      bestValAccuracy: t.bestValAccuracy,
      seconds: t.seconds,
      curves: t.curves,
    };
  });
  const curves = join(modelDir, 'curves.svg');
  if (existsSync(curves)) copyFileSync(curves, join(out, `curves-${net.id}.svg`));
  return { output: r.output, hash: r.hash };
}

/** Each photo's class probabilities (softmax averaged over its crops), by source index. */
export interface PhotoProbabilities {
  src: number;
  p: number[];
}

export interface CnnOutput {
  /** dl evaluate on the test split (image level, per crop, per class, confusion). */
  evaluation: Omit<Evaluation, 'seconds'> & { seconds: number };
  val: PhotoProbabilities[];
  test: PhotoProbabilities[];
}

/** Mean softmax over each photo's crops of one split, photos in source order. */
export async function photoProbabilities(
  model: Awaited<ReturnType<typeof loadModel>>,
  ds: string,
  manifest: Manifest,
  split: 'val' | 'test',
): Promise<PhotoProbabilities[]> {
  const k = manifest.classes.length;
  const sums = new Map<number, { p: Float64Array; n: number }>();
  for (let s = 0; s < manifest.shards[split].length; s++) {
    const shard = readShard(ds, split, s, manifest);
    const n = shard.y.length;
    const p = await predictCrops(model, shard.x, n);
    for (let i = 0; i < n; i++) {
      let acc = sums.get(shard.src[i]);
      if (!acc) sums.set(shard.src[i], (acc = { p: new Float64Array(k), n: 0 }));
      for (let j = 0; j < k; j++) acc.p[j] += p[i * k + j];
      acc.n++;
    }
  }
  return [...sums.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([src, { p, n }]) => ({ src, p: Array.from(p, (v) => v / n) }));
}

/** Evaluates a trained network (test) and keeps each val/test photo's probabilities. */
export async function evaluateStep(
  net: NetworkSettings,
  train: { output: TrainOutput; hash: string },
  dataset: { dir: string; manifest: Manifest },
  steps: Steps,
): Promise<{ output: CnnOutput; hash: string }> {
  const r = await steps.run(`evaluate-${net.id}`, { train: train.hash }, async () => {
    const model = await loadModel(train.output.model);
    const evaluation = await evaluate(model, dataset.dir, 'test');
    const val =
      dataset.manifest.shards.val.length > 0
        ? await photoProbabilities(model, dataset.dir, dataset.manifest, 'val')
        : [];
    const test = await photoProbabilities(model, dataset.dir, dataset.manifest, 'test');
    await model.session.release();
    return { evaluation, val, test };
  });
  return { output: r.output, hash: r.hash };
}
