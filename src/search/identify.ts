/** identify: which stored camera took this photo? The residual once, then the two-stage search. */
import { initFft } from '../prnu/index.js';
import { queryResidual, type MatchOptions } from '../services/index.js';
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
  await initFft();
  const tq = performance.now();
  const q = await queryResidual(file, options);
  const t1 = performance.now();
  const report = await searchStore(store, q, options);
  return {
    ...report,
    file,
    sha256: q.sha256,
    width: q.width,
    height: q.height,
    orientation: q.orientation,
    digestsMade,
    residualSeconds: (t1 - tq) / 1000,
    totalSeconds: (performance.now() - t0) / 1000,
  };
}
