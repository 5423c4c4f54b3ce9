/**
 * Runs an experiment end to end into one results folder, each step resumable (steps.ts):
 *   data (simulate, or a folder) → data set (split by photo or unit, seeded) → per network:
 *   train → evaluate → per class: fingerprint → PCE of every val/test photo against every class →
 *   calibration and fusion (fitted on val, scored on test) → results.json, results.md, SVGs,
 *   config.json.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkEngine, pythonPath, renderSvg } from '../dl/index.js';
import { REPO_ROOT } from '../util/paths.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { prepareData } from './data.js';
import { datasetStep, evaluateStep, trainStep, type CnnOutput, type TrainOutput } from './cnn.js';
import { fingerprintSteps, matchStep, referencePhotos, type FingerprintInfo, type PceOutput } from './pce.js';
import { analyse } from './fusion.js';
import { Steps } from './steps.js';
import {
  bestMethod,
  reliabilitySpec,
  resultsMarkdown,
  versions,
  writePlots,
  type ExperimentResults,
} from './report.js';
import type { ExperimentSpec } from './spec.js';

export interface RunOptions {
  /** Results folder (default `experiment-results/<name>`, `-full` added with --full). */
  out?: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** The command line to record (default: `camprint experiment <spec>`). */
  command?: string;
}

export interface RunResult extends ExperimentResults {
  /** The results folder, absolute. */
  out: string;
}

/** The default results folder of a spec. */
export function defaultOut(spec: ExperimentSpec): string {
  return resolve('experiment-results', spec.name + (spec.full ? '-full' : ''));
}

export async function runExperiment(spec: ExperimentSpec, opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const out = resolve(opts.out ?? defaultOut(spec));
  const log = (line: string) => opts.log?.(`[${spec.name}] ${line}`);
  const steps = new Steps(out, log);
  const methods = new Set(spec.methods);
  const torch = methods.has('cnn') ? await checkNetworks(spec) : null;

  // 1. Photos and the data set (the split both methods share).
  const data = await prepareData(spec, out, steps, log);
  const dataset = await datasetStep(spec, data, out, steps, log);
  const m = dataset.manifest;

  // 2. CNN: train and evaluate every network.
  const cnn: { id: string; network: string; train: TrainOutput; eval: CnnOutput }[] = [];
  if (methods.has('cnn')) {
    for (const net of spec.cnn) {
      const train = await trainStep(spec, net, dataset, out, steps, log);
      const ev = await evaluateStep(net, train, dataset, steps);
      log(
        `cnn:${net.id}: test top-1 ${(100 * ev.output.evaluation.top1).toFixed(2)}%, top-5 ${(100 * ev.output.evaluation.top5).toFixed(2)}%`,
      );
      cnn.push({ id: net.id, network: net.network, train: train.output, eval: ev.output });
    }
  }

  // 3. PCE: fingerprints from the reference photos, every val/test photo against every class.
  let pce: PceOutput | null = null;
  let fingerprints: FingerprintInfo[] = [];
  if (methods.has('pce')) {
    const fp = await fingerprintSteps(spec, m, data.photos, out, steps, log);
    fingerprints = fp.infos;
    const withVal = m.sources.some((s) => s.split === 'val');
    pce = (await matchStep(spec, m, fp, withVal, out, steps, log)).output;
  }

  // 4. Calibration, fusion, figures.
  const analysis = analyse({
    classes: m.classes,
    sources: m.sources,
    cnn: cnn.map((c) => ({ id: c.id, val: c.eval.val, test: c.eval.test })),
    pce,
    fusion: methods.has('fusion') ? spec.fusion : null,
    threshold: spec.pce.threshold,
  });
  // The CNN rows are dl evaluate's own figures (image level), with its per-crop figures beside.
  const results = analysis.methods.map((r) => {
    const c = cnn.find((x) => `cnn:${x.id}` === r.method);
    if (!c) return r;
    const e = c.eval.evaluation;
    return {
      ...r,
      photos: e.images,
      top1: e.top1,
      top5: e.top5,
      perClass: e.perClass,
      confusion: e.confusion,
      crop: e.crop,
    };
  });
  const count = (split: string) => m.sources.filter((s) => s.split === split).length;
  const inDataset = new Set(m.sources.map((s) => s.file));
  const refs = methods.has('pce') ? referencePhotos(spec, m, data.photos) : [];
  const outside = new Set(refs.flatMap((r) => r.files).filter((f) => !inDataset.has(f)));
  const cropCount = (split: 'train' | 'val' | 'test') => m.shards[split].reduce((a, s) => a + s.count, 0);
  const specRel = relative(process.cwd(), spec.file) || spec.file;
  const doc: ExperimentResults = {
    format: 'camprint-experiment/1',
    name: spec.name,
    description: spec.description ?? null,
    scaling: spec.scaling ?? null,
    spec: spec.file,
    full: spec.full,
    command:
      opts.command ??
      `camprint experiment ${specRel}${spec.full ? ' --full' : ''} --out ${relative(process.cwd(), out) || '.'}`,
    classes: m.classes,
    photos: { train: count('train'), val: count('val'), test: count('test'), reference: outside.size },
    crops: { train: cropCount('train'), val: cropCount('val'), test: cropCount('test') },
    paper: spec.paper ?? null,
    methods: results,
    best: bestMethod(results),
    fusionCnn: analysis.fusionCnn,
    agreement: analysis.agreement,
    pceDecisions: analysis.pceDecisions,
    fingerprints: fingerprints.map((f) => ({
      class: f.class,
      images: f.images,
      reference: f.reference,
      width: f.width,
      height: f.height,
      meanPce: f.meanPce,
    })),
    training: cnn.map((c) => ({
      id: c.id,
      network: c.network,
      epochs: c.train.epochs,
      bestValAccuracy: c.train.bestValAccuracy,
      seconds: c.train.seconds,
    })),
    steps: steps.statuses,
    seconds: 0,
    stepSeconds: steps.statuses.reduce((a, s) => a + s.seconds, 0),
    files: [],
  };

  // 5. The documents.
  const files = await writePlots(out, doc);
  for (const c of cnn) files.push(`curves-${c.id}.svg`);
  const reliability = results.flatMap((r) =>
    (r.calibration?.test.bins ?? []).map((b, bin) => ({ method: r.method, bin, ...b })),
  );
  if (reliability.length) {
    writeFileAtomic(
      join(out, 'reliability.svg'),
      await renderSvg(
        reliabilitySpec(reliability, `${spec.name}: calibrated top-1 confidence on the test split`),
      ),
    );
    files.push('reliability.svg');
  }
  files.push('results.json', 'results.md', 'config.json');
  doc.files = files;
  doc.seconds = (performance.now() - t0) / 1000;
  const specText = readFileSync(spec.file);
  const sources = new Map(m.sources.map((s) => [s.file, s.split]));
  const config = {
    format: 'camprint-experiment-config/1',
    spec,
    specSha256: createHash('sha256').update(specText).digest('hex'),
    versions: versions(torch),
    data: {
      root: data.root,
      hash: data.hash,
      photos: data.photos.length,
      sources: data.photos.map((p) => ({
        file: relative(data.root, p.file),
        sha256: p.sha256,
        class: p.class,
        device: p.device,
        kind: p.kind,
        split: sources.get(p.file) ?? (outside.has(p.file) ? 'reference' : null),
      })),
    },
    dataset: {
      folder: dataset.dir,
      manifestSha256: createHash('sha256')
        .update(readFileSync(join(dataset.dir, 'manifest.json')))
        .digest('hex'),
      summary: dataset.summary,
    },
    steps: Object.fromEntries(steps.statuses.map((s) => [s.step, s.hash])),
  };
  writeFileAtomic(join(out, 'config.json'), JSON.stringify(config, jsonSafe, 2) + '\n');
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(doc, jsonSafe, 2) + '\n');
  writeFileAtomic(join(out, 'results.md'), resultsMarkdown(doc));
  log(`results in ${out} (${doc.seconds.toFixed(1)} s)`);
  return { ...doc, out };
}

/**
 * Before anything is made: Python with torch is there (the message says how to install it) and
 * every network of the spec is registered in the engine. Returns torch's version.
 */
async function checkNetworks(spec: ExperimentSpec): Promise<string> {
  const { torch } = checkEngine();
  const r = spawnSync(
    pythonPath(),
    ['-c', 'import json; from engine.networks import registered; print(json.dumps(registered()))'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  let names: string[] | undefined;
  try {
    names = JSON.parse(r.stdout) as string[];
  } catch {
    names = undefined; // the engine will say what is wrong when it starts
  }
  spec.cnn.forEach((n, i) => {
    if (names && !names.includes(n.network))
      throw new InputError(
        `${spec.file}: cnn[${i}].network: expected one of ${names.join(', ')} but received ${n.network}`,
      );
  });
  return torch;
}

/** JSON has no Infinity or NaN: they become null. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
