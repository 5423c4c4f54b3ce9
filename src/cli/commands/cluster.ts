import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import type { Context } from '../context.js';
import { table } from '../context.js';
import {
  clusterPhotos,
  readTruth,
  scoreAgainstTruth,
  MIN_CROP,
  type ClusterReport,
  type TruthScores,
} from '../../cluster/index.js';
import { listImages } from '../../image/index.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { InputError, UsageError } from '../../util/errors.js';
import { intInRange, positiveNumber } from '../options.js';
import { addResidualOptions, residualOptions } from './shared.js';

/** Photos per cluster listed in the human rendering before "…". */
const SHOWN = 3;

/** "1 photo", "2 photos". */
function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summary(dir: string, r: ClusterReport, scores: TruthScores | undefined, truthFile?: string): string {
  const multi = r.clusters.filter((c) => c.files.length > 1);
  const singles = r.clusters.length - multi.length;
  const lines = [
    `${dir}: ${count(r.files.length, 'photo')} in ${count(r.clusters.length, 'cluster')} (${multi.length} of two or more, ${singles} single) in ${r.seconds.toFixed(1)} s on ${count(r.threads, 'thread')}`,
  ];
  const t = r.threshold;
  if (t.z !== null)
    lines.push(
      `  threshold: NCC·√N/σ0 > ${t.z.toFixed(2)}, the false-alarm probability ${t.pfa} over ${t.tests} pairs (Bonferroni); σ0 = ${t.sigma0.toFixed(3)} from ${t.sigma0Pairs} pairs`,
    );
  for (const g of r.groups)
    lines.push(
      `  ${g.size}: ${count(g.photos, 'photo')}, crop ${g.crop[1]}×${g.crop[0]}, ${count(g.clusters, 'cluster')}` +
        (g.nccThreshold === null ? '' : `, NCC threshold ${g.nccThreshold.toFixed(5)}`) +
        (g.converged ? '' : ` (refinement stopped after ${g.rounds} rounds)`),
    );
  if (r.groups.length > 1)
    lines.push('  photos of different sizes are never compared (different sensors or modes)');
  if (multi.length > 0)
    lines.push(
      table([
        ['cluster', 'photos', 'size', 'files'],
        ...multi.map((c) => [
          c.id,
          c.files.length,
          c.size,
          c.files
            .slice(0, SHOWN)
            .map((f) => basename(f))
            .join(' ') + (c.files.length > SHOWN ? ' …' : ''),
        ]),
      ]),
    );
  if (r.skipped.length > 0) lines.push(`  ${r.skipped.length} unreadable photos skipped`);
  if (scores)
    lines.push(
      `against ${truthFile}: ARI ${scores.ari.toFixed(4)}, pairwise precision ${scores.precision.toFixed(4)}, recall ${scores.recall.toFixed(4)}, F1 ${scores.f1.toFixed(4)}; ${scores.clusters} clusters for ${scores.classes} sources` +
        (scores.unlabelled > 0 ? ` (${scores.unlabelled} photos without a source left out)` : ''),
    );
  if (scores && r.attainable)
    lines.push(
      `  ${r.attainable.reach} of ${r.attainable.photos} photos reach the threshold against their own source's fingerprint (the most a clustering can place)`,
    );
  return lines.join('\n');
}

export function registerCluster(program: Command, ctx: () => Context): void {
  addResidualOptions(
    program
      .command('cluster <dir>')
      .description(
        'group photos of unknown origin by source camera (no camera or cluster count needed): residual NCC, a threshold from a false-alarm rate, cluster fingerprints',
      )
      .option('--pfa <p>', 'false-alarm probability over all pairs compared (sets the threshold)', '0.001')
      .option(
        '--crop <px>',
        'largest side of the centred crop compared (memory: photos × crop² × 4 bytes)',
        '512',
      )
      .option(
        '--truth <file>',
        'score against a ground truth: a camprint simulate folder or cameras.json, or JSON / CSV photo → source',
      )
      .option('--out <clusters.json>', 'also write the result (the --json document) to this file')
      .option('--no-weighting', 'correlate plain residuals (no intensity / local-noise weighting)'),
  ).action(async (dir: string, o: Record<string, unknown>) => {
    const c = ctx();
    const pfa = positiveNumber('--pfa', o.pfa);
    if (!(pfa < 1))
      throw new UsageError(
        `Expected a probability in (0, 1) for --pfa but received ${JSON.stringify(o.pfa)}`,
      );
    const crop = intInRange('--crop', o.crop, MIN_CROP, 16384);
    const ropts = residualOptions(o);
    const files = listImages([dir]);
    if (files.length === 0) throw new InputError(`${dir}: no images found (JPEG, PNG, TIFF or WebP)`);
    const truth = o.truth === undefined ? undefined : readTruth(String(o.truth), dir, files);

    let bar: { tick(done: number, detail?: string): void; stop(): void } | undefined;
    let phase = '';
    const report = await clusterPhotos(files, {
      ...ropts,
      crop,
      pfa,
      weight: o.weighting === false ? false : undefined,
      sourceOf: truth ? (f) => truth.labels.get(resolve(f)) : undefined,
      onProgress: (p, done, total, detail) => {
        if (p !== phase) {
          bar?.stop();
          bar = c.progress(p, total);
          phase = p;
        }
        bar?.tick(done, detail);
      },
      onSkip: (_file, reason) => {
        bar?.stop();
        bar = undefined;
        phase = '';
        c.log(`camprint: warning: skipped ${reason}`);
      },
    }).finally(() => bar?.stop());
    const scores = truth ? scoreAgainstTruth(report.files, report.labels, truth) : undefined;
    const doc = {
      dir,
      photos: report.files.length,
      clusters: report.clusters,
      singletons: report.clusters.filter((k) => k.files.length === 1).length,
      threshold: { ...report.threshold, statistic: 'NCC·√N/σ0, Bonferroni over the pairs compared' },
      groups: report.groups,
      crop: report.crop,
      weighting: report.weighting,
      skipped: report.skipped,
      ...(truth && scores ? { truth: truth.file, scores, attainable: report.attainable } : {}),
      threads: report.threads,
      seconds: report.seconds,
      timings: report.timings,
    };
    if (o.out) writeFileAtomic(resolve(String(o.out)), JSON.stringify(doc, null, 2) + '\n');
    c.output(doc, () => summary(dir, report, scores, truth?.file) + (o.out ? `\nwritten to ${o.out}` : ''));
  });
}
