/** services/: the operations the CLI and the server share (decode → residual → fingerprint → match). */
export {
  buildFingerprint,
  residualParams,
  saveFingerprint,
  type BuildOptions,
  type BuiltFingerprint,
  type FingerprintQuality,
  type SourceImage,
} from './fingerprint.js';
export {
  matchFile,
  queryResidual,
  testFingerprint,
  type CandidateFingerprint,
  type MatchOptions,
  type MatchReport,
  type MatchResult,
} from './match.js';
