/**
 * Deep-learning benchmark, in one run on the same network, batch and threads:
 *   - training images/s of the engine (its epoch events) against a bare PyTorch loop;
 *   - ONNX inference images/s in TypeScript (onnxruntime-node) against PyTorch eval.
 *   node dist/bench/dl.js [--network camnet] [--crop 128] [--batch 64] [--rounds 5]
 * Inference is measured in rounds that alternate PyTorch eval (a fresh process) and ONNX on the
 * same batches, so a load change on the machine hits both; the ratio printed is the median of
 * the rounds' ratios, with every round listed.
 * The data set is random crops written per docs/dl-format.md (speed does not depend on content).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeNpy, floatToHalf } from '../src/util/npy.js';
import { runEngine, pythonPath, type EngineEvent } from '../src/dl/engine.js';
import { loadModel, predictCrops } from '../src/dl/model.js';
import { REPO_ROOT } from '../src/util/paths.js';

const { values } = parseArgs({
  options: {
    network: { type: 'string', default: 'camnet' },
    crop: { type: 'string', default: '128' },
    batch: { type: 'string', default: '64' },
    classes: { type: 'string', default: '10' },
    batches: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '5' },
  },
});
const network = values.network!;
const crop = Number(values.crop);
const batch = Number(values.batch);
const classes = Number(values.classes);
const batches = Number(values.batches);
const C = 3;

const dir = mkdtempSync(join(tmpdir(), 'camprint-dlbench-'));
try {
  // A random data set: (batches + 1) batches for training, one for validation.
  const ds = join(dir, 'ds');
  mkdirSync(ds);
  const nTrain = (batches + 1) * batch;
  const nVal = batch;
  const shard = async (split: string, n: number, seed: number) => {
    const x = new Uint16Array(n * C * crop * crop);
    let s = seed;
    for (let i = 0; i < x.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      x[i] = floatToHalf((s / 2 ** 32 - 0.5) * 6);
    }
    const y = new Int16Array(n).map((_, i) => i % classes);
    const src = new Int32Array(n).map((_, i) => i);
    await writeNpy(join(ds, `${split}-000.x.npy`), { dtype: '<f2', shape: [n, C, crop, crop], data: x });
    await writeNpy(join(ds, `${split}-000.y.npy`), { dtype: '<i2', shape: [n], data: y });
    await writeNpy(join(ds, `${split}-000.src.npy`), { dtype: '<i4', shape: [n], data: src });
    return [{ x: `${split}-000.x.npy`, y: `${split}-000.y.npy`, src: `${split}-000.src.npy`, count: n }];
  };
  const names = Array.from({ length: classes }, (_, i) => `class${i}`);
  const sources = Array.from({ length: nTrain + nVal }, (_, i) => ({
    file: `/bench/${i}.jpg`,
    sha256: '0'.repeat(64),
    class: i % classes,
    device: `d${i % classes}`,
    split: i < nTrain ? 'train' : 'val',
    width: crop,
    height: crop,
    crops: 1,
  }));
  const manifest = {
    format: 'camprint-dataset/1',
    input: 'residual-rgb',
    channels: C,
    crop,
    classes: names,
    splitBy: 'photo',
    split: { train: 90, val: 10, test: 0 },
    seed: 1,
    normalisation: { mean: [0, 0, 0], std: [1.7, 1.7, 1.7] },
    sources,
    shards: { train: await shard('train', nTrain, 1), val: await shard('val', nVal, 2), test: [] },
    skipped: [],
    params: { bench: true },
    createdAt: new Date().toISOString(),
    complete: true,
  };
  writeFileSync(join(ds, 'manifest.json'), JSON.stringify(manifest));

  // The engine: 2 epochs; the second epoch's images/s (the first includes warm-up).
  const epochs: EngineEvent[] = [];
  await runEngine(
    'engine.train',
    [
      `--dataset=${ds}`,
      `--out=${join(dir, 'model')}`,
      `--network=${network}`,
      `--batch_size=${batch}`,
      '--epochs=2',
      '--log_every=0',
      '--lr_policy=fixed',
    ],
    (e) => {
      if (e.event === 'epoch') epochs.push(e);
    },
  ).done;
  const engineIps = epochs.at(-1)!.imagesPerSecond as number;

  const bareTorch = (evalOnly: boolean) => {
    const run = spawnSync(
      pythonPath(),
      [
        join(REPO_ROOT, 'bench', 'engine_bench.py'),
        '--network',
        network,
        '--crop',
        String(crop),
        '--batch',
        String(batch),
        '--classes',
        String(classes),
        '--iters',
        String(batches),
        ...(evalOnly ? ['--eval-only'] : []),
      ],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`bare PyTorch loop failed: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      bareTrainImagesPerSecond: number | null;
      torchEvalImagesPerSecond: number;
      threads: number;
      torch: string;
    };
  };
  const ref = bareTorch(false);

  // Inference: rounds of PyTorch eval then ONNX in TypeScript on the exported network, same batch.
  const model = await loadModel(join(dir, 'model'));
  const x = new Float32Array(batch * C * crop * crop).map((_, i) => Math.sin(i));
  await predictCrops(model, x, batch, batch);
  const onnxRound = async () => {
    const t0 = performance.now();
    for (let i = 0; i < batches; i++) await predictCrops(model, x, batch, batch);
    return (batches * batch) / ((performance.now() - t0) / 1000);
  };
  const rounds: { torch: number; onnx: number }[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const torch = r === 0 ? ref.torchEvalImagesPerSecond : bareTorch(true).torchEvalImagesPerSecond;
    rounds.push({ torch, onnx: await onnxRound() });
  }
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };

  console.log(
    `camprint deep-learning bench: ${network}, ${C}×${crop}×${crop} crops, batch ${batch}, ${ref.threads} threads, torch ${ref.torch}`,
  );
  console.log(
    `training  engine ${engineIps.toFixed(1)} img/s  bare PyTorch loop ${ref.bareTrainImagesPerSecond!.toFixed(1)} img/s  ratio ${(engineIps / ref.bareTrainImagesPerSecond!).toFixed(3)}`,
  );
  for (const [i, r] of rounds.entries())
    console.log(
      `inference round ${i + 1}: ONNX (onnxruntime-node) ${r.onnx.toFixed(1)} img/s  PyTorch eval ${r.torch.toFixed(1)} img/s  ratio ${(r.onnx / r.torch).toFixed(2)}`,
    );
  console.log(
    `inference ONNX ${median(rounds.map((r) => r.onnx)).toFixed(1)} img/s  PyTorch eval ${median(rounds.map((r) => r.torch)).toFixed(1)} img/s (medians)  ratio ${median(rounds.map((r) => r.onnx / r.torch)).toFixed(2)} (median of ${rounds.length} rounds)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
