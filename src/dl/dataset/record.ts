/**
 * A built data set as the CLI (`camprint dataset create`) and the queue's `dataset-create` job
 * both record it in the store, and the document both answer with.
 */
import type { Store } from '../../store/index.js';
import type { DatasetSummary } from './create.js';

/** Stores a built data set's summary under `name`; returns the answer both front ends give. */
export async function recordDataset(store: Store, name: string, summary: DatasetSummary) {
  await store.putDataset({
    name,
    path: summary.dataset,
    manifestSha256: summary.manifestSha256,
    input: summary.input,
    crop: summary.crop,
    classes: summary.classes,
    counts: summary.crops,
    images: summary.images,
    params: summary.params,
  });
  return {
    dataset: summary.dataset,
    name,
    classes: summary.classes,
    train: summary.crops.train,
    val: summary.crops.val,
    test: summary.crops.test,
    images: { ...summary.images },
    skipped: summary.skipped,
    resumed: summary.resumed,
    seconds: summary.seconds,
    cropsPerSecond: summary.cropsPerSecond,
  };
}
