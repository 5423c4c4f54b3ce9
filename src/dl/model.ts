/**
 * A trained model as TypeScript uses it: the ONNX network run by onnxruntime-node (no Python),
 * with what it was trained on (model.json, docs/dl-format.md).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { threadCount } from '../pool/index.js';

const ModelInfo = z.object({
  classes: z.array(z.string()).min(2),
  input: z.enum(['residual', 'residual-rgb', 'rgb']),
  channels: z.number().int().positive(),
  crop: z.number().int().positive(),
  network: z.string(),
  dataset: z.string().nullable().optional(),
  bestValAccuracy: z.number().nullable().optional(),
  epochs: z.number().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export interface LoadedModel {
  dir: string;
  info: ModelInfo;
  session: ort.InferenceSession;
}

/** Opens `<dir>/model.json` and `<dir>/model.onnx`. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const root = resolve(dir);
  const infoPath = join(root, 'model.json');
  const onnxPath = join(root, 'model.onnx');
  if (!existsSync(infoPath) || !existsSync(onnxPath)) {
    throw new InputError(
      `${dir}: not a trained model (model.json and model.onnx expected; did training finish?)`,
    );
  }
  let info: ModelInfo;
  try {
    info = ModelInfo.parse(JSON.parse(readFileSync(infoPath, 'utf8')));
  } catch (err) {
    throw new InputError(
      `${infoPath}: unreadable model description (${(err as Error).message.split('\n')[0]})`,
    );
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: threadCount(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new InputError(
      `${onnxPath}: cannot load the ONNX network (${(err as Error).message.split('\n')[0]})`,
    );
  }
  return { dir: root, info, session };
}

/** Numerically stable softmax of one row of logits, in place. */
function softmaxRow(x: Float32Array, off: number, k: number): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) if (x[off + j] > max) max = x[off + j];
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp(x[off + j] - max);
    x[off + j] = e;
    sum += e;
  }
  for (let j = 0; j < k; j++) x[off + j] /= sum;
}

/**
 * Class probabilities of n crops (n, C, S, S) float32 channel-first, in batches.
 * Returns (n, classes) row-major.
 */
export async function predictCrops(
  model: LoadedModel,
  crops: Float32Array,
  n: number,
  batch = 64,
): Promise<Float32Array> {
  const { channels: c, crop: s, classes } = model.info;
  const k = classes.length;
  const per = c * s * s;
  if (crops.length !== n * per)
    throw new Error(`predictCrops: expected ${n * per} values, got ${crops.length}`);
  const out = new Float32Array(n * k);
  const inputName = model.session.inputNames[0];
  const outputName = model.session.outputNames[0];
  for (let i = 0; i < n; i += batch) {
    const b = Math.min(batch, n - i);
    const tensor = new ort.Tensor('float32', crops.subarray(i * per, (i + b) * per), [b, c, s, s]);
    const result = await model.session.run({ [inputName]: tensor });
    const logits = result[outputName].data as Float32Array;
    out.set(logits.subarray(0, b * k), i * k);
  }
  for (let i = 0; i < n; i++) softmaxRow(out, i * k, k);
  return out;
}

/** Indices of the `top` largest values of row `row` of an (n, k) array, best first. */
export function topK(p: Float32Array, row: number, k: number, top: number): number[] {
  const idx = Array.from({ length: k }, (_, j) => j);
  idx.sort((a, b) => p[row * k + b] - p[row * k + a]);
  return idx.slice(0, top);
}
