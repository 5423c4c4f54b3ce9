/**
 * Blind clustering: the scores on hand-computed answers, the kernels on known properties, and the
 * whole method on simulated cameras (service and command line, with bad input).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../sim/index.js';
import { closePool } from '../pool/index.js';
import { log10NormalTail } from '../prnu/index.js';
import { CLI } from '../testing/shared.js';
import {
  agglomerate,
  clusterPhotos,
  dotBlock,
  normaliseUnit,
  nullScale,
  readTruth,
  scoreAgainstTruth,
  scorePartition,
  weightResidual,
  zThreshold,
} from './index.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

/** A standard normal deviate from a uniform generator (Box–Muller). */
function gauss(rand: () => number): number {
  const u = rand() + 0.5 || 1e-12;
  const v = rand() + 0.5;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

test('ARI, precision and recall on hand-computed examples', () => {
  // truth {0,1,2 | 3,4,5}, predicted {0,1 | 2,3 | 4,5}: n_ij = 2,1,1,2 → Σ C(n_ij,2) = 2;
  // predicted pairs 3, true pairs 6, C(6,2) = 15, E = 3·6/15 = 1.2, max = 4.5;
  // ARI = (2 − 1.2)/(4.5 − 1.2) = 8/33; precision 2/3, recall 2/6, F1 = 4/9.
  const s = scorePartition([0, 0, 1, 1, 2, 2], ['a', 'a', 'a', 'b', 'b', 'b']);
  assert.equal(s.truePositivePairs, 2);
  assert.equal(s.predictedPairs, 3);
  assert.equal(s.truePairs, 6);
  assert.ok(Math.abs(s.ari - 8 / 33) < 1e-12, `ARI ${s.ari}`);
  assert.ok(Math.abs(s.precision - 2 / 3) < 1e-12);
  assert.ok(Math.abs(s.recall - 1 / 3) < 1e-12);
  assert.ok(Math.abs(s.f1 - 4 / 9) < 1e-12);
  assert.equal(s.clusters, 3);
  assert.equal(s.classes, 2);
  // scikit-learn's documented example: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.57…
  // (Σ C(n_ij,2) = 1, predicted pairs 1, true pairs 2, E = 2/6, max 1.5: ARI = (2/3)/(7/6) = 4/7).
  assert.ok(Math.abs(scorePartition([0, 0, 1, 2], [0, 0, 1, 1]).ari - 4 / 7) < 1e-12);
  // Symmetric in its arguments, blind to label names.
  assert.ok(Math.abs(scorePartition([0, 0, 1, 1], [0, 0, 1, 2]).ari - 4 / 7) < 1e-12);
  assert.equal(scorePartition(['x', 'x', 'y', 'z', 'z'], [5, 5, 7, 9, 9]).ari, 1);
  // All singletons against classes of two: no pair predicted (precision 1 by convention), recall 0.
  const lone = scorePartition([0, 1, 2, 3], ['a', 'a', 'b', 'b']);
  assert.equal(lone.precision, 1);
  assert.equal(lone.recall, 0);
  assert.equal(lone.ari, 0);
  // Both trivial in the same way: ARI 1.
  assert.equal(scorePartition([0, 1, 2], ['a', 'b', 'c']).ari, 1);
  assert.throws(() => scorePartition([0], [0, 1]), RangeError);
});

test('threshold: Q(τ) = P_FA / tests, and σ0 ≈ 1 for independent white crops', () => {
  for (const [pfa, tests] of [
    [1e-3, 124750],
    [0.01, 496],
    [0.5, 1],
  ]) {
    const z = zThreshold(pfa, tests);
    assert.ok(Math.abs(log10NormalTail(z) - Math.log10(pfa / tests)) < 1e-6, `τ ${z}`);
  }
  assert.ok(Math.abs(zThreshold(1e-3, 124750) - 5.65) < 0.01);
  assert.throws(() => zThreshold(0, 10), RangeError);

  const rand = lcg(7);
  const n = 40;
  const N = 4096;
  const X = new Float32Array(n * N);
  for (let i = 0; i < n; i++) {
    const row = X.subarray(i * N, (i + 1) * N);
    for (let k = 0; k < N; k++) row[k] = gauss(rand);
    normaliseUnit(row);
  }
  const out = new Float64Array(n * n);
  dotBlock(X, n, X, n, N, out, true);
  const S = Float32Array.from(out);
  const { sigma0, pairs } = nullScale([{ S, n, N }]);
  assert.ok(pairs > 300, `${pairs} negative pairs`);
  assert.ok(sigma0 >= 1 && sigma0 < 1.1, `σ0 ${sigma0}`);
});

test('dotBlock equals plain dot products (tiles, symmetric blocks, padding rule)', () => {
  const rand = lcg(3);
  const N = 5000; // not a multiple of the chunk: the tail is covered
  const a = Float32Array.from({ length: 8 * N }, rand);
  const b = Float32Array.from({ length: 12 * N }, rand);
  const dot = (x: Float32Array, i: number, y: Float32Array, j: number): number => {
    let s = 0;
    for (let k = 0; k < N; k++) s += x[i * N + k] * y[j * N + k];
    return s;
  };
  const out = dotBlock(a, 8, b, 12, N, new Float64Array(8 * 12));
  for (let i = 0; i < 8; i++)
    for (let j = 0; j < 12; j++) assert.ok(Math.abs(out[i * 12 + j] - dot(a, i, b, j)) < 1e-9);
  const sym = dotBlock(a, 8, a, 8, N, new Float64Array(64), true);
  for (let i = 0; i < 8; i++)
    for (let j = 0; j < 8; j++) assert.ok(Math.abs(sym[i * 8 + j] - dot(a, i, a, j)) < 1e-9);
  assert.throws(() => dotBlock(a, 6, b, 12, N, new Float64Array(72)), RangeError);
  const x = Float32Array.from([1, 2, 3, 6]);
  assert.ok(Math.abs(normaliseUnit(x) - Math.sqrt(14)) < 1e-6);
  assert.ok(Math.abs(x.reduce((s, v) => s + v, 0)) < 1e-6);
  assert.ok(Math.abs(x.reduce((s, v) => s + v * v, 0) - 1) < 1e-6);
});

test('weighting: saturated pixels carry nothing, each colour-filter lattice is zero-mean by rows', () => {
  const rand = lcg(11);
  const h = 32;
  const w = 40;
  const W = Float32Array.from({ length: h * w }, rand);
  const I = Float32Array.from({ length: h * w }, () => 128 + 100 * rand());
  const u = weightResidual(W, I, h, w);
  for (let r = 0; r < h; r++) {
    for (const c0 of [0, 1]) {
      let s = 0;
      for (let c = c0; c < w; c += 2) s += u[r * w + c];
      assert.ok(Math.abs(s) < 1e-4, `row ${r} lattice ${c0}: ${s}`);
    }
  }
  // Saturated pixels carry no PRNU: a fully saturated crop gives nothing to correlate.
  assert.ok(weightResidual(W, new Float32Array(h * w).fill(255), h, w).every((v) => v === 0));
  // Brighter pixels weigh more (u ∝ I): doubling I doubles the result.
  const u2 = weightResidual(
    W,
    I.map((v) => v / 2),
    h,
    w,
  );
  for (let i = 0; i < u.length; i++) assert.ok(Math.abs(u[i] - 2 * u2[i]) < 1e-3 * (1 + Math.abs(u[i])));
});

test('agglomerate: recovers groups from NCCs of noisy copies of group patterns', () => {
  // 5 sources × 6 photos; each photo = its source's pattern (weight a) + independent noise, so a
  // same-source pair has NCC ≈ a_i·a_j and z ≈ √N·a_i·a_j: 2.9 for two weak photos (a = 0.15,
  // N = 16384), under τ = 4.98, so most photos are joined through cluster fingerprints, not pairs.
  const rand = lcg(5);
  const N = 16384;
  const sources = 5;
  const per = 6;
  const n = sources * per;
  const patterns = Array.from({ length: sources }, () => Float32Array.from({ length: N }, () => gauss(rand)));
  const rows = Math.ceil(n / 4) * 4;
  const X = new Float32Array(rows * N);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const src = i % sources; // interleaved: order must not matter
    truth.push(src);
    const row = X.subarray(i * N, (i + 1) * N);
    const a = i % 3 === 0 ? 0.3 : 0.15;
    for (let k = 0; k < N; k++) row[k] = a * patterns[src][k] + gauss(rand);
    normaliseUnit(row);
  }
  const out = dotBlock(X, rows, X, rows, N, new Float64Array(rows * rows), true);
  const S = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = out[i * rows + j];
  const tau = zThreshold(1e-3, (n * (n - 1)) / 2);
  const r = agglomerate(S, n, { threshold: tau, scale: Math.sqrt(N) });
  assert.ok(r.converged);
  const s = scorePartition(Array.from(r.labels), truth);
  assert.equal(s.ari, 1, `ARI ${s.ari}, ${r.clusters} clusters`);
  // Pure noise: nothing passes the threshold, every photo stays alone.
  const noise = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    noise[i * n + i] = 1;
    for (let j = 0; j < i; j++) noise[i * n + j] = noise[j * n + i] = gauss(rand) / Math.sqrt(N);
  }
  assert.equal(agglomerate(noise, n, { threshold: tau, scale: Math.sqrt(N) }).clusters, n);
});

// --- simulated cameras, end to end ---------------------------------------------------------

let work: string;
let sim: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'camprint-cluster-'));
  sim = join(work, 'sim');
  // 2 models × 2 units × 8 natural photos at 256×192: a quarter of the pixels of the README's
  // 512×384 experiment, so the PRNU is set strong (prnuScale 2) to make every photo decidable
  // (measured: ARI 1 on seeds 1–5; at prnuScale 1 some seeds leave a third of the photos alone).
  await simulate({
    dir: sim,
    models: 2,
    devices: 2,
    images: 8,
    flat: 0,
    width: 256,
    height: 192,
    seed: 3,
    prnuScale: 2,
  });
});
after(async () => {
  await closePool();
  rmSync(work, { recursive: true, force: true });
});

test('clusterPhotos recovers the four units of two models from 32 photos, with no count given', async () => {
  const { listImages } = await import('../image/index.js');
  const files = listImages([sim]);
  assert.equal(files.length, 32);
  const report = await clusterPhotos(files);
  const truth = readTruth(join(sim, 'cameras.json'), sim, files);
  const s = scoreAgainstTruth(report.files, report.labels, truth);
  assert.equal(s.ari, 1, JSON.stringify(s));
  assert.equal(report.clusters.length, 4);
  assert.equal(report.groups.length, 1);
  assert.deepEqual(report.groups[0].crop, [192, 256]);
  assert.equal(report.threshold.tests, 496);
  assert.ok(report.threshold.sigma0 >= 1 && report.threshold.sigma0 < 1.5);
  // Same photos, same result, however the pool scheduled them.
  const again = await clusterPhotos([...files].reverse());
  const back = new Map(again.files.map((f, i) => [f, again.labels[i]]));
  assert.equal(
    scorePartition(
      report.labels,
      report.files.map((f) => back.get(f)),
    ).ari,
    1,
  );
});

test('the cluster job kind (as a worker runs it) writes the same four clusters to its out file', async () => {
  const { openQueue } = await import('../queue/index.js');
  const queue = await openQueue({ settings: { redisUrl: undefined } });
  try {
    const out = join(work, 'job-clusters.json');
    const job = await queue.wait(await queue.submit('cluster', { dir: sim, out }));
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.equal(job.result?.clusters, 4);
    assert.equal(job.result?.photos, 32);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(written.clusters.map((c: { files: string[] }) => c.files.length).sort(), [8, 8, 8, 8]);
  } finally {
    await queue.close();
  }
});

test('truth files: JSON, CSV and a simulate folder agree; bad ones are InputErrors naming the file', async () => {
  const { listImages } = await import('../image/index.js');
  const files = listImages([sim]);
  const rel = (f: string): string => f.slice(sim.length + 1);
  const source = (f: string): string => rel(f).split('/')[0];
  const json = join(work, 'truth.json');
  writeFileSync(json, JSON.stringify(Object.fromEntries(files.map((f) => [rel(f), source(f)]))));
  const csv = join(work, 'truth.csv');
  writeFileSync(csv, 'file,source\n' + files.map((f) => `${rel(f)},${source(f)}`).join('\n') + '\n');
  const fromDir = readTruth(sim, sim, files);
  for (const t of [readTruth(json, sim, files), readTruth(csv, sim, files)]) {
    assert.equal(t.labels.size, 32);
    for (const [k, v] of t.labels) assert.equal(fromDir.labels.get(k), v);
  }
  const stray = join(work, 'stray.json');
  writeFileSync(stray, JSON.stringify({ 'nowhere/x.jpg': 'a' }));
  assert.throws(() => readTruth(stray, sim, files), /stray\.json: names 1 photo that is not among/);
  assert.throws(() => readTruth(join(work, 'absent.json'), sim, files), /absent\.json: cannot read/);
});

function camprint(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', join(work, 'store'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('camprint cluster: JSON result and --out file, a corrupt photo skipped with a warning', () => {
  const dir = join(work, 'mixed');
  mkdirSync(dir);
  // The simulated set plus one corrupt JPEG, in one folder.
  spawnSync('cp', ['-r', sim, join(dir, 'sim')]);
  writeFileSync(join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  const out = join(work, 'clusters.json');
  const r = camprint(['--json', 'cluster', dir, '--truth', join(dir, 'sim', 'cameras.json'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: skipped .*broken\.jpg/);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.photos, 32);
  assert.equal(doc.clusters.length, 4);
  for (const c of doc.clusters) {
    assert.equal(typeof c.id, 'number');
    assert.equal(c.files.length, 8);
  }
  assert.equal(typeof doc.seconds, 'number');
  assert.equal(doc.skipped.length, 1);
  assert.equal(doc.scores.ari, 1);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).clusters, doc.clusters);
});

test('camprint cluster: bad truth files and empty folders exit 2 with one line naming the file', () => {
  const bad = join(work, 'bad.json');
  writeFileSync(bad, '{"x": ');
  writeFileSync(join(work, 'stray.json'), JSON.stringify({ 'nowhere/x.jpg': 'a' }));
  mkdirSync(join(work, 'empty'));
  const cases: [string[], RegExp][] = [
    [['cluster', sim, '--truth', bad], /bad\.json: not valid JSON/],
    [['cluster', sim, '--truth', join(work, 'missing.csv')], /missing\.csv: cannot read the truth file/],
    [['cluster', sim, '--truth', join(work, 'stray.json')], /stray\.json: names 1 photo/],
    [['cluster', join(work, 'empty')], /empty: no images found/],
  ];
  for (const [args, message] of cases) {
    const r = camprint(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.equal(camprint(['cluster', sim, '--pfa', '2']).code, 1);
});
