/**
 * Fingerprint search at lab scale, on synthetic fingerprints (unrelated Gaussian PRNU, σ 0.005):
 * import time of N fingerprints through `camprint fingerprint import`, then queries whose residual
 * holds one stored fingerprint (W = I·K + noise, at a set PCE), searched by digest + PCE re-rank
 * and, for a few, by the exhaustive detector too. Time and memory as the count grows.
 *   node dist/bench/search.js [--size 512x512] [--counts 1000,10000] [--queries 10]
 *        [--exhaustive 2] [--exhaustive-max 1000] [--pce 200] [--dir /tmp/camprint-bench-search] [--keep]
 * The data directory needs about count × width × height × 4.5 bytes of disk (the store: each
 * fingerprint and its digest) plus 2 GB for the .npy files being imported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { writeNpyFloat32 } from '../src/util/npy.js';
import { initFft } from '../src/prnu/index.js';
import { openStore } from '../src/store/index.js';
import { defaultDigestSize, searchStore } from '../src/search/index.js';
import { testFingerprint } from '../src/services/index.js';
import type { ResidualResult } from '../src/pool/index.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '512x512' },
    counts: { type: 'string', default: '1000,10000' },
    queries: { type: 'string', default: '10' },
    exhaustive: { type: 'string', default: '2' },
    'exhaustive-max': { type: 'string', default: '1000' },
    pce: { type: 'string', default: '200' },
    dir: { type: 'string', default: '/tmp/camprint-bench-search' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    'no-rotations': { type: 'boolean', default: false },
  },
});
const [width, height] = args.size.split('x').map(Number);
const counts = args.counts.split(',').map(Number);
const CLI = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'camprint.js');

/**
 * Gaussians from xoshiro128** (state seeded by splitmix32 from the seed): one stream per seed
 * with a 2^128 period, so no two fingerprints share a stretch of values (a 32-bit generator's
 * single cycle would make shifted copies of one another).
 */
function gaussianFill(out: Float32Array, seed: number, sigma: number): Float32Array {
  let z = seed >>> 0;
  const splitmix = () => {
    z = (z + 0x9e3779b9) >>> 0;
    let t = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
    return (t ^ (t >>> 16)) >>> 0;
  };
  let [a, b, c, d] = [splitmix(), splitmix(), splitmix(), splitmix()];
  const next = () => {
    const r = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return (r + 0.5) / 4294967296;
  };
  for (let i = 0; i < out.length; i += 2) {
    const r = sigma * Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** A query residual that holds fingerprint K at about the given PCE: W = I·K + n, PCE ≈ ρ²·N. */
function probe(K: Float32Array, pce: number, seed: number): ResidualResult {
  const n = K.length;
  const intensity = new Float32Array(n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      intensity[y * width + x] = 0.25 + 0.6 * (0.5 + 0.5 * Math.sin(x / 97 + y / 61));
  let signal = 0;
  for (let i = 0; i < n; i++) signal += (intensity[i] * K[i]) ** 2;
  const rho = Math.sqrt(pce / n);
  const sigma = Math.sqrt(signal / n) * Math.sqrt(1 / rho ** 2 - 1);
  const residual = gaussianFill(new Float32Array(n), seed, sigma);
  for (let i = 0; i < n; i++) residual[i] += intensity[i] * K[i];
  return {
    residual,
    intensity,
    width,
    height,
    sha256: 'synthetic',
    orientation: 1,
    format: 'synthetic',
  } as unknown as ResidualResult;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
await initFft();
if (!args.reuse) rmSync(args.dir, { recursive: true, force: true });
const rows: string[][] = [];
let prev = 0;
for (const count of counts) {
  // --reuse: the store in --dir already holds the last count's fingerprints; only query it.
  if (args.reuse && count !== counts[counts.length - 1]) continue;
  const dataDir = join(args.dir, `store-${width}x${height}`);
  let genSeconds = NaN;
  let importSeconds = NaN;
  let importKb = NaN;
  if (!args.reuse) {
    // Fingerprints prev..count-1 are new: written as .npy and imported into this count's store in
    // chunks of about 2 GB, so the disk holds the store plus one chunk (1,000 at 6 MP: 27 GB + 2 GB).
    const chunk = Math.max(1, Math.floor(2 ** 31 / (4 * width * height)));
    const K = new Float32Array(width * height);
    const batch = join(args.dir, `batch-${count}`);
    genSeconds = 0;
    importSeconds = 0;
    importKb = 0;
    for (let from = prev; from < count; from += chunk) {
      const t0 = performance.now();
      rmSync(batch, { recursive: true, force: true });
      mkdirSync(batch, { recursive: true });
      for (let j = from; j < Math.min(count, from + chunk); j++) {
        const name = `fp${String(j).padStart(7, '0')}.npy`;
        await writeNpyFloat32(join(batch, name), gaussianFill(K, j + 1, 0.005), [height, width]);
      }
      genSeconds += (performance.now() - t0) / 1000;
      const imp = spawnSync(
        '/usr/bin/time',
        [
          '-f',
          '%e %M',
          process.execPath,
          CLI,
          '--data-dir',
          dataDir,
          '--json',
          'fingerprint',
          'import',
          batch,
        ],
        { encoding: 'utf8', maxBuffer: 1 << 30 },
      );
      if (imp.status !== 0) throw new Error(`import failed: ${imp.stderr.slice(-2000)}`);
      const [s, kb] = imp.stderr.trim().split('\n').pop()!.split(' ').map(Number);
      importSeconds += s;
      importKb = Math.max(importKb, kb);
    }
    rmSync(batch, { recursive: true, force: true });
  }
  const store = await openStore({ dataDir, databaseUrl: null });
  const records = await store.listFingerprints();
  const queries = Number(args.queries);
  let scan = 0;
  let rerank = 0;
  let right = 0;
  let agree = 0;
  let exhaustiveSeconds = 0;
  let zRight = Infinity; // the weakest digest score of a probe's own camera
  let zOther = -Infinity; // the strongest of any other camera
  const rss0 = process.memoryUsage().rss;
  for (let qi = 0; qi < queries; qi++) {
    const target = records[Math.floor(((qi + 0.5) / queries) * records.length)];
    const fp = (await store.getFingerprint(target.camera))!;
    const q = probe(fp.data, Number(args.pce), 2_000_000_000 + qi); // noise seeds apart from the fingerprints' (1…count);
    const report = await searchStore(store, q, { rotations: !args['no-rotations'] });
    scan += report.seconds.scan;
    rerank += report.seconds.rerank;
    if (report.results[0].camera === target.camera && report.results[0].match) right++;
    for (const c of report.ranked)
      if (c.camera === target.camera) zRight = Math.min(zRight, c.score);
      else zOther = Math.max(zOther, c.score);
    if (qi < Number(args.exhaustive) && count <= Number(args['exhaustive-max'])) {
      const te = performance.now();
      let best = { camera: '', pce: -Infinity };
      for (const r of records) {
        const k = (await store.getFingerprint(r.camera))!;
        const m = testFingerprint(q, { camera: r.camera, width, height, data: k.data });
        if ((m.pce ?? -Infinity) > best.pce) best = { camera: r.camera, pce: m.pce! };
      }
      exhaustiveSeconds += (performance.now() - te) / 1000;
      if (best.camera === report.results[0].camera) agree++;
    }
  }
  await store.close();
  const ex = count <= Number(args['exhaustive-max']) ? Math.min(queries, Number(args.exhaustive)) : 0;
  rows.push([
    String(count),
    args.reuse ? '—' : `${genSeconds.toFixed(0)} s`,
    args.reuse
      ? '(reused)'
      : `${importSeconds.toFixed(0)} s (${((importSeconds / (count - prev)) * 1000).toFixed(1)} ms each, peak ${mb(importKb * 1024)})`,
    `${(scan / queries).toFixed(3)} s`,
    `${(rerank / queries).toFixed(3)} s`,
    `${right}/${queries}`,
    `${zRight.toFixed(1)} / ${zOther.toFixed(1)}`,
    ex > 0 ? `${agree}/${ex} (${(exhaustiveSeconds / ex).toFixed(1)} s each)` : '—',
    `${mb(process.memoryUsage().rss)} (+${mb(process.memoryUsage().rss - rss0)}), peak ${mb(process.resourceUsage().maxRSS * 1024)}`,
  ]);
  console.log(`| ${rows[rows.length - 1].join(' | ')} |`);
  prev = count;
}
console.log(
  `\n${width}×${height}, digest ${defaultDigestSize(width * height).toLocaleString('en-GB')} values, probes at PCE ≈ ${args.pce}, default re-rank (5 + stand-outs)`,
);
console.log(
  '| fingerprints | write .npy | import (new ones) | digest scan / query | PCE re-rank / query | right & decided | digest z: own camera (lowest) / others (highest) | same top-1 as exhaustive | RSS |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (!args.keep) rmSync(args.dir, { recursive: true, force: true });
