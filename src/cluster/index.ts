/**
 * cluster/: blind source clustering (DESIGN.md §1: `camprint cluster <dir>`). Photos of unknown
 * origin are grouped by sensor from their residuals alone, with a threshold set by a false-alarm
 * rate and no cluster count, and scored against a ground truth when there is one.
 *
 *   weight.ts       the residual's per-pixel weighting (intensity, local noise level)
 *   ncc.ts          unit-norm crops and blocked dot products: the NCC matrix
 *   threshold.ts    σ0 of the H0 statistic and the Bonferroni threshold
 *   agglomerate.ts  clustering on cluster fingerprints, from the NCC matrix alone
 *   metrics.ts      pairwise precision / recall / F1, adjusted Rand index
 *   truth.ts        ground-truth files (simulate output, JSON, CSV)
 *   task.ts         the worker-pool tasks; cluster.ts the service that runs them
 */
export {
  clusterPhotos,
  CLUSTER_DEFAULTS,
  type ClusterOptions,
  type ClusterReport,
  type ClusterGroup,
  type PhotoCluster,
} from './cluster.js';
export {
  agglomerate,
  mergeClusters,
  type AgglomerateOptions,
  type AgglomerateResult,
} from './agglomerate.js';
export { dotBlock, normaliseUnit } from './ncc.js';
export { nullScale, zThreshold } from './threshold.js';
export { weightResidual, boxMean, WEIGHT_DEFAULTS, type WeightOptions } from './weight.js';
export { scorePartition, encodeLabels, type PairScores } from './metrics.js';
export { readTruth, scoreAgainstTruth, type Truth, type TruthScores } from './truth.js';
export { MIN_CROP } from './task.js';
