/**
 * The deep-learning workflow end to end through the CLI on a tiny simulated data set:
 * dataset → train (Python engine) → ONNX → evaluate and classify in TypeScript; Ctrl-C keeps
 * the last checkpoint and --resume finishes the run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../testing/shared.js';
import { pythonPath } from './engine.js';

const torch = spawnSync(pythonPath(), ['-c', 'import torch'], { encoding: 'utf8' });
const skip =
  torch.status === 0 ? false : `needs ${pythonPath()} with PyTorch (npm run setup installs python3-torch)`;

let dir: string;
let store: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, checked field by field
type Json = any;
function camprint(args: string[]): { code: number; stderr: string; json: Json } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', store, '--json', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stderr: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'camprint-dl-'));
  store = join(dir, 'store');
  const sim = camprint([
    'simulate',
    join(dir, 'sim'),
    '--models',
    '2',
    '--devices',
    '1',
    '--images',
    '8',
    '--flat',
    '0',
    '--size',
    '192x128',
    '--jpeg-quality',
    '90',
    '--seed',
    '2',
  ]);
  assert.equal(sim.code, 0, sim.stderr);
  const ds = camprint([
    'dataset',
    'create',
    join(dir, 'sim'),
    '--out',
    join(dir, 'ds'),
    '--crop',
    '32',
    '--crops-per-image',
    '6',
    '--classes-from',
    'model',
    '--split',
    '50/25/25',
  ]);
  assert.equal(ds.code, 0, ds.stderr);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('train 2 epochs, export ONNX, evaluate and classify without Python', { skip, timeout: 300_000 }, () => {
  const out = join(dir, 'm');
  const t = camprint(['train', '--dataset', join(dir, 'ds'), '--out', out, '--epochs', '2', '--batch', '16']);
  assert.equal(t.code, 0, t.stderr);
  for (const key of ['model', 'epochs', 'bestValAccuracy', 'seconds']) assert.ok(key in t.json, key);
  assert.equal(t.json.epochs, 2);
  for (const f of [
    'model.onnx',
    'model.json',
    'config.json',
    'events.jsonl',
    'curves.svg',
    'checkpoints/last.pt',
  ]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const ev = camprint(['evaluate', '--model', out, '--dataset', join(dir, 'ds')]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.deepEqual(ev.json.classes, ['SimCam01', 'SimCam02']);
  assert.ok(ev.json.top1 >= 0 && ev.json.top1 <= 1);
  assert.equal(ev.json.top5, 1, 'two classes: top-5 holds every class');
  assert.equal(
    ev.json.confusion.flat().reduce((a: number, b: number) => a + b, 0),
    ev.json.images,
  );
  assert.ok(existsSync(ev.json.plot));
  const photos = [
    join(dir, 'sim', 'SimCam01_0', 'natural', 'SimCam01_0_nat_000.jpg'),
    join(dir, 'sim', 'SimCam02_0', 'natural', 'SimCam02_0_nat_000.jpg'),
  ];
  const one = camprint(['classify', '--model', out, photos[0]]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.json.file, photos[0]);
  assert.equal(one.json.top.length, 2);
  assert.ok(Math.abs(one.json.top[0].probability + one.json.top[1].probability - 1) < 1e-4);
  const two = camprint(['classify', '--model', out, ...photos]);
  assert.equal(two.json.results.length, 2);
  const bad = camprint(['evaluate', '--model', join(dir, 'ds'), '--dataset', join(dir, 'ds')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a trained model/);
});

test(
  'Ctrl-C stops after the current batch with the last checkpoint kept; --resume finishes',
  { skip, timeout: 300_000 },
  async () => {
    const out = join(dir, 'r');
    const args = [
      CLI,
      '--data-dir',
      store,
      'train',
      '--dataset',
      join(dir, 'ds'),
      '--out',
      out,
      '--epochs',
      '40',
      '--batch',
      '8',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const stopped = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/epoch 1\/40:/.test(stderr)) resolve();
      });
    });
    child.kill('SIGINT');
    assert.equal(await stopped, 130, stderr);
    assert.ok(existsSync(join(out, 'checkpoints', 'last.pt')));
    const again = camprint([
      'train',
      '--dataset',
      join(dir, 'ds'),
      '--out',
      out,
      '--epochs',
      '3',
      '--batch',
      '8',
      '--resume',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.epochs, 3);
    const fresh = camprint(['train', '--dataset', join(dir, 'ds'), '--out', out, '--epochs', '3']);
    assert.equal(fresh.code, 2, 'a second run into a trained model folder is refused');
  },
);
