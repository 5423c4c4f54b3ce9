/** identify: which stored camera took this photo? The residual once, then the two-stage search. */
import { initFft } from '../prnu/index.js';
import { queryResidual, type MatchOptions } from '../services/index.js';
import type { ResidualResult } from '../pool/index.js';
import type { Store } from '../store/index.js';
import { ensureDigests } from './backfill.js';
import { searchStore, type SearchOptions, type SearchReport } from './search.js';

export interface IdentifyReport extends SearchReport {
  file: string;
  sha256: string;
  width: number;
  height: number;
  orientation: number;
  /** Digests made for fingerprints stored without one, before searching. */
  digestsMade: number;
  /** Residual extraction and the whole identification, in seconds. */
  residualSeconds: number;
  totalSeconds: number;
}

export async function identifyFile(
  store: Store,
  file: string,
  options: SearchOptions &
    MatchOptions & { onBackfill?: (done: number, total: number, camera: string) => void } = {},
): Promise<IdentifyReport> {
  const t0 = performance.now();
  const digestsMade = await ensureDigests(store, { onProgress: options.onBackfill });
  const { q, residualSeconds } = await timedResidual(file, options);
  const report = await searchStore(store, q, options);
  return identifyReport(report, file, q, digestsMade, residualSeconds, t0);
}

/** The query's residual, and how long it took (seconds). */
export async function timedResidual(
  file: string,
  options: MatchOptions,
): Promise<{ q: ResidualResult; residualSeconds: number }> {
  await initFft();
  const t = performance.now();
  const q = await queryResidual(file, options);
  return { q, residualSeconds: (performance.now() - t) / 1000 };
}

/** A search report with what identify adds: the photo, the digests made, the timings from t0. */
export function identifyReport(
  report: SearchReport,
  file: string,
  q: ResidualResult,
  digestsMade: number,
  residualSeconds: number,
  t0: number,
): IdentifyReport {
  return {
    ...report,
    file,
    sha256: q.sha256,
    width: q.width,
    height: q.height,
    orientation: q.orientation,
    digestsMade,
    residualSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
  };
}
