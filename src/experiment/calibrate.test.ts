/**
 * The numbers behind an experiment's figures, without Python or photos: scoring, the conditional
 * logit (calibration and fusion), step hashes, spec merging, and which photos may be references.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrationFigures,
  cnnEvidence,
  fitLogit,
  joinEvidence,
  order,
  pceEvidence,
  posterior,
  scoreFigures,
} from './calibrate.js';
import { analyse } from './fusion.js';
import { checkSpec, deepMerge } from './spec.js';
import { hashOf, stableStringify } from './steps.js';
import { referencePhotos } from './pce.js';
import type { Manifest } from '../dl/dataset/index.js';
import type { SourcePhoto } from './data.js';
import { rng } from '../testing/numeric.js';

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
}

test('scores: order, top-1, top-k, per class and confusion', () => {
  assert.deepEqual(order([0.1, 0.5, 0.5, -Infinity]), [1, 2, 0, 3]);
  const f = scoreFigures(
    ['a', 'b', 'c'],
    [
      { truth: 0, scores: [3, 2, 1] },
      { truth: 1, scores: [3, 2, 1] },
      { truth: 2, scores: [1, 2, 3] },
      { truth: 2, scores: [-Infinity, 2, 1] },
    ],
  );
  assert.equal(f.top1, 0.5);
  assert.equal(f.top5, 1);
  assert.equal(f.k, 3);
  assert.deepEqual(f.confusion, [
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 1],
  ]);
  assert.deepEqual(f.perClass.c, { images: 2, correct: 1, accuracy: 0.5 });
});

test('the conditional logit recovers a temperature and calibrates over-confident scores', () => {
  // Photos whose true posterior is softmax(0.4·z): scores z given with a temperature 2.5 too cold.
  const r = rng(7);
  const k = 5;
  const xs: number[][][] = [];
  const truth: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const z = Array.from({ length: k }, () => 4 * normal(r));
    const p = posterior(
      z.map((v) => [v]),
      [0.4],
    );
    let u = r();
    let t = 0;
    while (t < k - 1 && u > p[t]) u -= p[t++];
    xs.push(z.map((v) => [v]));
    truth.push(t);
  }
  const fit = fitLogit(xs, truth, 0, [1]);
  assert.ok(fit.converged);
  assert.ok(Math.abs(fit.theta[0] - 0.4) < 0.04, `θ ${fit.theta[0]}`);
  const raw = calibrationFigures(
    xs.map((x) => posterior(x, [1])),
    truth,
  );
  const cal = calibrationFigures(
    xs.map((x) => posterior(x, fit.theta)),
    truth,
  );
  assert.ok(cal.nll < raw.nll && cal.ece < raw.ece && cal.ece < 0.03, JSON.stringify({ raw, cal }));
  // The prior keeps a perfectly separable fit finite.
  const sep = fitLogit(
    [
      [[5], [0]],
      [[0], [6]],
    ],
    [0, 1],
    1,
  );
  assert.ok(Number.isFinite(sep.theta[0]) && sep.theta[0] > 0 && sep.theta[0] < 10, `${sep.theta}`);
});

test('fusion: the CNN and PCE evidence combined beat either alone, disagreements counted', () => {
  // 6 classes. The CNN knows the model of half the classes well, PCE is weak but unbiased.
  const r = rng(3);
  const classes = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
  const sources: { file: string; class: number }[] = [];
  const cnnPhotos: { src: number; p: number[] }[] = [];
  const pcePhotos: { src: number; pce: (number | null)[]; log10PFalseAlarm: null[]; seconds: number }[] = [];
  for (let i = 0; i < 1200; i++) {
    const truth = i % 6;
    sources.push({ file: `p${i}.jpg`, class: truth });
    const logits = classes.map((_, c) => normal(r) + (c === truth ? 1.2 : 0));
    const p = posterior(
      logits.map((v) => [v]),
      [1],
    );
    const pce = classes.map((_, c) => (normal(r) + (c === truth ? 1.8 : 0)) ** 2 * Math.sign(normal(r) + 3));
    cnnPhotos.push({ src: i, p });
    pcePhotos.push({ src: i, pce, log10PFalseAlarm: classes.map(() => null), seconds: 0 });
  }
  const half = (list: { src: number }[], first: boolean) => list.filter((p) => p.src < 600 === first);
  const a = analyse({
    classes,
    sources,
    cnn: [{ id: 'net', val: half(cnnPhotos, true) as never, test: half(cnnPhotos, false) as never }],
    pce: { val: half(pcePhotos, true) as never, test: half(pcePhotos, false) as never },
    fusion: { rule: 'logistic', l2: 1 },
    threshold: 60,
  });
  const by = Object.fromEntries(a.methods.map((m) => [m.method, m]));
  assert.deepEqual(Object.keys(by), ['cnn:net', 'pce', 'fusion']);
  assert.ok(
    by.fusion.top1 > by['cnn:net'].top1 && by.fusion.top1 > by.pce.top1,
    `fusion ${by.fusion.top1} vs ${by['cnn:net'].top1}, ${by.pce.top1}`,
  );
  assert.ok(
    by.fusion.calibration!.test.nll <
      Math.min(by['cnn:net'].calibration!.test.nll, by.pce.calibration!.test.nll),
  );
  const g = a.agreement!;
  assert.equal(g.photos, 600);
  assert.equal(g.agree + g.disagree, 600);
  assert.equal(g.cnnRight + g.pceRight + g.neitherRight, g.disagree);
  assert.equal(g.list.length, g.disagree);
  assert.equal(a.fusionCnn, 'net');
  // The sum rule: each method's own θ, no joint fit.
  const s = analyse({
    classes,
    sources,
    cnn: [{ id: 'net', val: half(cnnPhotos, true) as never, test: half(cnnPhotos, false) as never }],
    pce: { val: half(pcePhotos, true) as never, test: half(pcePhotos, false) as never },
    fusion: { rule: 'sum', l2: 1 },
    threshold: 60,
  });
  const sf = s.methods.find((m) => m.method === 'fusion')!;
  assert.deepEqual(sf.calibration!.fit.theta, [
    by['cnn:net'].calibration!.fit.theta[0],
    by.pce.calibration!.fit.theta[0],
  ]);
  assert.ok(sf.top1 > by.pce.top1);
});

test('evidence: log p floored, √PCE signed, not comparable is no evidence', () => {
  assert.deepEqual(pceEvidence([100, -4, null]), [[10], [-2], [0]]);
  assert.equal(cnnEvidence([0])[0][0], Math.log(1e-12));
  assert.deepEqual(joinEvidence([[1], [2]], [[3], [4]]), [
    [1, 3],
    [2, 4],
  ]);
});

test('step hashes do not depend on key order; specs merge for --full', () => {
  assert.equal(stableStringify({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
  assert.equal(hashOf({ a: 1, b: 2 }), hashOf({ b: 2, a: 1 }));
  assert.notEqual(hashOf({ a: 1 }), hashOf({ a: 2 }));
  assert.deepEqual(deepMerge({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2] }), {
    a: { b: 1, c: 3 },
    d: [2],
  });
  const doc = {
    name: 'x',
    data: { simulate: { models: 2, images: 4, size: '64x64' } },
    full: { data: { simulate: { images: 200 } }, cnn: [{ network: 'alexnet-mod', epochs: 500 }] },
  };
  const small = checkSpec(doc, '/tmp/x.yaml');
  const full = checkSpec(doc, '/tmp/x.yaml', true);
  assert.equal(small.data.simulate!.images, 4);
  assert.equal(full.data.simulate!.images, 200);
  assert.equal(full.data.simulate!.models, 2);
  assert.deepEqual(
    full.cnn.map((n) => [n.id, n.epochs]),
    [['alexnet-mod', 500]],
  );
  assert.equal(small.cnn[0].id, 'camnet');
  assert.equal(small.dataset.split, '75/10/15');
  assert.throws(
    () => checkSpec({ name: 'x', data: { folder: 'f' } }, '/tmp/y.json', true),
    /y\.json: full: --full needs a full: section/,
  );
  assert.equal(checkSpec({ name: 'x', data: { folder: 'd' } }, '/a/b/spec.json').data.folder, '/a/b/d');
});

test('PCE references: training photos and outside flat-fields, never a val/test photo or unit', () => {
  const src = (file: string, cls: number, device: string, split: 'train' | 'val' | 'test') => ({
    file,
    sha256: 'x',
    class: cls,
    device,
    split,
    width: 8,
    height: 8,
    crops: 1,
  });
  const manifest = {
    classes: ['A', 'B'],
    splitBy: 'device',
    sources: [
      src('/a0-n1', 0, 'A_0', 'train'),
      src('/a1-n1', 0, 'A_1', 'test'),
      src('/b0-n1', 1, 'B_0', 'train'),
      src('/b1-n1', 1, 'B_1', 'val'),
    ],
  } as unknown as Manifest;
  const photo = (file: string, cls: string, device: string, kind: 'flat' | 'natural', inDataset: boolean) =>
    ({ file, sha256: 'x', class: cls, device, kind, inDataset }) satisfies SourcePhoto;
  const photos = [
    photo('/a0-n1', 'A', 'A_0', 'natural', true),
    photo('/a0-f1', 'A', 'A_0', 'flat', false),
    photo('/a1-n1', 'A', 'A_1', 'natural', true),
    photo('/a1-f1', 'A', 'A_1', 'flat', false),
    photo('/b0-n1', 'B', 'B_0', 'natural', true),
    photo('/b1-n1', 'B', 'B_1', 'natural', true),
  ];
  const spec = checkSpec({ name: 'x', data: { folder: '/d' } }, '/s.json');
  const refs = referencePhotos(spec, manifest, photos);
  assert.deepEqual(refs, [
    { class: 'A', files: ['/a0-f1'], kind: 'flat' },
    { class: 'B', files: ['/b0-n1'], kind: 'natural' },
  ]);
  const train = referencePhotos({ ...spec, pce: { ...spec.pce, reference: 'train' } }, manifest, photos);
  assert.deepEqual(train[0].files, ['/a0-f1', '/a0-n1']);
  assert.throws(
    () => referencePhotos({ ...spec, pce: { ...spec.pce, reference: 'flat' } }, manifest, photos),
    /class B has no flat-field photos/,
  );
});
