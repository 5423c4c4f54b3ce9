import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { table, fmt, fmtP } from '../context.js';
import {
  matchFile,
  type CandidateFingerprint,
  type MatchReport,
  type MatchResult,
} from '../../services/index.js';
import type { Store } from '../../store/index.js';
import { InputError, UsageError } from '../../util/errors.js';
import { positiveInt } from '../options.js';
import { addDetectOptions, addResidualOptions, detectOptions, residualOptions } from './shared.js';

/** Stored fingerprints, loaded one at a time (only one full-size K in memory). */
async function* fromStore(store: Store, cameras: string[]): AsyncGenerator<CandidateFingerprint> {
  for (const camera of cameras) {
    const fp = await store.getFingerprint(camera);
    if (!fp)
      throw new InputError(
        `no fingerprint named ${JSON.stringify(camera)} in the store (see \`camprint fingerprint list\`)`,
      );
    yield { camera, width: fp.record.width, height: fp.record.height, data: fp.data };
  }
}

function decision(r: MatchResult): string {
  return !r.comparable ? 'not-comparable' : r.match ? 'match' : 'no-match';
}

/** Records each comparison in the store (the examiner's trail). */
async function record(store: Store, report: MatchReport, params: Record<string, unknown>): Promise<void> {
  const image = {
    sha256: report.sha256,
    path: resolve(report.file),
    width: report.width,
    height: report.height,
    format: 'image',
    orientation: report.orientation,
  };
  for (const r of report.results) {
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
    });
  }
}

/**
 * A photo that no requested fingerprint can be compared with (sizes) is bad input: exit 2 with
 * the reason, nothing recorded. Where some are comparable, the others are listed as such.
 */
function requireComparable(file: string, report: MatchReport): void {
  if (report.results.some((r) => r.comparable)) return;
  const first = report.results[0];
  const whom = report.results.length === 1 ? first.camera : `any of ${report.results.length} fingerprints`;
  throw new InputError(`${file}: not comparable with ${whom}: ${first.reason}`);
}

function resultRow(r: MatchResult): (string | number)[] {
  return [
    r.camera,
    fmt(r.pce),
    r.ncc === null ? '—' : r.ncc.toFixed(4),
    fmtP(r.pFalseAlarm, r.log10PFalseAlarm),
    r.shift ? `${r.shift[0]},${r.shift[1]}` : '—',
    r.rotation === null ? '—' : `${r.rotation}°`,
    r.comparable ? (r.match ? 'MATCH' : 'no match') : `not comparable: ${r.reason}`,
  ];
}

export function registerMatch(program: Command, ctx: () => Context): void {
  addDetectOptions(
    addResidualOptions(
      program
        .command('match <image>')
        .description('does this photo come from that camera? PCE, false-alarm probability and decision')
        .option('--camera <names...>', 'fingerprint(s) to test')
        .option('--all', 'test every stored fingerprint'),
    ),
  ).action(async (image: string, o: Record<string, unknown>) => {
    const c = ctx();
    const names = (o.camera as string[] | undefined) ?? [];
    if (!o.all && names.length === 0)
      throw new UsageError('match needs --camera <name> (repeatable) or --all');
    const dopts = detectOptions(o);
    const ropts = residualOptions(o);
    const store = await c.openStore();
    const cameras = o.all ? (await store.listFingerprints()).map((r) => r.camera) : names;
    if (cameras.length === 0) throw new InputError(`no fingerprints in the store at ${c.dataDir}`);
    for (const name of cameras) {
      if (!(await store.getFingerprintRecord(name)))
        throw new InputError(
          `no fingerprint named ${JSON.stringify(name)} in the store (see \`camprint fingerprint list\`)`,
        );
    }
    const report = await matchFile(image, fromStore(store, cameras), { ...dopts, ...ropts });
    requireComparable(image, report);
    await record(store, report, { ...dopts, ...ropts });
    const doc = {
      file: image,
      sha256: report.sha256,
      width: report.width,
      height: report.height,
      results: report.results,
      seconds: report.seconds,
    };
    c.output(doc, () =>
      [
        `${image} (${report.width}×${report.height}, sha256 ${report.sha256.slice(0, 16)}…)`,
        table([
          ['camera', 'PCE', 'NCC', 'P_FA', 'shift', 'rot', 'decision'],
          ...report.results.map(resultRow),
        ]),
      ].join('\n'),
    );
  });

  addDetectOptions(
    addResidualOptions(
      program
        .command('identify <image>')
        .description('which stored camera took this photo? ranked by PCE')
        .option('--top <n>', 'how many candidates to list', '5'),
    ),
  ).action(async (image: string, o: Record<string, unknown>) => {
    const c = ctx();
    const top = positiveInt('--top', o.top);
    const dopts = detectOptions(o);
    const ropts = residualOptions(o);
    const store = await c.openStore();
    const cameras = (await store.listFingerprints()).map((r) => r.camera);
    if (cameras.length === 0) throw new InputError(`no fingerprints in the store at ${c.dataDir}`);
    // Exhaustive: every stored fingerprint, ranked by PCE (not comparable last).
    const report = await matchFile(image, fromStore(store, cameras), { ...dopts, ...ropts });
    requireComparable(image, report);
    await record(store, report, { ...dopts, ...ropts, command: 'identify' });
    const ranked = [...report.results].sort((a, b) => (b.pce ?? -Infinity) - (a.pce ?? -Infinity));
    const candidates = ranked.slice(0, top).map((r) => ({
      camera: r.camera,
      pce: r.pce,
      match: r.match,
      comparable: r.comparable,
      pFalseAlarm: r.pFalseAlarm,
      log10PFalseAlarm: r.log10PFalseAlarm,
      shift: r.shift,
      rotation: r.rotation,
      ...(r.reason ? { reason: r.reason } : {}),
    }));
    const doc = {
      file: image,
      sha256: report.sha256,
      candidates,
      searched: cameras.length,
      seconds: report.seconds,
    };
    c.output(doc, () =>
      [
        `${image}: ${cameras.length} fingerprints searched in ${report.seconds.toFixed(2)} s`,
        table([
          ['camera', 'PCE', 'NCC', 'P_FA', 'shift', 'rot', 'decision'],
          ...ranked.slice(0, top).map(resultRow),
        ]),
      ].join('\n'),
    );
  });
}
