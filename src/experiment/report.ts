/**
 * The results folder's documents: results.json (every figure), results.md (the tables a person
 * reads), confusion matrices and a reliability diagram as SVG (Vega-Lite, dl/plots), and
 * config.json (the resolved spec, versions, the data's hashes, each step's hash).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { confusionSpec, renderSvg } from '../dl/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { REPO_ROOT } from '../util/paths.js';
import { VERSION } from '../version.js';
import type { Analysis, MethodResult } from './fusion.js';
import type { ExperimentSpec } from './spec.js';
import type { StepStatus } from './steps.js';

export interface ExperimentResults {
  format: 'camprint-experiment/1';
  name: string;
  description: string | null;
  scaling: string | null;
  spec: string;
  full: boolean;
  command: string;
  classes: string[];
  photos: { train: number; val: number; test: number; reference: number };
  crops: { train: number; val: number; test: number };
  paper: ExperimentSpec['paper'] | null;
  methods: (MethodResult & { crop?: { top1: number; top5: number; crops: number } })[];
  /** The method with the best test top-1 (ties: top-5, then the order cnn, pce, fusion). */
  best: string;
  fusionCnn: string | null;
  agreement: Analysis['agreement'];
  pceDecisions: Analysis['pceDecisions'];
  fingerprints: {
    class: string;
    images: number;
    reference: string;
    width: number;
    height: number;
    meanPce: number | null;
  }[];
  training: {
    id: string;
    network: string;
    epochs: number;
    bestValAccuracy: number | null;
    seconds: number;
  }[];
  steps: StepStatus[];
  /** Seconds of this run (skipped steps cost nothing), and of every step as it ran. */
  seconds: number;
  stepSeconds: number;
  files: string[];
}

const pct = (v: number | null | undefined, d = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(d)}%`;
const num = (v: number | null | undefined, d = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d);

/** Which method did best on the test split. */
export function bestMethod(methods: readonly MethodResult[]): string {
  return [...methods].sort((a, b) => b.top1 - a.top1 || b.top5 - a.top5)[0]?.method ?? '—';
}

/** One markdown table from rows (first row the header). */
function mdTable(rows: (string | number)[][]): string {
  const [head, ...body] = rows;
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** results.md: summary, paper, per class, agreement, calibration, steps. */
export function resultsMarkdown(r: ExperimentResults): string {
  const out: string[] = [];
  out.push(`# Experiment ${r.name}${r.full ? ' (--full)' : ''}`, '');
  if (r.description) out.push(r.description.trim(), '');
  if (r.scaling) out.push(`**Scaling.** ${r.scaling.trim()}`, '');
  out.push(
    `${r.classes.length} classes; photos: ${r.photos.train} train, ${r.photos.val} validation, ` +
      `${r.photos.test} test${r.photos.reference ? `, ${r.photos.reference} flat-field references outside the data set` : ''}. ` +
      `Command: \`${r.command}\`. Wall time of the steps: ${(r.stepSeconds / 60).toFixed(1)} min ` +
      `(this run: ${(r.seconds / 60).toFixed(1)} min).`,
    '',
  );
  const rows: (string | number)[][] = [['method', 'test photos', 'top-1', `top-5`, 'NLL', 'ECE', 'note']];
  if (r.paper && (r.paper.top1 !== null || r.paper.top5 !== null))
    rows.push([
      'paper (modified AlexNet, DIGITS)',
      '—',
      r.paper.top1 === null ? '—' : `${r.paper.top1}%`,
      r.paper.top5 === null ? '—' : `${r.paper.top5}%`,
      '—',
      '—',
      r.paper.note ?? '',
    ]);
  for (const m of r.methods) {
    const note: string[] = [];
    if (m.crop) note.push(`per crop ${pct(m.crop.top1)} / ${pct(m.crop.top5)} over ${m.crop.crops} crops`);
    if (m.method === 'pce' && r.pceDecisions) {
      const d = r.pceDecisions;
      note.push(
        `PCE > ${d.threshold}: ${d.decidedRight} right, ${d.decidedWrong} wrong, ${d.undecided} undecided`,
      );
    }
    if (m.method === 'fusion' && r.fusionCnn) note.push(`with cnn:${r.fusionCnn}`);
    if (m.method === r.best) note.push('**best**');
    rows.push([
      m.method,
      m.photos,
      pct(m.top1),
      pct(m.top5),
      num(m.calibration?.test.nll),
      num(m.calibration?.test.ece),
      note.join('; '),
    ]);
  }
  out.push('## Test split', '', mdTable(rows), '');
  const k = r.methods[0]?.k ?? 5;
  out.push(
    `${k < 5 ? `top-5 is top-${k} here (${k} classes). ` : ''}NLL and ECE: of the calibrated ` +
      'probabilities (fitted on the validation split) on the test photos.',
    '',
  );
  out.push('## Per class (test photos right / photos)', '');
  const per: (string | number)[][] = [['class', ...r.methods.map((m) => m.method)]];
  for (const c of r.classes)
    per.push([
      c,
      ...r.methods.map((m) => {
        const p = m.perClass[c];
        return p.images ? `${p.correct}/${p.images} (${pct(p.accuracy, 1)})` : '—';
      }),
    ]);
  out.push(mdTable(per), '');
  if (r.agreement) {
    const a = r.agreement;
    out.push('## CNN and PCE: agreement', '');
    out.push(
      mdTable([
        [
          'test photos',
          'agree (right / wrong)',
          'disagree',
          'CNN right',
          'PCE right',
          'neither',
          'fusion right',
          'fusion sided with CNN / PCE',
        ],
        [
          a.photos,
          `${a.agree} (${a.agreeRight} / ${a.agreeWrong})`,
          a.disagree,
          a.cnnRight,
          a.pceRight,
          a.neitherRight,
          `${a.fusionRight} of ${a.disagree}`,
          `${a.fusionWithCnn} / ${a.fusionWithPce}`,
        ],
      ]),
      '',
    );
    if (a.list.length) {
      out.push(`Disagreements${a.list.length > 40 ? ' (first 40)' : ''}:`, '');
      out.push(
        mdTable([
          ['photo', 'truth', 'CNN (p)', 'PCE (PCE)', 'fusion (p)'],
          ...a.list
            .slice(0, 40)
            .map((d) => [
              basename(d.file),
              d.truth,
              `${d.cnn} (${num(d.cnnProbability, 2)})`,
              `${d.pce} (${num(d.pce1, 1)})`,
              `${d.fusion} (${num(d.fusedProbability, 2)})`,
            ]),
        ]),
        '',
      );
    }
  }
  out.push('## Calibration (fitted on the validation split)', '');
  out.push(
    mdTable([
      ['method', 'θ', 'val photos', 'val NLL', 'test NLL', 'test Brier', 'test ECE', 'mean confidence'],
      ...r.methods
        .filter((m) => m.calibration)
        .map((m) => [
          m.method,
          m.calibration!.fit.theta.map((t) => t.toFixed(3)).join(', '),
          m.calibration!.fit.photos,
          num(m.calibration!.fit.nll),
          num(m.calibration!.test.nll),
          num(m.calibration!.test.brier),
          num(m.calibration!.test.ece),
          pct(m.calibration!.test.meanConfidence, 1),
        ]),
    ]),
    '',
    'CNN: p_c ∝ exp(θ·log p̄_c) (temperature 1/θ); PCE: p_c ∝ exp(θ·√PCE_c); fusion: ' +
      'p_c ∝ exp(θ₁·log p̄_c + θ₂·√PCE_c). Without calibration the CNN test NLL / ECE were ' +
      r.methods
        .filter((m) => m.calibration?.uncalibratedTest)
        .map(
          (m) =>
            `${m.method} ${num(m.calibration!.uncalibratedTest!.nll)} / ${num(m.calibration!.uncalibratedTest!.ece)}`,
        )
        .join(', ') +
      '.',
    '',
  );
  if (r.training.length) {
    out.push('## Training', '');
    out.push(
      mdTable([
        ['network', 'epochs', 'best validation accuracy (per crop)', 'minutes'],
        ...r.training.map((t) => [
          `${t.id} (${t.network})`,
          t.epochs,
          pct(t.bestValAccuracy),
          (t.seconds / 60).toFixed(1),
        ]),
      ]),
      '',
    );
  }
  if (r.fingerprints.length) {
    const kinds = [...new Set(r.fingerprints.map((f) => f.reference))].join(', ');
    const imgs = r.fingerprints.map((f) => f.images);
    out.push(
      `Fingerprints: ${r.fingerprints.length}, from ${Math.min(...imgs)}–${Math.max(...imgs)} ${kinds} photos each ` +
        `(${r.fingerprints[0].width}×${r.fingerprints[0].height}).`,
      '',
    );
  }
  out.push('## Steps', '');
  out.push(
    mdTable([
      ['step', 'this run', 'seconds'],
      ...r.steps.map((s) => [s.step, s.status, s.seconds.toFixed(1)]),
    ]),
    '',
  );
  out.push(`Files: ${r.files.join(', ')}.`, '');
  return out.join('\n');
}

/** Reliability diagram: accuracy against top-1 confidence, one line per method. */
export function reliabilitySpec(
  rows: { method: string; bin: number; confidence: number; accuracy: number; photos: number }[],
  title: string,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 360,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: 'grey' },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
        },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'confidence',
            type: 'quantitative',
            title: 'top-1 confidence',
            scale: { domain: [0, 1] },
          },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
          color: { field: 'method', type: 'nominal', title: null },
        },
      },
    ],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

/** Confusion matrix SVG per method; returns the file names written. */
export async function writePlots(out: string, r: ExperimentResults): Promise<string[]> {
  const files: string[] = [];
  for (const m of r.methods) {
    const file = `confusion-${m.method.replace(/[^A-Za-z0-9._-]/g, '-')}.svg`;
    const svg = await renderSvg(
      confusionSpec(
        r.classes,
        m.confusion,
        `${r.name}, ${m.method}: top-1 ${pct(m.top1)} on ${m.photos} test photos`,
      ),
    );
    writeFileAtomic(join(out, file), svg);
    files.push(file);
  }
  return files;
}

/** Versions of what produced the figures. */
export function versions(torch: string | null): Record<string, string | null> {
  const require = createRequire(import.meta.url);
  const pkg = (name: string) => {
    try {
      return (
        JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }
      ).version;
    } catch {
      return null;
    }
  };
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return {
    camprint: VERSION,
    git: git.status === 0 ? git.stdout.trim() : null,
    gitDirty: dirty.status === 0 ? String(dirty.stdout.trim().length > 0) : null,
    node: process.version,
    'onnxruntime-node': pkg('onnxruntime-node'),
    sharp: pkg('sharp'),
    zod: pkg('zod'),
    torch,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Paths relative to the results folder, for listing. */
export function rel(out: string, file: string): string {
  return relative(out, file) || '.';
}
