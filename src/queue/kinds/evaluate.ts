/**
 * Job kind `evaluate`: a trained model on a data set split (dl/evaluate: ONNX in TypeScript, no
 * Python), as `camprint evaluate`: top-1/top-5, per-class accuracy and the confusion matrix, its
 * heat map beside the model, and the evaluation stored in the model record's `metrics[split]`.
 */
import { z } from 'zod';
import { SPLITS } from '../../dl/dataset/index.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../registry.js';
import { cameraName } from './shared.js';

export const evaluateJobParams = z
  .object({
    /** The model folder (model.json and model.onnx). */
    model: absolutePath,
    /** The data set folder. */
    dataset: absolutePath,
    split: z.enum(SPLITS).default('test'),
    /** The model's name in the store, whose metrics receive the result (none: nothing stored). */
    name: cameraName.optional(),
  })
  .strict();
export type EvaluateJobParams = z.output<typeof evaluateJobParams>;

registerJobHandler('evaluate', {
  description:
    "a trained model on a data set split: top-1/top-5, per-class accuracy, confusion matrix, stored as the model's metrics (params: model, dataset; split, name)",
  params: evaluateJobParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['model', 'dataset'], cwd),
  async run(p, job) {
    // Loaded here: onnxruntime and the plotting library are not needed to queue jobs.
    const { loadModel, evaluateAndRecord } = await import('../../dl/index.js');
    const model = await loadModel(p.model);
    job.progress(0, `${p.split} split`);
    const doc = await evaluateAndRecord({
      model,
      dataset: p.dataset,
      split: p.split,
      name: p.name,
      store: p.name ? await job.store() : undefined,
      onProgress: (done, total) =>
        job.progress(total > 0 ? (0.95 * done) / total : 0, `${done}/${total} crops`),
    });
    return { ...doc };
  },
});
