/** Unit tests of the simulator's pure kernels (no files, no workers). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceParams, modelParams } from './camera.js';
import { CFA_PATTERNS, cfaChannels, mosaic, type RgbPlanes } from './cfa.js';
import { DEMOSAIC_ALGORITHMS, demosaic, padReflect } from './demosaic.js';
import { applyLens } from './lens.js';
import { hashSeed, Rng } from './prng.js';
import { naturalScene, valueNoise } from './scene.js';
import { exposeSensor, plantDefects, prnuPattern } from './sensor.js';
import { gaussianKernel, unsharpMask } from './sharpen.js';
import { inverseTone, toneValue } from './tone.js';
import { correlation } from '../testing/numeric.js';

function constantPlanes(n: number, rgb: [number, number, number]): RgbPlanes {
  return [
    new Float32Array(n).fill(rgb[0]),
    new Float32Array(n).fill(rgb[1]),
    new Float32Array(n).fill(rgb[2]),
  ];
}

describe('sim/prng', () => {
  it('repeats a stream for a seed and separates nearby seeds and labels', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 8 }, () => a.u32());
    assert.deepEqual(
      xs,
      Array.from({ length: 8 }, () => b.u32()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 8 }, () => c.u32()),
    );
    assert.equal(hashSeed(1, 'natural', 0, 0, 3), hashSeed(1, 'natural', 0, 0, 3));
    const seeds = new Set([
      hashSeed(1, 'natural', 0, 0, 3),
      hashSeed(1, 'natural', 0, 3, 0),
      hashSeed(1, 'flat', 0, 0, 3),
      hashSeed(2, 'natural', 0, 0, 3),
      hashSeed(1 + 2 ** 32, 'natural', 0, 0, 3),
    ]);
    assert.equal(seeds.size, 5);
  });

  it('draws uniform values in [0, 1) and standard normal deviates', () => {
    const rng = new Rng(123);
    const n = 200_000;
    let sum = 0;
    let sum2 = 0;
    let sum4 = 0;
    let beyond3 = 0;
    let beyondTail = 0;
    let umin = 1;
    let umax = 0;
    for (let i = 0; i < n; i++) {
      const g = rng.gauss();
      sum += g;
      sum2 += g * g;
      sum4 += g ** 4;
      if (Math.abs(g) > 3) beyond3++;
      if (Math.abs(g) > 3.45) beyondTail++;
      const u = rng.next();
      umin = Math.min(umin, u);
      umax = Math.max(umax, u);
    }
    const mean = sum / n;
    const variance = sum2 / n - mean * mean;
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.015, `variance ${variance}`);
    assert.ok(Math.abs(sum4 / n / (variance * variance) - 3) < 0.1, 'kurtosis of a normal is 3');
    // P(|z| > 3) = 0.0027; the ziggurat's tail beyond r = 3.44 must be reached too
    assert.ok(Math.abs(beyond3 / n - 0.0027) < 0.0007, `tail ${beyond3 / n}`);
    assert.ok(beyondTail > 30, `far tail ${beyondTail}`);
    assert.ok(umin >= 0 && umax < 1);
  });
});

describe('sim/cfa and demosaic', () => {
  it('samples the filter colour of each 2×2 phase', () => {
    const w = 4;
    const h = 4;
    const planes = constantPlanes(w * h, [10, 20, 30]);
    for (const p of CFA_PATTERNS) {
      const m = mosaic(planes, w, h, p);
      const ch = cfaChannels(p);
      for (let k = 0; k < 4; k++) assert.equal(m[(k >> 1) * w + (k & 1)], [10, 20, 30][ch[k]]);
      assert.equal(p.split('').filter((c) => c === 'G').length, 2);
    }
  });

  it('mirror padding keeps the CFA phase', () => {
    const w = 5;
    const h = 4;
    const src = Float32Array.from({ length: w * h }, (_, i) => i);
    const p = padReflect(src, w, h, 2);
    const pw = w + 4;
    for (let y = -2; y < h + 2; y++) {
      for (let x = -2; x < w + 2; x++) {
        const v = p[(y + 2) * pw + x + 2];
        const sx = v % w;
        const sy = Math.floor(v / w);
        assert.equal((sx - x) & 1, 0);
        assert.equal((sy - y) & 1, 0);
      }
    }
  });

  it('every algorithm reproduces a uniform colour exactly and a smooth ramp closely', () => {
    const w = 32;
    const h = 24;
    for (const pattern of CFA_PATTERNS) {
      for (const algorithm of DEMOSAIC_ALGORITHMS) {
        const flat = demosaic(
          mosaic(constantPlanes(w * h, [0.2, 0.5, 0.7]), w, h, pattern),
          w,
          h,
          pattern,
          algorithm,
        );
        for (let c = 0; c < 3; c++) {
          for (const v of flat[c])
            assert.ok(Math.abs(v - [0.2, 0.5, 0.7][c]) < 1e-6, `${pattern} ${algorithm}`);
        }
        const ramp: RgbPlanes = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            ramp[0][y * w + x] = 0.1 + 0.01 * x;
            ramp[1][y * w + x] = 0.2 + 0.01 * y;
            ramp[2][y * w + x] = 0.3 + 0.005 * (x + y);
          }
        }
        const out = demosaic(mosaic(ramp, w, h, pattern), w, h, pattern, algorithm);
        for (let y = 3; y < h - 3; y++) {
          for (let x = 3; x < w - 3; x++) {
            for (let c = 0; c < 3; c++) {
              const i = y * w + x;
              assert.ok(
                Math.abs(out[c][i] - ramp[c][i]) < 1e-4,
                `${pattern} ${algorithm} (${x},${y}) ch ${c}`,
              );
            }
          }
        }
      }
    }
  });

  it('the algorithms differ on edges', () => {
    const w = 32;
    const h = 32;
    const planes = constantPlanes(w * h, [0.1, 0.1, 0.1]);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) if (x + 0.5 * y > 20) for (const p of planes) p[y * w + x] = 0.8;
    const raw = mosaic(planes, w, h, 'RGGB');
    const outs = DEMOSAIC_ALGORITHMS.map((a) => demosaic(raw, w, h, 'RGGB', a)[0]);
    assert.notDeepEqual(outs[0], outs[1]);
    assert.notDeepEqual(outs[1], outs[2]);
    assert.notDeepEqual(outs[0], outs[2]);
  });
});

describe('sim/tone and sharpen', () => {
  it('the tone curve maps [0, 1] onto [0, 1], increasing, and inverts', () => {
    for (const curve of [
      { gamma: 1.8, contrast: 0 },
      { gamma: 2.6, contrast: 0.5 },
    ]) {
      assert.ok(Math.abs(toneValue(0, curve)) < 1e-12);
      assert.ok(Math.abs(toneValue(1, curve) - 1) < 1e-12);
      let prev = -1;
      for (let x = 0; x <= 1; x += 0.001) {
        const y = toneValue(x, curve);
        assert.ok(y > prev);
        prev = y;
      }
      for (const y of [0.05, 0.5, 0.7, 0.95])
        assert.ok(Math.abs(toneValue(inverseTone(y, curve), curve) - y) < 1e-9);
    }
  });

  it('unsharp masking leaves flat areas alone and raises edge contrast', () => {
    const k = gaussianKernel(1.2);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    const w = 16;
    const h = 8;
    const planes = constantPlanes(w * h, [0.4, 0.4, 0.4]);
    unsharpMask(planes, w, h, 1, 0.8);
    for (const v of planes[1]) assert.ok(Math.abs(v - 0.4) < 1e-6);
    for (const p of planes) for (let y = 0; y < h; y++) for (let x = 8; x < w; x++) p[y * w + x] = 0.6;
    unsharpMask(planes, w, h, 1, 0.8);
    assert.ok(
      planes[1][3 * w + 7] < 0.4 && planes[1][3 * w + 8] > 0.6,
      'overshoot on both sides of the edge',
    );
  });
});

describe('sim/sensor', () => {
  it('PRNU: zero mean, the requested std, reproducible from the seed, independent between devices', () => {
    const w = 96;
    const h = 64;
    const k1 = prnuPattern(42, w, h, 0.015, 0.05);
    let m = 0;
    let s = 0;
    for (const v of k1) m += v;
    m /= k1.length;
    for (const v of k1) s += (v - m) ** 2;
    assert.ok(Math.abs(m) < 1e-7);
    assert.ok(Math.abs(Math.sqrt(s / k1.length) - 0.015) < 1e-5);
    assert.deepEqual(prnuPattern(42, w, h, 0.015, 0.05), k1);
    assert.ok(Math.abs(correlation(k1, prnuPattern(43, w, h, 0.015, 0.05))) < 0.06);
  });

  it('an exposure follows signal + PRNU with noise that grows with the signal and the gain', () => {
    const w = 64;
    const h = 64;
    const k = prnuPattern(1, w, h, 0.02, 0);
    const sensor = {
      cfa: 'RGGB' as const,
      sensitivity: [1, 1, 1] as [number, number, number],
      fullWell: 10000,
      readNoise: 3,
      darkCurrent: 0,
      adcBits: 14,
    };
    const stats = (level: number, gain: number): { mean: number; std: number } => {
      const raw = exposeSensor(
        constantPlanes(w * h, [level, level, level]),
        w,
        h,
        sensor,
        new Float32Array(w * h),
        [],
        new Rng(5),
        gain,
      );
      let mean = 0;
      for (const v of raw) mean += v;
      mean /= raw.length;
      let v2 = 0;
      for (const v of raw) v2 += (v - mean) ** 2;
      return { mean, std: Math.sqrt(v2 / raw.length) };
    };
    const low = stats(0.1, 1);
    const high = stats(0.5, 1);
    assert.ok(Math.abs(high.mean - 0.5) < 0.002);
    assert.ok(Math.abs(high.std - Math.sqrt(0.5 / 10000)) < 0.001, `shot noise ${high.std}`);
    assert.ok(high.std > low.std);
    assert.ok(stats(0.1, 8).std > 2.5 * low.std, 'ISO gain amplifies the noise');
    // with PRNU, the mean of many exposures follows 1 + K
    const sum = new Float32Array(w * h);
    const rng = new Rng(9);
    for (let t = 0; t < 20; t++) {
      const raw = exposeSensor(constantPlanes(w * h, [0.5, 0.5, 0.5]), w, h, sensor, k, [], rng);
      for (let i = 0; i < raw.length; i++) sum[i] += raw[i];
    }
    assert.ok(correlation(sum, k) > 0.8);
  });

  it('defects are distinct, inside the frame and reproducible', () => {
    const d = plantDefects(5, 40, 64, 48);
    assert.equal(d.length, 40);
    assert.equal(new Set(d.map((p) => `${p.x},${p.y}`)).size, 40);
    for (const p of d) assert.ok(p.x >= 4 && p.x < 60 && p.y >= 4 && p.y < 44);
    assert.deepEqual(plantDefects(5, 40, 64, 48), d);
    assert.ok(new Set(d.map((p) => p.kind)).size >= 2);
  });
});

describe('sim/scene and camera parameters', () => {
  it('natural scenes vary, with edges, dark regions and clipped highlights across shots', () => {
    const w = 160;
    const h = 120;
    let anyDark = false;
    let anyClip = false;
    const means: number[] = [];
    for (let s = 0; s < 8; s++) {
      const [, g] = naturalScene(new Rng(hashSeed(s)), w, h);
      let mean = 0;
      let dark = 0;
      let clip = 0;
      for (const v of g) {
        mean += v;
        if (v < 0.02) dark++;
        if (v >= 1) clip++;
      }
      means.push(mean / g.length);
      anyDark ||= dark > 0.01 * g.length;
      anyClip ||= clip > 0;
    }
    assert.ok(anyDark && anyClip);
    assert.ok(Math.max(...means) > 2 * Math.min(...means), 'exposure varies from shot to shot');
    const noise = valueNoise(new Rng(1), w, h, 32, 4, 0.5);
    assert.ok(Math.min(...noise) >= 0 && Math.max(...noise) <= 1);
  });

  it('the lens darkens the corners', () => {
    const w = 40;
    const h = 30;
    const planes = constantPlanes(w * h, [0.5, 0.5, 0.5]);
    applyLens(planes, w, h, { blur: 0.1, vignetting: [0.3, 0.1] });
    assert.ok(Math.abs(planes[1][15 * w + 20] - 0.5) < 0.01);
    assert.ok(Math.abs(planes[1][0] - 0.5 * 0.6) < 0.02);
  });

  it('models differ from each other; devices of a model share them', () => {
    const models = [0, 1, 2, 3].map((i) => modelParams(1, i));
    for (let i = 1; i < models.length; i++) {
      assert.notEqual(models[i].cfa, models[i - 1].cfa);
      assert.notEqual(models[i].demosaic, models[i - 1].demosaic);
      assert.notEqual(models[i].jpeg.quality, models[i - 1].jpeg.quality);
    }
    assert.deepEqual(modelParams(1, 2), models[2], 'deterministic');
    for (const m of models) {
      for (let r = 0; r < 3; r++) {
        const sum = m.colorMatrix[3 * r] + m.colorMatrix[3 * r + 1] + m.colorMatrix[3 * r + 2];
        assert.ok(Math.abs(sum - 1) < 1e-9, 'rows sum to 1: grey stays grey');
      }
    }
    assert.deepEqual(
      [0, 1, 2].map((i) => modelParams(1, i, 90).jpeg),
      [0, 1, 2].map(() => ({ quality: 90, chromaSubsampling: '4:2:0', exifModel: null })),
    );
    const d0 = deviceParams(1, models[0], 0, 64, 48, 2);
    const d1 = deviceParams(1, models[0], 1, 64, 48, 2);
    assert.equal(d0.camera, 'SimCam01_0');
    assert.notEqual(d0.seed, d1.seed);
    assert.ok(d0.prnuStd >= 0.01 && d0.prnuStd <= 0.02);
    assert.deepEqual(deviceParams(1, models[0], 0, 64, 48, 2), d0);
  });
});
