/**
 * Job kind `dataset-create`: a deep-learning data set of noise-pattern crops built from a folder
 * of class folders (dl/dataset, as `camprint dataset create`), then recorded in the worker's
 * store under its name. An interrupted build resumes when the job runs again (a retry, or the
 * same parameters submitted again): the builder's manifest is its commit point.
 */
import { z } from 'zod';
import {
  recordDataset,
  CLASSES_FROM,
  INPUT_KINDS,
  ONLY,
  SPLIT_BY,
  createDataset,
  validateDatasetOptions,
  type DatasetProgress,
} from '../../dl/dataset/index.js';
import { InputError, UsageError } from '../../util/errors.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../registry.js';
import { cameraName } from './shared.js';

const positive = z.number().int().positive();

export const datasetCreateJobParams = z
  .object({
    /** The data set's name in the store. */
    name: cameraName,
    /** The folder of class folders. */
    dir: absolutePath,
    /** The data set folder to write. */
    out: absolutePath,
    input: z.enum(INPUT_KINDS).optional(),
    crop: positive.optional(),
    cropsPerImage: positive.optional(),
    /** train/val/test percentages, "75/10/15". */
    split: z.string().optional(),
    splitBy: z.enum(SPLIT_BY).optional(),
    testDevices: z.array(z.string().min(1)).min(1).optional(),
    classesFrom: z.enum(CLASSES_FROM).optional(),
    only: z.enum(ONLY).optional(),
    minImages: positive.optional(),
    maxImages: positive.optional(),
    seed: z.number().int().nonnegative().optional(),
    shardSize: positive.optional(),
    levels: z.number().int().min(1).max(8).optional(),
    sigma: z.number().positive().finite().optional(),
    maxPixels: positive.optional(),
    overwrite: z.boolean().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    // The builder's own checks (even crop, split sums, …) at submission, not in the worker.
    try {
      validateDatasetOptions(p);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  });
export type DatasetCreateJobParams = z.output<typeof datasetCreateJobParams>;

registerJobHandler('dataset-create', {
  description:
    'a deep-learning data set of noise-pattern crops from a folder of class folders, recorded in the store (params: name, dir, out; input, crop, cropsPerImage, split, splitBy, classesFrom, only, seed, …)',
  params: datasetCreateJobParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['dir', 'out'], cwd),
  async run(p, job) {
    const { name, ...options } = p;
    const onProgress = (pr: DatasetProgress): void => {
      const f = pr.total > 0 ? pr.done / pr.total : 0;
      if (pr.phase === 'scan') job.progress(0.05 * f, `reading headers ${pr.done}/${pr.total}`);
      else job.progress(0.05 + 0.95 * f, `${pr.done}/${pr.total} photos, ${pr.crops} crops`);
    };
    let summary;
    try {
      summary = await createDataset({ ...options, signal: job.signal, onWarning: job.log }, onProgress);
    } catch (err) {
      // Option errors are bad input here (never worth a retry).
      if (err instanceof UsageError) throw new InputError(err.message);
      throw err;
    }
    job.signal.throwIfAborted();
    return recordDataset(await job.store(), name, summary);
  },
});
