/**
 * The search's pool task (run on worker threads by pool/worker.ts): the digest scores of one
 * batch of digests, packed end to end, against the query's orientations held in shared memory.
 */
import { threadScorer } from './kernel.js';
import type { FingerprintDigest } from '../store/index.js';

export interface DigestScoresTask {
  kind: 'digestScores';
  /** Names the query: a worker lays out a query it has seen before only once (kernel.ts). */
  queryKey: string;
  /** The query's orientations (residual, intensity), in SharedArrayBuffers: read, never copied. */
  residuals: Float32Array[];
  intensities: Float32Array[];
  /** The batch's digests, each in an ArrayBuffer of its own (moved here, not copied). */
  digests: FingerprintDigest[];
}

/** The best digest score over the query's orientations, for each digest of the batch. */
export function digestScores(task: DigestScoresTask): Float64Array {
  const scorer = threadScorer();
  scorer.setQuery(task.queryKey, task.residuals, task.intensities);
  return scorer.scoreMany(task.digests);
}
