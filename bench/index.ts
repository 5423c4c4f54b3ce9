/**
 * PRNU benchmark: camprint against prnu-python on the same 3008×2000 JPEGs, in one run.
 *   npm run bench                          (camprint only)
 *   PRNU_PYTHON_DIR=… npm run bench        (side by side, with ratios)
 * Inputs: the Dresden Nikon photos in ../shared/data (CAMPRINT_SHARED overrides).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/image/index.js';
import { initFft, extractResidual, crossCorrelate, findPeak, pceAt, rgbToGrey } from '../src/prnu/index.js';
import { buildFingerprint, queryResidual } from '../src/services/index.js';
import { runResidual, closePool, threadCount } from '../src/pool/index.js';
import { sharedPath } from '../src/testing/shared.js';

const PY = process.env.CAMPRINT_PYTHON ?? '/usr/bin/python3';
const REF = process.env.PRNU_PYTHON_DIR;
const here = fileURLToPath(new URL('.', import.meta.url));
const pyScript = join(here, '..', '..', 'bench', 'prnu_python_bench.py');

function python(what: string, files: string[]): Record<string, number> | undefined {
  if (!REF) return undefined;
  const r = spawnSync(PY, [pyScript, what, ...files], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PRNU_PYTHON_DIR: REF,
      OMP_NUM_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
      MKL_NUM_THREADS: '1',
    },
  });
  if (r.status !== 0) throw new Error(`prnu-python ${what} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const rows: string[][] = [['measure', 'camprint', 'prnu-python', 'ratio']];
function row(name: string, ours: number, theirs: number | undefined, unit: string): void {
  rows.push([
    name,
    `${ours.toFixed(3)} ${unit}`,
    theirs === undefined ? '(PRNU_PYTHON_DIR unset)' : `${theirs.toFixed(3)} ${unit}`,
    theirs === undefined ? '' : `${(theirs / ours).toFixed(2)}×`,
  ]);
}

const data = sharedPath('data', 'dresden-nikon');
if (!data) {
  console.error('bench needs ../shared/data/dresden-nikon');
  process.exit(2);
}
const natural = join(data, 'natural', 'Nikon_D70_0', 'Nikon_D70_0_19445.JPG');
const flatDir = join(data, 'flat', 'Nikon_D70_0');
const flats = readdirSync(flatDir)
  .sort()
  .map((f) => join(flatDir, f));

await initFft();
const img = await decodeImage(natural);
const mp = (img.width * img.height) / 1e6;
extractResidual(img.rgb, img.height, img.width); // warm-up (JIT)
let t = performance.now();
const W = extractResidual(img.rgb, img.height, img.width);
const single = (performance.now() - t) / 1000;
// One query image split over the pool (decode + 3 channels in parallel + finish), as match does.
await queryResidual(natural); // warm the workers
t = performance.now();
await queryResidual(natural);
const query = (performance.now() - t) / 1000;
// Throughput: as many images as threads at once, each in one worker (decode included).
const n = 2 * threadCount();
await Promise.all(Array.from({ length: threadCount() }, () => runResidual({ file: natural, options: {} })));
t = performance.now();
await Promise.all(Array.from({ length: n }, () => runResidual({ file: natural, options: {} })));
const pooled = (performance.now() - t) / 1000 / n;
const pyRes = python('residual', [natural]);
row(`residual, 1 thread, in memory (s/MP)`, single / mp, pyRes && pyRes.residual / mp, 's/MP');
row(
  `residual of one file over ${threadCount()} threads (s/MP)`,
  query / mp,
  pyRes && pyRes.residual / mp,
  's/MP',
);
row(
  `residual throughput, ${threadCount()} files at once (s/MP)`,
  pooled / mp,
  pyRes && pyRes.residual / mp,
  's/MP',
);

t = performance.now();
await buildFingerprint(flats);
const fp = (performance.now() - t) / 1000;
const rssFp = process.resourceUsage().maxRSS / 1024;
const pyFp = process.argv.includes('--fingerprint') ? python('fingerprint', flats) : undefined;
row(`fingerprint of ${flats.length} flat JPEGs (s)`, fp, pyFp?.fingerprint, 's');

// Match with shift search at 6 MP: cross-correlation over all shifts + PCE (residual excluded).
const K = W;
const I = rgbToGrey(img.rgb);
const IK = new Float32Array(K.length);
for (let i = 0; i < K.length; i++) IK[i] = I[i] * K[i];
/** Median of `runs` timings of fn, seconds. */
function median(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}
const match = median(5, () => {
  const s = crossCorrelate(IK, img.height, img.width, W, img.height, img.width);
  const peak = findPeak(s, {
    dy: [-img.height / 2, img.height / 2 - 1],
    dx: [-img.width / 2, img.width / 2 - 1],
  });
  pceAt(s, peak.dy, peak.dx);
});

const pyMatch = python('match', [natural]);
row('match: cross-correlation + PCE, 6 MP (s)', match, pyMatch?.match, 's');
await closePool();

console.log(`peak RSS of this process (all of the above, fingerprint included): ${rssFp.toFixed(0)} MB`);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(
  `camprint bench on ${natural} (${img.width}×${img.height}), ${threadCount()} threads; ratio = prnu-python / camprint`,
);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
