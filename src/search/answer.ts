/**
 * What `identify` and `match` answer and record, shared by the CLI and the server: the
 * candidates of an identification (CLI-CONTRACT fields and the detector's figures), the
 * not-comparable errors, and the examiner's trail (every comparison recorded in the store).
 */
import { resolve } from 'node:path';
import type { MatchReport, MatchResult } from '../services/index.js';
import type { ImageInput, MatchRecord, Store } from '../store/index.js';
import { InputError } from '../util/errors.js';
import type { IdentifyReport } from './identify.js';

/** The decision as the store records it. */
export function decision(r: MatchResult): string {
  return !r.comparable ? 'not-comparable' : r.match ? 'match' : 'no-match';
}

/** Records each comparison of a photo's report in the store (the examiner's trail). */
export async function recordMatches(
  store: Store,
  report: Omit<MatchReport, 'seconds'>,
  params: Record<string, unknown>,
): Promise<MatchRecord[]> {
  const image = {
    sha256: report.sha256,
    path: resolve(report.file),
    width: report.width,
    height: report.height,
    format: 'image',
    orientation: report.orientation,
  };
  return recordResults(store, image, report.results, params);
}

/** Records each comparison of one photo (the image as known at intake); returns the records, in order. */
export async function recordResults(
  store: Store,
  image: ImageInput,
  results: readonly MatchResult[],
  params: Record<string, unknown>,
  actor?: string,
): Promise<MatchRecord[]> {
  const records: MatchRecord[] = [];
  for (const r of results) {
    records.push(
      await store.recordMatch({
        image,
        camera: r.camera,
        pce: r.pce,
        ncc: r.ncc,
        pFalseAlarm: r.pFalseAlarm,
        shiftY: r.shift?.[0] ?? 0,
        shiftX: r.shift?.[1] ?? 0,
        rotation: (r.rotation ?? 0) as 0 | 90 | 180 | 270,
        decision: decision(r),
        threshold: r.threshold,
        params: { ...params, reason: r.reason ?? null, tests: r.tests ?? null },
        actor,
      }),
    );
  }
  return records;
}

/**
 * A photo that no requested fingerprint can be compared with (sizes) is bad input: an
 * InputError with the reason, nothing recorded. Where some are comparable, the others are
 * listed as such.
 */
export function requireComparable(file: string, report: Pick<MatchReport, 'results'>): void {
  if (report.results.some((r) => r.comparable)) return;
  const first = report.results[0];
  const whom = report.results.length === 1 ? first.camera : `any of ${report.results.length} fingerprints`;
  throw new InputError(`${file}: not comparable with ${whom}: ${first.reason}`);
}

/**
 * The error for a photo that the search found no fingerprint of its size for (in either
 * orientation), said as the detector says it for one camera.
 */
export async function noneComparableError(
  store: Store,
  file: string,
  report: Pick<IdentifyReport, 'width' | 'height'>,
): Promise<InputError> {
  const all = await store.listFingerprints();
  const whom = all.length === 1 ? all[0].camera : `any of ${all.length} fingerprints`;
  const why =
    all.length === 1
      ? `is larger than the fingerprint ${all[0].width}×${all[0].height} in every orientation`
      : 'fits none of them in any orientation';
  return new InputError(
    `${file}: not comparable with ${whom}: image ${report.width}×${report.height} ${why} ` +
      '(different resolution or camera setting)',
  );
}

/** One candidate of identify's answer (CLI-CONTRACT: camera, pce, match, and the detector's figures). */
export function candidate(r: MatchResult) {
  return {
    camera: r.camera,
    pce: r.pce,
    match: r.match,
    comparable: r.comparable,
    pFalseAlarm: r.pFalseAlarm,
    log10PFalseAlarm: r.log10PFalseAlarm,
    shift: r.shift,
    rotation: r.rotation,
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/**
 * identify's answer (`identify --json` without `file`): the re-ranked candidates best first,
 * then the next best digest scores (untested by PCE), `top` in all; the search's figures.
 */
export function identifyAnswer(report: IdentifyReport & { shards?: number }, top: number) {
  const tested = new Set(report.results.map((r) => r.camera));
  const candidates = [
    ...report.results.map((r) => ({ ...candidate(r), digestScore: r.digestScore })),
    // Below the re-ranked ones: the next best digest scores, untested by PCE.
    ...report.ranked
      .filter((d) => !tested.has(d.camera))
      .map((d) => ({ camera: d.camera, pce: null, match: false, comparable: true, digestScore: d.score })),
  ].slice(0, top);
  return {
    sha256: report.sha256,
    candidates,
    searched: report.fingerprints,
    search: {
      method: 'digest',
      shards: report.shards ?? 1,
      fingerprints: report.fingerprints,
      scanned: report.scanned,
      reranked: report.reranked,
      standOut: report.standOut,
      cropTested: report.cropTested,
      notComparable: report.notComparable,
      digestsMade: report.digestsMade,
      seconds: { residual: report.residualSeconds, ...report.seconds },
    },
    seconds: report.totalSeconds,
  };
}
