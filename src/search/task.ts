/**
 * The search's pool task (run on worker threads by pool/worker.ts): the digest scores of one
 * batch of digests, packed end to end, against the query's orientations held in shared memory.
 */
import { bestDigestScore } from './score.js';

export interface DigestScoresTask {
  kind: 'digestScores';
  /** The query's orientations (residual, intensity), in SharedArrayBuffers: read, never copied. */
  residuals: Float32Array[];
  intensities: Float32Array[];
  /** The batch's digests end to end: digest j is [offsets[j], offsets[j + 1]). */
  indices: Uint32Array;
  values: Float32Array;
  offsets: Uint32Array;
}

/** bestDigestScore of each digest of the batch. */
export function digestScores(task: DigestScoresTask): Float64Array {
  const { indices, values, offsets } = task;
  const out = new Float64Array(offsets.length - 1);
  for (let j = 0; j < out.length; j++) {
    const digest = {
      indices: indices.subarray(offsets[j], offsets[j + 1]),
      values: values.subarray(offsets[j], offsets[j + 1]),
    };
    out[j] = bestDigestScore(digest, task.residuals, task.intensities);
  }
  return out;
}
