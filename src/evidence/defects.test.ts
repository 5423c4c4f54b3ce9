/**
 * Defective pixels on simulated cameras (`camprint simulate` plants them and records where in
 * cameras.json): the map from 20 flat-fields, and photos matched against it. Also the statistics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simulate, type SimulationManifest, type SimulationResult } from '../sim/index.js';
import {
  DefectAccumulator,
  lnBinomialTail,
  lnHypergeometricTail,
  matchDefects,
  minimumHits,
  outlierScores,
  scoreFrame,
  type DefectEstimate,
} from './index.js';
import { lnChoose } from './defects.js';

describe('defect statistics', () => {
  it('the hypergeometric tail equals the direct sum on small cases', () => {
    const choose = (n: number, k: number): number => {
      let r = 1;
      for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
      return r;
    };
    for (const [N, m, n] of [
      [30, 7, 5],
      [100, 10, 20],
      [50, 49, 3],
    ]) {
      for (let k = 0; k <= Math.min(m, n); k++) {
        let p = 0;
        for (let j = k; j <= Math.min(m, n); j++) p += (choose(m, j) * choose(N - m, n - j)) / choose(N, n);
        assert.ok(Math.abs(Math.exp(lnHypergeometricTail(N, m, n, k)) - p) < 1e-9, `${N} ${m} ${n} ${k}`);
      }
    }
    assert.ok(Math.abs(lnChoose(6_000_000, 3) - Math.log((6e6 * 5999999 * 5999998) / 6)) < 1e-6);
  });

  it('the binomial tail and the consistency rule', () => {
    assert.ok(Math.abs(Math.exp(lnBinomialTail(3, 0.5, 2)) - 0.5) < 1e-12);
    assert.equal(lnBinomialTail(5, 0.1, 0), 0);
    // 100 000 pixels, 20 frames: rare outliers need 2 repeats, frequent ones more
    assert.equal(minimumHits(20, 1e-6, 1e5, 0.01), 2);
    assert.ok(minimumHits(20, 0.01, 1e5, 0.01) > minimumHits(20, 0.001, 1e5, 0.01));
    assert.equal(minimumHits(3, 0.5, 1e6, 0.01), 4, 'impossible: no pixel qualifies');
  });

  it('finds a synthetic hot and dead pixel in noise, and a photo with them matches', () => {
    const w = 64;
    const h = 48;
    let s = 7;
    const noise = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return (s / 2147483648 - 0.5) * 6;
    };
    const acc = new DefectAccumulator(w, h);
    const frame = (): Float32Array => {
      const px = new Float32Array(w * h * 3);
      for (let i = 0; i < px.length; i++) px[i] = 100 + noise();
      for (let c = 0; c < 3; c++) {
        px[3 * (10 * w + 20) + c] += 60;
        px[3 * (30 * w + 40) + c] -= 60;
      }
      return px;
    };
    for (let f = 0; f < 6; f++) acc.add(outlierScores(frame(), w, h, 3));
    const est = acc.result();
    assert.deepEqual(
      est.defects.map((d) => [d.x, d.y, d.kind]),
      [
        [20, 10, 'hot'],
        [40, 30, 'dead'],
      ],
    );
    const m = matchDefects(outlierScores(frame(), w, h, 3), w, h, est.defects);
    assert.equal(m.hits, 2);
    assert.equal(m.tested, 2);
  });
});

describe('defect maps of simulated cameras (20 planted defects each)', () => {
  const root = mkdtempSync(join(tmpdir(), 'camprint-defects-'));
  let sim: SimulationResult;
  let manifest: SimulationManifest;
  let est: DefectEstimate;
  before(async () => {
    sim = await simulate({
      dir: root,
      models: 2,
      devices: 1,
      images: 2,
      flat: 20,
      width: 384,
      height: 256,
      seed: 3,
      hotPixels: 20,
      threads: 2,
    });
    manifest = JSON.parse(readFileSync(join(root, 'cameras.json'), 'utf8')) as SimulationManifest;
    const acc = new DefectAccumulator(384, 256);
    for (const f of sim.cameras[0].flat) acc.add((await scoreFrame(f)).z);
    est = acc.result();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the map from 20 flat-fields recovers at least 18 of the 20, with no false ones', () => {
    const truth = manifest.cameras[0].defects;
    assert.equal(truth.length, 20);
    const near = (a: { x: number; y: number }, b: { x: number; y: number }): boolean =>
      Math.abs(a.x - b.x) <= 1 && Math.abs(a.y - b.y) <= 1;
    const recovered = truth.filter((t) => est.defects.some((d) => near(d, t)));
    const exact = truth.filter((t) => est.defects.some((d) => d.x === t.x && d.y === t.y));
    const falseOnes = est.defects.filter((d) => !truth.some((t) => near(d, t)));
    console.log(
      `defects: ${recovered.length}/20 recovered (${exact.length} at the exact pixel), ${falseOnes.length} false; ` +
        `an outlier in ≥ ${est.minHits} of ${est.frames} frames`,
    );
    assert.ok(recovered.length >= 18, `recovered ${recovered.length}`);
    assert.deepEqual(falseOnes, []);
    // dead pixels read darker, hot and stuck-high ones brighter
    for (const t of truth) {
      const d = est.defects.find((x) => near(x, t));
      if (d) assert.equal(d.kind, t.kind === 'dead' ? 'dead' : 'hot', JSON.stringify(t));
    }
  });

  it('a photo of that camera matches its map; a photo of the other camera does not', async () => {
    for (const [k, files] of [sim.cameras[0].natural, sim.cameras[1].natural].entries()) {
      for (const file of files) {
        const f = await scoreFrame(file);
        const m = matchDefects(f.z, f.width, f.height, est.defects);
        console.log(
          `${file.split('/').at(-1)} vs ${sim.cameras[0].camera}: ${m.hits}/${m.tested} hits, ` +
            `${m.expectedByChance.toFixed(2)} by chance, log10 P = ${m.log10PCoincidence.toFixed(1)}`,
        );
        if (k === 0) {
          assert.equal(m.match, true, file);
          assert.ok(m.log10PCoincidence < -10, file);
        } else {
          assert.equal(m.match, false, file);
          assert.ok(m.pCoincidence > 0.01, file);
        }
      }
    }
  });
});
