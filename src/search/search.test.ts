/**
 * The fingerprint search: digests and the digest score on known answers, then a store of real
 * (simulated-camera) fingerprints among many unrelated ones, where the two-stage search must name
 * the same camera as the exhaustive PCE detector for every photo that one decides is a match.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI } from '../testing/shared.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate, type SimulatedCamera } from '../sim/index.js';
import { buildFingerprint, queryResidual, saveFingerprint, testFingerprint } from '../services/index.js';
import { closePool } from '../pool/index.js';
import { initFft } from '../prnu/index.js';
import { openStore, type Store } from '../store/index.js';
import {
  DigestScorer,
  defaultDigestSize,
  makeDigest,
  digestScore,
  ensureDigests,
  identifyFile,
  mergeScans,
  planSearch,
  rerank,
  scanShard,
  normalUpperQuantile,
  searchStore,
  standOutScore,
} from './index.js';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A TCP port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Deterministic N(0, σ²) values (Box–Muller on a 32-bit LCG). */
function gaussian(n: number, seed: number, sigma = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = sigma * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

describe('digest kernels', () => {
  test('makeDigest keeps the k largest magnitudes in index order, ties broken by position', () => {
    const k = Float32Array.of(0.1, -0.5, 0.3, 0.5, -0.2, 0.5, 0);
    const d = makeDigest(k, 3);
    assert.deepEqual([...d.indices], [1, 3, 5]);
    assert.deepEqual([...d.values], [-0.5, 0.5, 0.5].map(Math.fround));
    const two = makeDigest(k, 2); // three values tie at |0.5|: the first two by position
    assert.deepEqual([...two.indices], [1, 3]);
    assert.deepEqual([...makeDigest(k, 99).indices], [0, 1, 2, 3, 4, 5, 6]);
    const big = gaussian(100_000, 3);
    const top = makeDigest(big, 1000);
    const sorted = [...big].map(Math.abs).sort((a, b) => b - a);
    assert.equal(Math.min(...[...top.values].map(Math.abs)), sorted[999]);
  });

  test('the digest score is N(0,1) for an unrelated fingerprint and large for the right one', () => {
    const n = 256 * 256;
    const intensity = new Float32Array(n).map((_, i) => 0.3 + 0.5 * ((i % 256) / 256));
    const K = gaussian(n, 11, 0.01);
    const noise = gaussian(n, 12, 0.02);
    const W = new Float32Array(n).map((_, i) => intensity[i] * K[i] + noise[i]);
    const right = digestScore(makeDigest(K, 4096), W, intensity);
    assert.ok(right > 10, `own fingerprint: z ${right}`);
    const scores = [];
    for (let s = 0; s < 200; s++)
      scores.push(digestScore(makeDigest(gaussian(n, 100 + s, 0.01), 4096), W, intensity));
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (scores.length - 1));
    assert.ok(Math.abs(mean) < 0.25 && sd > 0.8 && sd < 1.2, `H0 scores: mean ${mean}, sd ${sd}`);
  });

  test('the default digest grows with the pixel count, so a probe at a given PCE scores the same z at any size', () => {
    assert.equal(defaultDigestSize(512 * 512), 16_384);
    assert.equal(defaultDigestSize(3008 * 2000), 376_000);
    assert.equal(defaultDigestSize(100 * 100), 10_000); // never more values than the fingerprint has
    assert.equal(makeDigest(gaussian(1024 * 1024, 2)).indices.length, 65_536);
    // W = I·K + noise with the noise set for PCE ≈ 200 (ρ² = PCE / N): the same z at 256² and 1024².
    const zAt = (side: number) => {
      const n = side * side;
      const intensity = new Float32Array(n).fill(0.5);
      const K = gaussian(n, 21, 0.01);
      const sigma = 0.5 * 0.01 * Math.sqrt(n / 200);
      const noise = gaussian(n, 22, sigma);
      const W = new Float32Array(n).map((_, i) => intensity[i] * K[i] + noise[i]);
      return [digestScore(makeDigest(K), W, intensity), digestScore(makeDigest(K, 16_384), W, intensity)];
    };
    const [small] = zAt(512);
    const [large, largeFixed] = zAt(1024);
    assert.ok(small > 5 && large > 5, `z ${small} at 512², ${large} at 1024²`);
    assert.ok(Math.abs(large - small) < 2.5, `z ${small} at 512², ${large} at 1024²`);
    assert.ok(
      largeFixed < large - 1.5,
      `a fixed 16,384 values at 1024²: z ${largeFixed}, ${large} with 65,536`,
    );
  });

  test('the SIMD kernel gives digestScore, the best over 1 to 4 orientations', () => {
    const n = 64 * 64;
    const K = gaussian(n, 5);
    const digests = [makeDigest(K, 500), makeDigest(gaussian(n, 6), 800), makeDigest(gaussian(n, 7), 1100)];
    const is = [0, 1, 2, 3].map((o) => gaussian(n, 60 + o).map((v) => 0.5 + 0.1 * v));
    // Orientation 2 holds the first digest's sensor pattern (W = noise + I·K): a high score.
    const ws = [0, 1, 2, 3].map((o) =>
      gaussian(n, 50 + o).map((w, p) => (o === 2 ? w + 0.5 * is[o][p] * K[p] : w)),
    );
    const scorer = new DigestScorer();
    for (const count of [1, 2, 3, 4]) {
      scorer.setQuery(`q${count}`, ws.slice(0, count), is.slice(0, count));
      for (const d of digests) {
        const best = Math.max(...ws.slice(0, count).map((w, o) => digestScore(d, w, is[o])));
        const got = scorer.score(d);
        assert.ok(Math.abs(got - best) < 1e-5 * Math.max(1, Math.abs(best)), `${count}: ${got} vs ${best}`);
      }
    }
    assert.ok(scorer.score(digests[0]) > 8, 'the own pattern stands out');
  });

  test('a batch scored band by band equals each digest scored alone, across bands and sizes', () => {
    const n = 400 * 300; // four bands of 32,768 pixels, the last one partial
    const is = [0, 1].map((o) => gaussian(n, 70 + o).map((v) => 0.5 + 0.1 * v));
    const ws = [0, 1].map((o) => gaussian(n, 80 + o));
    const sizes = [2, 7, 256, 257, 5000, 20_000, n];
    const digests = sizes.map((k, i) => makeDigest(gaussian(n, 90 + i), k));
    // A digest whose samples all lie in the last band, and one wholly in the first.
    digests.push({ indices: Uint32Array.of(n - 3, n - 2, n - 1), values: Float32Array.of(1, -2, 3) });
    digests.push({ indices: Uint32Array.of(0, 5, 9, 100), values: Float32Array.of(1, -1, 2, 0.5) });
    const scorer = new DigestScorer();
    scorer.setQuery('bands', ws, is);
    const batch = scorer.scoreMany(digests);
    digests.forEach((d, j) => {
      const best = Math.max(...ws.map((w, o) => digestScore(d, w, is[o])));
      assert.ok(
        Math.abs(batch[j] - best) < 1e-5 * Math.max(1, Math.abs(best)),
        `${j}: ${batch[j]} vs ${best}`,
      );
      assert.equal(scorer.score(d), batch[j], `digest ${j} alone`);
    });
    assert.deepEqual([...scorer.scoreMany([])], []);
  });

  test('stand-out score is the Bonferroni normal quantile', () => {
    assert.ok(Math.abs(normalUpperQuantile(0.025) - 1.959964) < 1e-5);
    assert.ok(Math.abs(normalUpperQuantile(1e-7) - 5.199338) < 1e-5);
    assert.equal(standOutScore(10_000, 1e-3), normalUpperQuantile(1e-7));
  });
});

describe('search of a store against the exhaustive detector', () => {
  let dir: string;
  let store: Store;
  let cameras: SimulatedCamera[];
  const DECOYS = 100;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camprint-search-'));
    await initFft();
    // Strong PRNU (prnuScale 1) so that every photo of this small size is decidable.
    ({ cameras } = await simulate({
      prnuScale: 1,
      dir,
      models: 2,
      devices: 3,
      images: 2,
      flat: 6,
      width: 384,
      height: 256,
      seed: 9,
    }));
    store = await openStore({ dataDir: join(dir, 'store') });
    for (const cam of cameras) {
      const built = await buildFingerprint(cam.flat);
      if (cam.camera.endsWith('_2')) {
        // Stored without a digest, as an older camprint would have: search must make one.
        await store.putFingerprint({
          camera: cam.camera,
          width: built.width,
          height: built.height,
          images: 6,
          quality: {},
          params: {},
          data: built.fingerprint,
          sources: [],
        });
      } else await saveFingerprint(store, cam.camera, built);
    }
    // Unrelated sensors of the same size, and a few portrait and larger ones.
    for (let j = 0; j < DECOYS; j++) {
      const [width, height] = j % 25 === 1 ? [256, 384] : j % 50 === 2 ? [400, 300] : [384, 256];
      const data = gaussian(width * height, 1000 + j, 0.01);
      await store.putFingerprint({
        camera: `decoy${j}`,
        width,
        height,
        images: 0,
        quality: {},
        params: {},
        data,
        digest: makeDigest(data),
        sources: [],
      });
    }
  });
  after(async () => {
    await store?.close();
    await closePool();
    rmSync(dir, { recursive: true, force: true });
  });

  test('missing and undersized digests are made once, then every fingerprint has a full one', async () => {
    // A digest smaller than the default for its size (as stores from before the size rule hold).
    const old = (await store.getFingerprint('decoy0'))!;
    await store.putDigest('decoy0', old.record.dataSha256, makeDigest(old.data, 100));
    assert.equal((await store.getFingerprintRecord('decoy0'))?.digestSize, 100);
    const made = await ensureDigests(store);
    assert.equal(made, 3);
    assert.equal(await ensureDigests(store), 0);
    assert.equal((await store.getFingerprintRecord('decoy0'))?.digestSize, 16_384);
    assert.ok(
      (await store.listFingerprints()).every((r) => r.digestSize === defaultDigestSize(r.width * r.height)),
    );
  });

  test('the same top-1 as the exhaustive detector on every photo it decides, with a fraction of the PCE work', async (t) => {
    await ensureDigests(store); // (when run on its own)
    const all = await store.listFingerprints();
    let decided = 0;
    for (const cam of cameras) {
      for (const file of cam.natural) {
        const q = await queryResidual(file);
        const report = await searchStore(store, q, { rotations: false });
        // Exhaustive: every fingerprint through the full detector.
        let bestCamera = '';
        let bestPce = -Infinity;
        for (const r of all) {
          const fp = (await store.getFingerprint(r.camera))!;
          const m = testFingerprint(
            q,
            { camera: r.camera, width: r.width, height: r.height, data: fp.data },
            { rotations: false },
          );
          if (m.pce !== null && m.pce > bestPce) [bestCamera, bestPce] = [r.camera, m.pce];
        }
        // Compared where the exhaustive detector decides (a match); below the threshold its top-1
        // is noise, which no search can be asked to reproduce.
        if (!(bestPce > 60)) continue;
        decided++;
        assert.equal(bestCamera, cam.camera, `${file}: exhaustive top-1 ${bestCamera} (PCE ${bestPce})`);
        assert.equal(report.results[0].camera, bestCamera, `${file}: search top-1`);
        assert.equal(report.results[0].pce, bestPce);
        assert.equal(report.results[0].match, true);
        // Same-size digests scored (6 cameras + the landscape decoys; without rotations the 4
        // portrait ones are not comparable), the 2 larger decoys tested as crops, and only a
        // few candidates re-ranked.
        assert.equal(report.scanned, 6 + DECOYS - 6);
        assert.equal(report.cropTested, 2);
        assert.equal(report.notComparable, 4);
        assert.ok(report.reranked >= 5 && report.reranked <= 10, `${file}: ${report.reranked} re-ranked`);
        assert.ok(
          report.standOut.count >= 1,
          `${file}: the own camera stands out (z ${report.results[0].digestScore})`,
        );
      }
    }
    t.diagnostic(`${decided} of 12 photos decided by the exhaustive detector, all found by the search`);
    assert.ok(decided >= 8, `${decided} of 12 photos decided by the exhaustive detector`);
  });

  test('three shards scanned apart and merged rank exactly as one scan', async () => {
    const q = await queryResidual(cameras[4].natural[1]);
    const plan = await planSearch(store, q);
    const whole = await scanShard(store, plan);
    const shards = [];
    for (let index = 0; index < 3; index++)
      shards.push(await scanShard(store, plan, {}, { index, count: 3 }));
    assert.deepEqual(
      shards.map((s) => s.scanned).reduce((a, b) => a + b, 0),
      whole.scanned,
    );
    assert.ok(shards.every((s) => s.scanned > 20));
    const merged = mergeScans(shards);
    assert.deepEqual(merged.ranked, whole.ranked);
    // Scored on the worker pool instead of here: the same scores.
    const pooled = await scanShard(store, plan, { parallelFrom: 1, batchSize: 7 });
    assert.deepEqual(pooled.ranked, whole.ranked);
    assert.equal(pooled.scanned, whole.scanned);
    assert.equal(merged.standing, whole.standing);
    const report = await rerank(store, q, plan, merged);
    assert.equal(report.results[0].camera, cameras[4].camera);
  });

  test(
    'identify --shards over Redis: two camprint workers scan the shards, the answer is the one-process answer',
    {
      skip: existsSync(REDIS_SERVER)
        ? false
        : `needs ${REDIS_SERVER} (Debian package redis-server), which is absent`,
      timeout: 120_000,
    },
    async () => {
      await ensureDigests(store);
      const port = await freePort();
      const redis = spawn(
        REDIS_SERVER,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      );
      const env = { ...process.env, CAMPRINT_REDIS_URL: `redis://127.0.0.1:${port}` };
      const dataDir = join(dir, 'store');
      const workers = [0, 1].map(() =>
        spawn(process.execPath, [CLI, '--data-dir', dataDir, 'worker', '--kinds', 'search-shard'], {
          env,
          stdio: 'ignore',
        }),
      );
      try {
        const photo = cameras[3].natural[0];
        const run = (extra: string[], e: NodeJS.ProcessEnv) =>
          new Promise<{ code: number | null; out: string; err: string }>((res) => {
            const c = spawn(
              process.execPath,
              [CLI, '--data-dir', dataDir, '--json', 'identify', photo, '--top', '3', ...extra],
              { env: e },
            );
            let out = '';
            let err = '';
            c.stdout.on('data', (b: Buffer) => (out += b));
            c.stderr.on('data', (b: Buffer) => (err += b));
            c.on('exit', (code) => res({ code, out, err }));
          });
        const spread = await run(['--shards', '4'], env);
        assert.equal(spread.code, 0, spread.err);
        const local = await run([], { ...process.env, CAMPRINT_REDIS_URL: '' });
        assert.equal(local.code, 0, local.err);
        const a = JSON.parse(spread.out);
        const b = JSON.parse(local.out);
        assert.equal(a.search.shards, 4);
        assert.equal(a.search.scanned, b.search.scanned);
        assert.deepEqual(
          a.candidates.map((c: { camera: string; pce: number }) => [c.camera, c.pce]),
          b.candidates.map((c: { camera: string; pce: number }) => [c.camera, c.pce]),
        );
        assert.equal(a.candidates[0].camera, cameras[3].camera);
      } finally {
        for (const w of workers) w.kill('SIGKILL');
        redis.kill('SIGKILL');
      }
    },
  );

  test('a portrait (rotated) photo is found through its rotated digest score', async () => {
    const sharp = (await import('sharp')).default;
    const file = join(dir, 'portrait.png');
    await sharp(cameras[1].natural[0]).rotate(90).png().toFile(file);
    const report = await identifyFile(store, file);
    assert.equal(report.results[0].camera, cameras[1].camera);
    assert.equal(report.results[0].match, true);
    assert.equal(report.results[0].rotation, 270);
    assert.ok(report.digestsMade <= 2); // 2 when this test runs on its own
  });
});
