/**
 * `camprint experiment` end to end on a tiny spec (3 simulated cameras, small photos, LeNet for 2
 * epochs): methods cnn, pce and fusion; every file of the results folder; a second run skips
 * every step and gives the same numbers; a step whose record is gone is redone alone; a bad spec
 * is one line naming the file and the field (exit 2).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../testing/shared.js';
import { pythonPath } from '../dl/index.js';
import { InputError } from '../util/errors.js';
import { loadSpec, runExperiment } from './index.js';

const torch = spawnSync(pythonPath(), ['-c', 'import torch'], { encoding: 'utf8' });
const skip =
  torch.status === 0 ? false : `needs ${pythonPath()} with PyTorch (npm run setup installs python3-torch)`;

let dir: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, checked field by field
type Json = any;
function camprint(args: string[]): { code: number; stderr: string; json: Json } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', join(dir, 'store'), '--json', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stderr: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

const TINY = {
  name: 'tiny',
  seed: 3,
  data: {
    simulate: {
      models: 3,
      devices: 1,
      images: 12,
      flat: 4,
      size: '192x128',
      jpegQuality: 90,
      prnuScale: 1,
    },
    classes: 'model',
  },
  dataset: { crop: 32, cropsPerImage: 4, split: '50/25/25' },
  cnn: { network: 'lenet', epochs: 2, batch: 16 },
  methods: ['cnn', 'pce', 'fusion'],
};

/** The figures of a results.json, without what depends on the run (times, step statuses). */
function figures(doc: Json): Json {
  const { seconds: _s, steps: _t, stepSeconds: _u, training, ...rest } = doc;
  void _s;
  void _t;
  void _u;
  return { ...rest, training: training.map(({ seconds: _x, ...t }: Json) => (void _x, t)) };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-experiment-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'a tiny spec runs end to end (cnn, pce, fusion), then resumes with every step skipped',
  { skip, timeout: 120_000 },
  () => {
    const spec = join(dir, 'tiny.json');
    writeFileSync(spec, JSON.stringify(TINY));
    const out = join(dir, 'out');
    const first = camprint(['experiment', spec, '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    const r = first.json;
    assert.equal(r.out, out);
    assert.deepEqual(r.classes, ['SimCam01', 'SimCam02', 'SimCam03']);
    assert.deepEqual(
      r.methods.map((m: Json) => m.method),
      ['cnn:lenet', 'pce', 'fusion'],
    );
    assert.equal(r.photos.test, 9);
    assert.equal(r.photos.reference, 12, 'the 4 flat-fields of each camera are PCE references');
    for (const m of r.methods) {
      assert.equal(m.photos, 9, m.method);
      assert.ok(m.top1 >= 0 && m.top1 <= m.top5 && m.top5 === 1, `${m.method}: 3 classes, top-3 holds all`);
      assert.equal(
        m.confusion.flat().reduce((a: number, b: number) => a + b, 0),
        9,
      );
      assert.ok(m.calibration.fit.photos > 0, 'fitted on the validation split');
    }
    const pce = r.methods.find((m: Json) => m.method === 'pce');
    assert.ok(pce.top1 >= 8 / 9, `simulated units at prnuScale 1: PCE top-1 ${pce.top1}`);
    assert.ok(r.methods.find((m: Json) => m.method === 'fusion').top1 >= 8 / 9);
    assert.equal(r.agreement.photos, 9);
    assert.equal(r.agreement.agree + r.agreement.disagree, 9);
    assert.equal(r.agreement.list.length, r.agreement.disagree);
    for (const f of [
      'results.json',
      'results.md',
      'config.json',
      'confusion-cnn-lenet.svg',
      'confusion-pce.svg',
      'confusion-fusion.svg',
      'curves-lenet.svg',
      'reliability.svg',
      'dataset/manifest.json',
      'models/lenet/model.onnx',
      'pce/fingerprints/000.npy',
    ])
      assert.ok(existsSync(join(out, f)), f);
    for (const f of r.files) assert.ok(existsSync(join(out, f)), f);
    assert.ok(r.steps.every((s: Json) => s.status === 'done'));
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(md, /\| fusion \| 9 \|/);
    assert.match(md, /## CNN and PCE: agreement/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.spec.name, 'tiny');
    assert.equal(config.spec.cnn[0].epochs, 2);
    assert.match(config.specSha256, /^[0-9a-f]{64}$/);
    assert.ok(config.versions.camprint && config.versions.torch && config.versions.node);
    assert.equal(config.data.sources.length, 3 * 16);
    assert.ok(config.data.sources.every((s: Json) => /^[0-9a-f]{64}$/.test(s.sha256)));
    assert.deepEqual(
      new Set(config.data.sources.map((s: Json) => s.split)),
      new Set(['train', 'val', 'test', 'reference']),
    );

    // Again: every step skipped, the same figures.
    const second = camprint(['experiment', spec, '--out', out]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(
      second.json.steps.every((s: Json) => s.status === 'skipped'),
      second.stderr,
    );
    assert.match(second.stderr, /train-lenet: done before \(skipped\)/);
    assert.deepEqual(figures(second.json), figures(r));

    // A step whose record is gone (a kill before it finished) is redone, alone.
    rmSync(join(out, 'steps', 'pce.json'));
    const third = camprint(['experiment', spec, '--out', out]);
    assert.equal(third.code, 0, third.stderr);
    const done = third.json.steps.filter((s: Json) => s.status === 'done').map((s: Json) => s.step);
    assert.deepEqual(done, ['pce']);
    assert.deepEqual(figures(third.json), figures(r));

    // A changed setting redoes that step and what follows it, not what comes before.
    writeFileSync(spec, JSON.stringify({ ...TINY, pce: { maxImages: 3 } }));
    const fourth = camprint(['experiment', spec, '--out', out]);
    assert.equal(fourth.code, 0, fourth.stderr);
    const redone = fourth.json.steps.filter((s: Json) => s.status === 'done').map((s: Json) => s.step);
    assert.deepEqual(redone, ['fingerprint-000', 'fingerprint-001', 'fingerprint-002', 'pce']);
  },
);

test('a bad spec is one line naming the file and the field (exit 2)', async () => {
  const cases: [unknown, RegExp][] = [
    [{ ...TINY, dataset: { crop: 33 } }, /bad\.json: dataset\.crop: an even number of pixels/],
    [{ ...TINY, data: { classes: 'model' } }, /bad\.json: data: exactly one of simulate or folder/],
    [{ ...TINY, methods: ['fusion'] }, /bad\.json: methods: fusion needs both cnn and pce/],
    [{ ...TINY, cnn: { network: 'lenet', epoch: 2 } }, /bad\.json: cnn: unknown field epoch/],
    [
      { ...TINY, data: { simulate: { ...TINY.data.simulate, models: 0 } } },
      /bad\.json: data\.simulate\.models: /,
    ],
    [{ ...TINY, dataset: { split: '80/20' } }, /bad\.json: dataset\.split: train\/val\/test percentages/],
    [{ ...TINY, name: 'a b' }, /bad\.json: name: /],
  ];
  const file = join(dir, 'bad.json');
  for (const [doc, message] of cases) {
    writeFileSync(file, JSON.stringify(doc));
    await assert.rejects(loadSpec(file), (err: Error) => {
      assert.ok(err instanceof InputError, `${JSON.stringify(doc)}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
  }
  // Through the command line: exit 2, one line, no stack trace, nothing written.
  writeFileSync(file, JSON.stringify(cases[0][0]));
  const r = camprint(['experiment', file, '--out', join(dir, 'never')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, cases[0][1]);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  writeFileSync(file, '{ "name": ');
  const broken = camprint(['experiment', file]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /bad\.json: not valid JSON/);
  await assert.rejects(loadSpec(join(dir, 'nowhere.yaml')), /nowhere\.yaml: no such file/);
  writeFileSync(join(dir, 'bad.yaml'), 'name: [unclosed');
  await assert.rejects(loadSpec(join(dir, 'bad.yaml')), /bad\.yaml: not valid YAML/);
  if (!skip) {
    // A network the engine does not have: refused before anything is made.
    writeFileSync(file, JSON.stringify({ ...TINY, cnn: { network: 'lenett' } }));
    await assert.rejects(
      runExperiment(await loadSpec(file), { out: join(dir, 'never') }),
      /bad\.json: cnn\[0\]\.network: expected one of .*lenet.* but received lenett/,
    );
  }
  assert.ok(!existsSync(join(dir, 'never')), 'nothing written for a bad spec');
});
