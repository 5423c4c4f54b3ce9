/**
 * Job kind `train`: trains a network on a data set with the PyTorch engine (dl/train, as
 * `camprint train`), the model recorded in the worker's store with its curves, one point per
 * epoch. Cancelling the job (its signal) stops the engine after its current batch: the last
 * checkpoint is kept, the model's status is `stopped`, and a job with `resume: true` continues it.
 */
import { z } from 'zod';
import { startTraining } from '../../dl/train.js';
import type { EpochPoint } from '../../dl/plots.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../registry.js';
import { cameraName } from './shared.js';

/** How long a stopped engine may take to finish its batch before it is killed. */
const STOP_GRACE_MS = 60_000;

export const trainJobParams = z
  .object({
    /** The model's name in the store. */
    name: cameraName,
    /** The data set folder (dataset-create's `out`). */
    dataset: absolutePath,
    /** The model folder. */
    out: absolutePath,
    /** A registered network (`camprint networks`). */
    network: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
    /** Engine settings (engine/config.py keys): epochs, lr, batch_size, optimizer, lr_policy, seed, … */
    settings: z.record(
      z.string().regex(/^[a-z_][a-z0-9_]*$/),
      z.union([z.string(), z.number(), z.boolean()]),
    ),
    /** Continue an interrupted training from its last checkpoint. */
    resume: z.boolean().default(false),
  })
  .strict();
export type TrainJobParams = z.output<typeof trainJobParams>;

/** One epoch point of a training run in this process, as it goes into the model's curves. */
export interface TrainingEpoch {
  name: string;
  jobId: string;
  point: EpochPoint;
}

const epochListeners = new Set<(e: TrainingEpoch) => void>();

/**
 * Calls the listener with each epoch point of the training jobs this process runs (the server's
 * live curves); returns the function that stops it. Jobs run by other processes are not seen
 * here: their points reach the store's model record.
 */
export function onTrainingEpoch(listener: (e: TrainingEpoch) => void): () => void {
  epochListeners.add(listener);
  return () => epochListeners.delete(listener);
}

registerJobHandler('train', {
  description:
    'trains a network on a data set (PyTorch engine), exports ONNX, records the model and its curves (params: name, dataset, out, network, settings; resume)',
  params: trainJobParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['dataset', 'out'], cwd),
  async run(p, job) {
    job.signal.throwIfAborted();
    const store = await job.store();
    const epochs = typeof p.settings.epochs === 'number' ? p.settings.epochs : Number(p.settings.epochs);
    const { run, result } = startTraining({
      dataset: p.dataset,
      out: p.out,
      network: p.network,
      settings: p.settings,
      resume: p.resume,
      name: p.name,
      store,
      onEvent: (e) => {
        if (e.event === 'iteration' && typeof e.epoch === 'number' && Number.isFinite(epochs))
          job.progress(Math.min(1, (e.epoch - 1) / epochs), `epoch ${e.epoch}/${epochs}`);
      },
      onEpoch: (point) => {
        if (Number.isFinite(epochs)) job.progress(point.epoch / epochs, `epoch ${point.epoch}/${epochs}`);
        for (const l of epochListeners) {
          try {
            l({ name: p.name, jobId: job.id, point });
          } catch (err) {
            job.log(`epoch listener failed: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      },
    });
    // A cancel stops the engine after its batch (the checkpoint kept); one that hangs is killed.
    let killer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      run.stop();
      killer = setTimeout(() => run.child.kill('SIGKILL'), STOP_GRACE_MS);
      killer.unref();
    };
    if (job.signal.aborted) onAbort();
    else job.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await result;
      return {
        model: r.model,
        name: r.name,
        status: r.status,
        epochs: r.epochs,
        bestValAccuracy: r.bestValAccuracy,
        seconds: r.seconds,
      };
    } catch (err) {
      if (!job.signal.aborted) throw err;
      // Killed after the grace period: the checkpoint of the last whole epoch is there to resume.
      await store.updateModel(p.name, { status: 'stopped', error: 'stopped (the engine was killed)' });
      return { model: p.out, name: p.name, status: 'stopped' };
    } finally {
      clearTimeout(killer);
      job.signal.removeEventListener('abort', onAbort);
    }
  },
});
