/**
 * Data sets end to end on simulated cameras (3 models × 2 units × 6 natural photos, 256×192):
 * the contract's files, photo and device splits, determinism, resuming an interrupted build,
 * and bad input (one class, an empty split, corrupt and too-small photos).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { simulate } from '../../sim/index.js';
import { closePool } from '../../pool/index.js';
import { decodeImage } from '../../image/index.js';
import { initFft } from '../../prnu/index.js';
import { float32ToHalfs, halfsToFloat32, readNpy } from '../../util/npy.js';
import { InputError, UsageError } from '../../util/errors.js';
import { Context } from '../../cli/context.js';
import { registerDataset } from '../../cli/commands/dataset.js';
import {
  createDataset,
  cropOffsets,
  cutCrops,
  inputOf,
  photoSeed,
  readManifest,
  readShard,
  SPLITS,
  type DatasetOptions,
  type Manifest,
} from './index.js';

let root: string;
let sim: string;
const warnings: string[] = [];
const base = (): DatasetOptions => ({
  dir: sim,
  out: '',
  crop: 64,
  cropsPerImage: 4,
  shardSize: 10,
  classesFrom: 'model',
  only: 'natural',
  seed: 3,
  onWarning: (l) => warnings.push(l),
});
const out = (name: string): string => join(root, name);

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'camprint-dataset-'));
  sim = join(root, 'sim');
  await simulate({ dir: sim, models: 3, devices: 2, images: 6, flat: 1, width: 256, height: 192, seed: 7 });
  await initFft();
});
after(async () => {
  await closePool();
  rmSync(root, { recursive: true, force: true });
});

/** The data set's files and their bytes; the manifest without its build time. */
function snapshot(ds: string): { files: Map<string, Buffer>; manifest: Omit<Manifest, 'createdAt'> } {
  const files = new Map<string, Buffer>();
  for (const n of readdirSync(ds).sort()) if (n !== 'manifest.json') files.set(n, readFileSync(join(ds, n)));
  const { createdAt: _c, ...manifest } = JSON.parse(
    readFileSync(join(ds, 'manifest.json'), 'utf8'),
  ) as Manifest;
  return { files, manifest };
}

/** Source indices per split, from the shards' src arrays. */
function sourcesBySplit(ds: string, m: Manifest): Record<string, Set<number>> {
  const by: Record<string, Set<number>> = {};
  for (const s of SPLITS) {
    by[s] = new Set();
    m.shards[s].forEach((_, i) => readShard(ds, s, i, m).src.forEach((v) => by[s].add(v)));
  }
  return by;
}

test('a data set: manifest, float16/int16/int32 shards, train normalisation, crops as classify cuts them', async () => {
  const ds = out('a');
  const s = await createDataset({ ...base(), out: ds });
  assert.deepEqual(s.classes, ['SimCam01', 'SimCam02', 'SimCam03']);
  assert.deepEqual(s.images, { train: 27, val: 3, test: 6 }, '12 photos per class: 9/1/2');
  assert.deepEqual(s.crops, { train: 108, val: 12, test: 24 });
  assert.equal(s.resumed, false);
  const m = readManifest(ds);
  assert.equal(m.format, 'camprint-dataset/1');
  assert.equal(m.input, 'residual-rgb');
  assert.equal(m.channels, 3);
  assert.equal(m.crop, 64);
  assert.equal(m.splitBy, 'photo');
  assert.deepEqual(m.split, { train: 75, val: 10, test: 15 });
  assert.equal(m.seed, 3);
  assert.equal(m.complete, true);
  assert.equal(m.resume, undefined);
  assert.deepEqual(m.skipped, []);
  assert.equal(m.params.cropsPerImage, 4);
  assert.equal(m.params.levels, 4);
  assert.equal(m.params.sigma, 5);
  assert.equal(m.sources.length, 36);
  for (const src of m.sources) {
    assert.match(src.sha256, /^[0-9a-f]{64}$/);
    assert.match(src.file, /\/natural\//, 'only natural photos');
    assert.equal(src.device, basename(join(src.file, '..', '..')));
    assert.equal(m.classes[src.class], src.device.replace(/_\d+$/, ''));
    assert.deepEqual([src.width, src.height, src.crops], [256, 192, 4]);
  }
  // Shards: the contract's dtypes and shapes, at most shardSize crops, labels from the sources.
  let trainValues: number[][] = [[], [], []];
  for (const split of SPLITS) {
    m.shards[split].forEach((entry, i) => {
      assert.equal(entry.x, `${split}-${String(i).padStart(3, '0')}.x.npy`);
      const x = readNpy(join(ds, entry.x));
      const y = readNpy(join(ds, entry.y));
      const src = readNpy(join(ds, entry.src));
      assert.equal(x.dtype, '<f2');
      assert.deepEqual(x.shape, [entry.count, 3, 64, 64]);
      assert.equal(y.dtype, '<i2');
      assert.deepEqual(y.shape, [entry.count]);
      assert.equal(src.dtype, '<i4');
      assert.ok(entry.count <= 10);
      const shard = readShard(ds, split, i);
      for (let k = 0; k < entry.count; k++) {
        const source = m.sources[shard.src[k]];
        assert.equal(shard.y[k], source.class);
        assert.equal(source.split, split);
      }
      if (split === 'train') {
        const plane = 64 * 64;
        for (let k = 0; k < entry.count; k++)
          for (let c = 0; c < 3; c++)
            trainValues[c].push(...shard.x.subarray((k * 3 + c) * plane, (k * 3 + c + 1) * plane));
      }
    });
  }
  for (let c = 0; c < 3; c++) {
    const v = trainValues[c];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    assert.ok(Math.abs(m.normalisation.mean[c] - mean) < 1e-9, `mean ${c}`);
    assert.ok(Math.abs(m.normalisation.std[c] - std) < 1e-9 * std, `std ${c}`);
    assert.ok(std > 0.5 && std < 20, `a residual's spread: ${std}`);
  }
  trainValues = [];
  // No photo in two splits; every photo in one.
  const by = sourcesBySplit(ds, m);
  for (const a of SPLITS)
    for (const b of SPLITS)
      if (a < b) for (const i of by[a]) assert.ok(!by[b].has(i), `${i} in ${a} and ${b}`);
  assert.equal(by.train.size + by.val.size + by.test.size, 36);
  assert.equal(new Set(m.sources.map((x) => x.file)).size, 36);
  // A photo's crops are what inputOf + cropOffsets + cutCrops give on the main thread.
  const first = readShard(ds, 'test', 0);
  const source = m.sources[first.src[0]];
  const img = await decodeImage(source.file);
  const { data, channels } = inputOf(img.rgb, img.height, img.width, 'residual-rgb');
  const offsets = cropOffsets(img.height, img.width, 64, 4, photoSeed(3, img.sha256));
  const want = halfsToFloat32(float32ToHalfs(cutCrops(data, channels, img.height, img.width, 64, offsets)));
  assert.deepEqual(first.x.subarray(0, want.length), want);
});

test('the same options and seed give the same bytes; another seed another split', async () => {
  const a = snapshot(out('a'));
  await createDataset({ ...base(), out: out('b') });
  const b = snapshot(out('b'));
  assert.deepEqual([...b.files.keys()], [...a.files.keys()]);
  for (const [name, bytes] of a.files) assert.ok(bytes.equals(b.files.get(name)!), name);
  assert.deepEqual(b.manifest, a.manifest);
  await createDataset({ ...base(), out: out('c'), seed: 4 });
  const c = readManifest(out('c'));
  assert.notDeepEqual(
    c.sources.filter((x) => x.split === 'test').map((x) => x.file),
    (a.manifest.sources as Manifest['sources']).filter((x) => x.split === 'test').map((x) => x.file),
  );
});

test('an interrupted build resumes from its last shard and ends byte for byte as an uninterrupted one', async () => {
  const ds = out('resume');
  const ac = new AbortController();
  await assert.rejects(
    createDataset({ ...base(), out: ds, signal: ac.signal }, (p) => {
      if (p.phase === 'crops' && p.shards >= 2) ac.abort();
    }),
    { name: 'AbortError' },
  );
  const partial = readManifest(ds, { allowIncomplete: true });
  assert.equal(partial.complete, false);
  assert.equal(partial.shards.train.length, 2);
  assert.ok(partial.resume!.next > 0 && partial.resume!.next < 36);
  assert.equal(partial.sources.length, 4, 'two shards of two photos');
  assert.deepEqual(
    readdirSync(ds).filter((n) => n.includes('.tmp-')),
    [],
    'no temporary left',
  );
  assert.throws(() => readManifest(ds), /incomplete/);
  // A killed build can leave a temporary behind; it is cleared.
  writeFileSync(join(ds, 'train-002.x.npy.tmp-1-abcd'), 'partial');
  // Other options: refused, naming what differs.
  await assert.rejects(createDataset({ ...base(), out: ds, crop: 32 }), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /other options \(crop 64 \(now 32\)\).*--overwrite/);
    return true;
  });
  const s = await createDataset({ ...base(), out: ds });
  assert.equal(s.resumed, true);
  const a = snapshot(out('a'));
  const r = snapshot(ds);
  assert.deepEqual([...r.files.keys()], [...a.files.keys()]);
  for (const [name, bytes] of a.files) assert.ok(bytes.equals(r.files.get(name)!), name);
  assert.deepEqual(r.manifest, a.manifest);
  // Complete: running again does nothing; --overwrite rebuilds with other options.
  const again = await createDataset({ ...base(), out: ds });
  assert.equal(again.resumed, true);
  assert.equal(again.cropsPerSecond, 0);
  const over = await createDataset({ ...base(), out: ds, cropsPerImage: 1, overwrite: true });
  assert.deepEqual(over.crops, { train: 27, val: 3, test: 6 });
  assert.equal(readManifest(ds).shards.train.length, 3);
});

test('split by device: whole units in test, never seen in training', async () => {
  const ds = out('device');
  const s = await createDataset({ ...base(), out: ds, splitBy: 'device', cropsPerImage: 1 });
  const m = readManifest(ds);
  assert.equal(m.splitBy, 'device');
  const devices = (split: string): string[] =>
    [...new Set(m.sources.filter((x) => x.split === split).map((x) => x.device))].sort();
  assert.deepEqual(
    devices('test'),
    ['SimCam01_1', 'SimCam02_1', 'SimCam03_1'],
    'the last unit of each model',
  );
  assert.deepEqual(devices('train'), ['SimCam01_0', 'SimCam02_0', 'SimCam03_0']);
  assert.deepEqual(
    devices('val'),
    ['SimCam01_0', 'SimCam02_0', 'SimCam03_0'],
    'two units: val photos from the training units',
  );
  assert.deepEqual(s.images, { train: 15, val: 3, test: 18 });
  const by = sourcesBySplit(ds, m);
  assert.equal(by.test.size, 18);

  const named = await createDataset({
    ...base(),
    out: out('device-named'),
    splitBy: 'device',
    cropsPerImage: 1,
    testDevices: ['SimCam01_0', 'SimCam02_1', 'SimCam03_0'],
  });
  const n = readManifest(named.dataset);
  assert.deepEqual([...new Set(n.sources.filter((x) => x.split === 'test').map((x) => x.device))].sort(), [
    'SimCam01_0',
    'SimCam02_1',
    'SimCam03_0',
  ]);
  await assert.rejects(
    createDataset({ ...base(), out: out('device-bad'), splitBy: 'device', testDevices: ['SimCam09_0'] }),
    /no device named SimCam09_0/,
  );
});

test('grey residual and pixel inputs: 1 and 3 channels; pixels are the photo 0–255', async () => {
  const grey = await createDataset({
    ...base(),
    out: out('grey'),
    input: 'residual',
    cropsPerImage: 1,
    maxImages: 4,
    split: '50/25/25',
  });
  const g = readManifest(grey.dataset);
  assert.equal(g.channels, 1);
  assert.deepEqual(grey.images, { train: 6, val: 3, test: 3 }, '4 photos per class');
  assert.deepEqual(readShard(grey.dataset, 'train', 0).shape, [g.shards.train[0].count, 1, 64, 64]);
  const rgb = await createDataset({
    ...base(),
    out: out('rgb'),
    input: 'rgb',
    cropsPerImage: 1,
    maxImages: 4,
    split: '50/25/25',
  });
  const m = readManifest(rgb.dataset);
  const shard = readShard(rgb.dataset, 'val', 0);
  const source = m.sources[shard.src[0]];
  const img = await decodeImage(source.file);
  const [[y, x]] = cropOffsets(img.height, img.width, 64, 1, photoSeed(3, img.sha256));
  for (let c = 0; c < 3; c++)
    for (let r = 0; r < 64; r += 7)
      for (let k = 0; k < 64; k += 5)
        assert.equal(shard.x[(c * 64 + r) * 64 + k], img.rgb[((y + r) * img.width + x + k) * 3 + c]);
  assert.ok(m.normalisation.mean.every((v) => v > 20 && v < 235));
});

/** A folder of class folders copied from the simulation: class name → how many natural photos. */
function classes(name: string, spec: Record<string, number>): string {
  const dir = out(name);
  Object.entries(spec).forEach(([cls, n], k) => {
    mkdirSync(join(dir, cls, 'deeper'), { recursive: true });
    const src = join(sim, `SimCam0${k + 1}_0`, 'natural');
    readdirSync(src)
      .sort()
      .slice(0, n)
      .forEach((f, i) => cpSync(join(src, f), join(dir, cls, i % 2 ? 'deeper' : '', f)));
  });
  return dir;
}

test('bad input: no class folders, one class, an empty split, a folder that is not a data set', async () => {
  const empty = out('empty');
  mkdirSync(empty);
  await assert.rejects(
    createDataset({ dir: empty, out: out('x1') }),
    (e: Error) => e instanceof InputError && /empty: no class folders/.test(e.message),
  );
  const one = classes('one', { Alone: 3 });
  await assert.rejects(
    createDataset({ dir: one, out: out('x2'), crop: 64 }),
    (e: Error) => e instanceof InputError && /only one class \(Alone\)/.test(e.message),
  );
  const few = classes('few', { A: 6, B: 2 });
  await assert.rejects(
    createDataset({ dir: few, out: out('x3'), crop: 64 }),
    (e: Error) =>
      e instanceof InputError &&
      /class B would have no photos in the test split: 2 usable photos are too few/.test(e.message),
  );
  assert.equal(existsSync(out('x3')), false, 'nothing written');
  // --min-images leaves the small class out (and then one class is left).
  await assert.rejects(
    createDataset({ dir: few, out: out('x4'), crop: 64, minImages: 3 }),
    /only one class \(A\)/,
  );
  const busy = out('busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'notes.txt'), 'mine');
  await assert.rejects(
    createDataset({ dir: few, out: busy, crop: 64, split: '50/50/0' }),
    /not empty and holds no data set/,
  );
  await assert.rejects(createDataset({ dir: few, out: out('x5'), crop: 63 }), UsageError);
  await assert.rejects(createDataset({ dir: few, out: out('x5'), split: '80/30/0' }), UsageError);
});

test('corrupt, truncated and too-small photos are skipped with a warning and listed', async () => {
  const dir = classes('corrupt', { A: 4, B: 4 });
  writeFileSync(join(dir, 'A', 'garbage.jpg'), 'not a jpeg at all');
  const jpeg = readFileSync(join(sim, 'SimCam01_1', 'natural', 'SimCam01_1_nat_000.jpg'));
  writeFileSync(join(dir, 'A', 'deeper', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } })
    .png()
    .toFile(join(dir, 'B', 'small.png'));
  const seen: string[] = [];
  const s = await createDataset({
    dir,
    out: out('corrupt-ds'),
    crop: 64,
    cropsPerImage: 2,
    split: '50/25/25',
    onWarning: (l) => seen.push(l),
  });
  assert.equal(s.skipped, 3);
  assert.deepEqual(s.images, { train: 4, val: 2, test: 2 });
  for (const name of ['garbage.jpg', 'truncated.jpg', 'small.png']) {
    assert.equal(seen.filter((l) => l.startsWith('warning: skipped') && l.includes(name)).length, 1, name);
  }
  assert.match(
    seen.find((l) => l.includes('truncated.jpg'))!,
    /corrupt or truncated/,
  );
  assert.match(
    seen.find((l) => l.includes('small.png'))!,
    /40×40 is smaller than the 64×64 crop/,
  );
  const m = readManifest(s.dataset);
  assert.deepEqual(m.skipped.map((x) => basename(x.file)).sort(), [
    'garbage.jpg',
    'small.png',
    'truncated.jpg',
  ]);
  assert.ok(m.sources.every((x) => !/garbage|truncated|small/.test(x.file)));
});

test('camprint dataset create: options, one JSON document, usage errors', async () => {
  class Capture extends Context {
    doc: unknown;
    override output(doc: unknown): void {
      this.doc = doc;
    }
  }
  const run = async (args: string[]): Promise<Capture> => {
    const program = new Command('camprint').option('--json').exitOverride();
    program.configureOutput({ writeErr: () => {} });
    let c: Capture | undefined;
    program.hook('preAction', () => {
      c = new Capture({ json: true, dataDir: join(root, 'store') });
    });
    registerDataset(program, () => c!);
    for (const cmd of [program, ...program.commands, ...program.commands.flatMap((x) => x.commands)])
      cmd.exitOverride();
    await program.parseAsync(['node', 'camprint', '--json', ...args]);
    return c!;
  };
  const ds = out('cli');
  const c = await run([
    'dataset',
    'create',
    sim,
    '--out',
    ds,
    '--crop',
    '64',
    '--crops-per-image',
    '2',
    '--classes-from',
    'model',
    '--only',
    'natural',
    '--split',
    '50/25/25',
    '--shard-size',
    '100',
  ]);
  const doc = c.doc as Record<string, unknown>;
  assert.equal(doc.dataset, ds);
  assert.deepEqual(doc.classes, ['SimCam01', 'SimCam02', 'SimCam03']);
  assert.deepEqual([doc.train, doc.val, doc.test], [36, 18, 18]);
  assert.deepEqual(doc.images, { train: 18, val: 9, test: 9 });
  assert.equal(typeof doc.seconds, 'number');
  const store = await c.openStore();
  const rec = await store.getDataset('cli');
  assert.equal(rec?.path, ds);
  assert.deepEqual(rec?.counts, { train: 36, val: 18, test: 18 });
  await c.close();
  await assert.rejects(
    run(['dataset', 'create', sim, '--out', ds, '--input', 'jpeg']),
    /Expected one of residual, residual-rgb, rgb for --input/,
  );
  await assert.rejects(run(['dataset', 'create', sim, '--out', ds, '--split', '75/10']), /for --split/);
  await assert.rejects(run(['dataset', 'create', '--out', ds]), UsageError);
});
