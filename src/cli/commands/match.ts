import type { Command } from 'commander';
import type { Context } from '../context.js';
import { table, fmt, fmtP } from '../context.js';
import { matchFile, type CandidateFingerprint, type MatchResult } from '../../services/index.js';
import type { Store } from '../../store/index.js';
import { InputError, UsageError } from '../../util/errors.js';
import {
  identifyDistributed,
  identifyFile,
  SEARCH_DEFAULTS,
  type IdentifyReport,
} from '../../search/index.js';
import {
  candidate,
  identifyAnswer,
  noneComparableError,
  recordMatches as record,
  requireComparable,
} from '../../search/answer.js';
import { openQueue } from '../../queue/index.js';
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
        .description('which stored camera took this photo? digest search, then PCE on the best candidates')
        .option('--top <n>', 'how many candidates to list', '5')
        .option(
          '--rerank <n>',
          'candidates always re-tested with the full PCE detector',
          String(SEARCH_DEFAULTS.minRerank),
        )
        .option(
          '--max-rerank <n>',
          'most candidates re-tested with the full PCE detector',
          String(SEARCH_DEFAULTS.maxRerank),
        )
        .option(
          '--exhaustive',
          'test every stored fingerprint with the full PCE detector (slow on large stores)',
        )
        .option(
          '--shards <n>',
          'split the digest scan into n search-shard jobs (camprint worker processes when CAMPRINT_REDIS_URL is set)',
        ),
    ),
  ).action(async (image: string, o: Record<string, unknown>) => {
    const c = ctx();
    const top = positiveInt('--top', o.top);
    const minRerank = positiveInt('--rerank', o.rerank);
    const maxRerank = positiveInt('--max-rerank', o.maxRerank);
    if (maxRerank < minRerank)
      throw new UsageError(`--max-rerank (${maxRerank}) must be at least --rerank (${minRerank})`);
    const dopts = detectOptions(o);
    const ropts = residualOptions(o);
    const store = await c.openStore();
    const count = (await store.listFingerprints()).length;
    if (count === 0) throw new InputError(`no fingerprints in the store at ${c.dataDir}`);
    if (o.exhaustive) return identifyExhaustive(c, store, image, top, dopts, ropts);

    let bar: ReturnType<Context['progress']> | undefined;
    const searchOptions = {
      ...dopts,
      ...ropts,
      minRerank,
      maxRerank,
      onBackfill: (done: number, total: number, camera: string) => {
        bar ??= c.progress('digests', total);
        bar.tick(done, camera);
        if (done === total) bar.stop();
      },
    };
    let report: IdentifyReport & { shards?: number };
    if (o.shards !== undefined) {
      const shards = positiveInt('--shards', o.shards);
      const queue = await openQueue({ store: () => c.openStore() });
      try {
        report = await identifyDistributed(store, queue, image, shards, searchOptions);
      } finally {
        await queue.close();
      }
    } else report = await identifyFile(store, image, searchOptions);
    // Nothing of this size in either orientation: said as the detector says it for one camera.
    if (report.results.length === 0) throw await noneComparableError(store, image, report);
    requireComparable(image, report);
    await record(store, report, {
      ...dopts,
      ...ropts,
      command: 'identify',
      method: 'digest',
      minRerank,
      maxRerank,
    });
    const doc = { file: image, ...identifyAnswer(report, top) };
    c.output(doc, () =>
      [
        `${image}: ${report.fingerprints} fingerprints, ${report.scanned} digests scored in ${report.seconds.scan.toFixed(2)} s, ` +
          `${report.reranked + report.cropTested} tested by PCE in ${report.seconds.rerank.toFixed(2)} s (total ${report.totalSeconds.toFixed(2)} s)`,
        table([
          ['camera', 'digest z', 'PCE', 'NCC', 'P_FA', 'shift', 'rot', 'decision'],
          ...report.results
            .slice(0, top)
            .map((r) => [r.digestScore === null ? '—' : r.digestScore.toFixed(1), ...resultRow(r)])
            .map(([z, name, ...rest]) => [name, z, ...rest]),
        ]),
      ].join('\n'),
    );
  });
}

/** identify --exhaustive: every stored fingerprint through the full detector, ranked by PCE. */
async function identifyExhaustive(
  c: Context,
  store: Store,
  image: string,
  top: number,
  dopts: ReturnType<typeof detectOptions>,
  ropts: ReturnType<typeof residualOptions>,
): Promise<void> {
  const cameras = (await store.listFingerprints()).map((r) => r.camera);
  const report = await matchFile(image, fromStore(store, cameras), { ...dopts, ...ropts });
  requireComparable(image, report);
  await record(store, report, { ...dopts, ...ropts, command: 'identify', method: 'exhaustive' });
  const ranked = [...report.results].sort((a, b) => (b.pce ?? -Infinity) - (a.pce ?? -Infinity));
  const candidates = ranked.slice(0, top).map(candidate);
  const doc = {
    file: image,
    sha256: report.sha256,
    candidates,
    searched: cameras.length,
    search: { method: 'exhaustive', fingerprints: cameras.length },
    seconds: report.seconds,
  };
  c.output(doc, () =>
    [
      `${image}: ${cameras.length} fingerprints tested by PCE in ${report.seconds.toFixed(2)} s`,
      table([
        ['camera', 'PCE', 'NCC', 'P_FA', 'shift', 'rot', 'decision'],
        ...ranked.slice(0, top).map(resultRow),
      ]),
    ].join('\n'),
  );
}
