/**
 * dl/dataset/: deep-learning data sets of noise patterns for CNN camera identification
 * (docs/dl-format.md): folders are classes; each photo is reduced to its network input (grey
 * residual, colour residual or pixels) and cut into random crops at even offsets; float16 shards
 * by split, a manifest with the classes, sources, normalisation and parameters.
 */
export { createDataset } from './create.js';
export { recordDataset } from './record.js';
export type { DatasetProgress, DatasetSummary, SplitCounts } from './create.js';
export { readManifest, MANIFEST_FILE, DATASET_FORMAT } from './manifest.js';
export type { Manifest, Source, Shard } from './manifest.js';
export { readShard } from './read.js';
export type { ShardData } from './read.js';
export { inputOf, cropOffsets, gridOffsets, cutCrops, channelsOf, photoSeed, INPUT_KINDS } from './input.js';
export type { InputKind, Offset } from './input.js';
export {
  parseSplit,
  validateDatasetOptions,
  DATASET_DEFAULTS,
  SPLITS,
  CLASSES_FROM,
  ONLY,
  SPLIT_BY,
} from './options.js';
export type { DatasetOptions, Split, SplitShares, ClassesFrom, Only, SplitBy } from './options.js';
