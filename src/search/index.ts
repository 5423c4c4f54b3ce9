/**
 * search/: a fingerprint database searched at lab scale. Each fingerprint carries a digest (its
 * largest-magnitude values, digest.ts); a query is scored against every digest (score.ts), and the
 * best few are re-ranked by the full PCE detector (search.ts), which alone decides.
 */
export { DEFAULT_DIGEST_SIZE, DIGEST_PIXELS_PER_VALUE, defaultDigestSize, makeDigest } from './digest.js';
export { digestScore, scoreFromSums, normalUpperQuantile, standOutScore } from './score.js';
export { DigestScorer } from './kernel.js';
export { ensureDigests } from './backfill.js';
export {
  searchStore,
  planSearch,
  scanShard,
  mergeScans,
  rerank,
  SEARCH_DEFAULTS,
  type SearchPlan,
  type ShardScan,
  type DigestCandidate,
  type SearchOptions,
  type SearchReport,
} from './search.js';
export { identifyFile, type IdentifyReport } from './identify.js';
export { identifyDistributed } from './distributed.js';
