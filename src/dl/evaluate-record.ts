/**
 * An evaluation as the CLI (`camprint evaluate`) and the queue's `evaluate` job both record it:
 * the confusion matrix heat map beside the model and the figures in the model record.
 */
import { join, resolve } from 'node:path';
import type { Store } from '../store/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { evaluate, type Evaluation, type Split } from './evaluate.js';
import type { LoadedModel } from './model.js';
import { confusionSpec, renderSvg } from './plots.js';

export interface EvaluateOptions {
  model: LoadedModel;
  /** The data set folder. */
  dataset: string;
  split: Split;
  /** Where the confusion matrix heat map goes (default <model>/confusion-<split>.svg). */
  plot?: string;
  /** The model's name in the store: its `metrics[split]` receives the evaluation when the store knows it. */
  name?: string;
  store?: Store;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Evaluates a model on a split (dl/evaluate), writes the confusion matrix heat map and keeps the
 * evaluation in the model record's metrics[split].
 */
export async function evaluateAndRecord(
  o: EvaluateOptions,
): Promise<Evaluation & { plot: string; dataset: string }> {
  const ev = await evaluate(o.model, o.dataset, o.split, o.onProgress);
  const plot = resolve(o.plot ?? join(o.model.dir, `confusion-${o.split}.svg`));
  const title = `${o.name ?? o.model.dir} on ${o.split}: top-1 ${(100 * ev.top1).toFixed(2)}%`;
  writeFileAtomic(plot, await renderSvg(confusionSpec(ev.classes, ev.confusion, title)));
  const doc = { ...ev, plot, dataset: resolve(o.dataset) };
  const prev = o.name && o.store ? await o.store.getModel(o.name) : undefined;
  if (prev && o.name && o.store) {
    await o.store.updateModel(o.name, {
      metrics: { ...(prev.metrics ?? {}), [o.split]: JSON.parse(JSON.stringify(doc)) as object },
    });
  }
  return doc;
}
