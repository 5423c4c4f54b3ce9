/** Known answers against prnu-python (shared/ref) and properties of the kernels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../image/index.js';
import { readNpy, npyToFloat32 } from '../util/npy.js';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';
import { correlation } from '../testing/numeric.js';
import {
  initFft,
  fft2,
  dwt2,
  idwt2,
  extractResidual,
  FingerprintAccumulator,
  rgbToGrey,
  detect,
  falseAlarm,
  log10NormalTail,
  rotatePlane,
  wienerAdaptive,
} from './index.js';

await initFft();

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

const REF = 'ref';

test(
  'residual of natural-D70_0.png correlates ≥ 0.99 with prnu-python extract_single',
  { skip: skipWithoutShared(REF) },
  async () => {
    const img = await decodeImage(sharedPath(REF, 'natural-D70_0.png')!);
    const ref = readNpy(sharedPath(REF, 'residual-natural-D70_0.npy')!);
    assert.deepEqual(ref.shape, [img.height, img.width]);
    const W = extractResidual(img.rgb, img.height, img.width);
    const r = correlation(W, npyToFloat32(ref));
    assert.ok(r >= 0.99, `correlation ${r}`);
  },
);

test(
  'fingerprint of flat-D70_0-{0..4}.png correlates ≥ 0.99 with prnu-python extract_multiple_aligned',
  { skip: skipWithoutShared(REF) },
  async () => {
    let acc: FingerprintAccumulator | undefined;
    for (let i = 0; i < 5; i++) {
      const img = await decodeImage(sharedPath(REF, `flat-D70_0-${i}.png`)!);
      acc ??= new FingerprintAccumulator(img.height, img.width);
      acc.add(img.rgb);
    }
    const K = acc!.finish();
    const r = correlation(K, npyToFloat32(readNpy(sharedPath(REF, 'fingerprint-D70_0.npy')!)));
    assert.ok(r >= 0.99, `correlation ${r}`);
  },
);

test(
  'zero-shift PCE of the reference match and non-match pairs within 5% of prnu-python',
  { skip: skipWithoutShared(REF) },
  async () => {
    const ref = JSON.parse(readFileSync(sharedPath(REF, 'reference.json')!, 'utf8'));
    const kArr = readNpy(sharedPath(REF, 'fingerprint-D70_0.npy')!);
    const K = { data: npyToFloat32(kArr), h: kArr.shape[0], w: kArr.shape[1] };
    const pairs: [string, string][] = [
      ['natural-D70_0.png', 'match'],
      ['natural-D70_1.png', 'nonmatch'],
    ];
    for (const [file, key] of pairs) {
      const img = await decodeImage(join(sharedPath(REF)!, file));
      const W = { data: extractResidual(img.rgb, img.height, img.width), h: img.height, w: img.width };
      const I = { data: rgbToGrey(img.rgb), h: img.height, w: img.width };
      const d = detect(K, W, I, { rotations: false });
      assert.ok(d.comparable);
      const want = ref.results[key].pce_zero_shift_11x11 as number;
      assert.ok(Math.abs(d.pce - want) / want < 0.05, `${key}: PCE ${d.pce} vs prnu-python ${want}`);
      assert.ok(Math.abs(d.ncc - ref.results[key].ncc_zero_shift) < 1e-4, `${key}: NCC ${d.ncc}`);
      assert.deepEqual(d.shift.map(Math.abs), [0, 0]);
    }
  },
);

test('fft2 matches a direct DFT, including lengths PFFFT cannot plan (Bluestein)', () => {
  for (const [h, w] of [
    [16, 32],
    [6, 10],
    [12, 47],
  ]) {
    const rnd = lcg(h * 100 + w);
    const x = new Float32Array(2 * h * w).map(() => rnd());
    const y = x.slice();
    fft2(y, h, w);
    let maxErr = 0,
      maxAbs = 0;
    for (let ky = 0; ky < h; ky++)
      for (let kx = 0; kx < w; kx++) {
        let re = 0,
          im = 0;
        for (let r = 0; r < h; r++)
          for (let c = 0; c < w; c++) {
            const a = -2 * Math.PI * ((ky * r) / h + (kx * c) / w);
            const xr = x[2 * (r * w + c)],
              xi = x[2 * (r * w + c) + 1];
            re += xr * Math.cos(a) - xi * Math.sin(a);
            im += xr * Math.sin(a) + xi * Math.cos(a);
          }
        const i = 2 * (ky * w + kx);
        maxErr = Math.max(maxErr, Math.abs(y[i] - re), Math.abs(y[i + 1] - im));
        maxAbs = Math.max(maxAbs, Math.abs(re), Math.abs(im));
      }
    assert.ok(maxErr / maxAbs < 1e-5, `${h}×${w}: relative error ${maxErr / maxAbs}`);
  }
});

test('db4 analysis followed by synthesis reconstructs the input (even and odd sizes)', () => {
  for (const [h, w] of [
    [64, 96],
    [37, 51],
  ]) {
    const rnd = lcg(h + w);
    const x = new Float32Array(h * w).map(() => rnd() * 255);
    const sb = dwt2(x, h, w);
    const rec = idwt2(sb.ll, sb.h, sb.w, sb.details, sb.h, sb.w);
    const rw = 2 * sb.w - 6;
    let err = 0;
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) err = Math.max(err, Math.abs(rec[r * rw + c] - x[r * w + c]));
    assert.ok(err < 1e-3, `${h}×${w}: max error ${err}`);
  }
});

test('adaptive Wiener keeps pure noise of the assumed variance mostly and shrinks strong signal', () => {
  const n = 64;
  const rnd = lcg(3);
  const weak = new Float32Array(n * n).map(() => rnd() * 0.1);
  const strong = new Float32Array(n * n).map(() => rnd() * 400);
  const kw = wienerAdaptive(weak, n, n, 25);
  const ks = wienerAdaptive(strong, n, n, 25);
  assert.ok(Math.abs(kw[100] - weak[100]) < 1e-6, 'noise below σ² passes unchanged');
  assert.ok(Math.abs(ks[100]) < Math.abs(strong[100]) * 0.05 + 1e-6, 'strong signal is shrunk');
});

test('false-alarm probability: Q(√PCE), more tests raise it, tiny values stay finite in log10', () => {
  assert.ok(Math.abs(log10NormalTail(1.959963985) - Math.log10(0.025)) < 1e-5);
  const one = falseAlarm(60, 1);
  assert.ok(Math.abs(one.p - 4.2e-15) / 4.2e-15 < 0.15, `P_FA(60) = ${one.p}`);
  assert.ok(falseAlarm(60, 1e6).p > one.p);
  const huge = falseAlarm(20000, 1);
  assert.equal(huge.p, 0);
  assert.ok(huge.log10 < -4000 && Number.isFinite(huge.log10));
  assert.equal(falseAlarm(-5).p, 1);
});

test('detect finds a crop at an odd offset and a rotated query, and says when sizes cannot compare', () => {
  const h = 128,
    w = 192;
  const rnd = lcg(11);
  const K = new Float32Array(h * w).map(() => rnd());
  // Query: a 64×96 crop at (17, 41) of I·K + noise, with flat intensity.
  const qh = 64,
    qw = 96,
    oy = 17,
    ox = 41;
  const Wq = new Float32Array(qh * qw);
  for (let r = 0; r < qh; r++)
    for (let c = 0; c < qw; c++) Wq[r * qw + c] = 0.3 * K[(r + oy) * w + ox + c] + rnd();
  const Iq = new Float32Array(qh * qw).fill(1);
  const d = detect(
    { data: K, h, w },
    { data: Wq, h: qh, w: qw },
    { data: Iq, h: qh, w: qw },
    { rotations: false },
  );
  assert.ok(d.comparable && d.match, JSON.stringify(d));
  assert.deepEqual(d.shift, [oy, ox]);
  // The same crop rotated by 90°: found at rotation 270 (undoing it).
  const rot = rotatePlane({ data: Wq, h: qh, w: qw }, 1);
  const d2 = detect({ data: K, h, w }, rot, { data: Iq, h: rot.h, w: rot.w });
  assert.ok(d2.comparable && d2.match);
  assert.equal(d2.rotation, 270);
  assert.deepEqual(d2.shift, [oy, ox]);
  const big = detect(
    { data: K, h, w },
    { data: new Float32Array(200 * 300), h: 200, w: 300 },
    { data: new Float32Array(200 * 300), h: 200, w: 300 },
  );
  assert.equal(big.comparable, false);
});

test('detect gives the correlation window around the peak on request: √PCE at the centre, noise around it', () => {
  const h = 96,
    w = 128;
  const rnd = lcg(23);
  const K = new Float32Array(h * w).map(() => rnd());
  const I = { data: new Float32Array(h * w).fill(1), h, w };
  const own = { data: K.map((k) => 0.2 * k + rnd()), h, w };
  const other = { data: new Float32Array(h * w).map(() => rnd()), h, w };
  const radius = 6;
  const side = 2 * radius + 1;
  assert.equal((detect({ data: K, h, w }, own, I) as { surface?: unknown }).surface, undefined, 'opt-in');
  for (const [W, match] of [
    [own, true],
    [other, false],
  ] as const) {
    const d = detect({ data: K, h, w }, W, I, { surfaceRadius: radius, rotations: false });
    assert.ok(d.comparable && d.surface, JSON.stringify(d));
    assert.equal(d.match, match);
    assert.equal(d.surface.radius, radius);
    assert.equal(d.surface.values.length, side * side);
    const centre = d.surface.values[radius * side + radius];
    assert.ok(
      Math.abs(centre - Math.sign(centre) * Math.sqrt(Math.abs(d.pce))) < 1e-3 * (1 + Math.abs(centre)),
    );
    // Away from the centre, values in σ units: about N(0, 1), the match's peak far above them.
    const rest = Array.from(d.surface.values).filter((_, i) => i !== radius * side + radius);
    const rms = Math.sqrt(rest.reduce((a, v) => a + v * v, 0) / rest.length);
    assert.ok(rms > 0.5 && rms < 1.6, `rms ${rms}`);
    if (match) assert.ok(centre > 5 * Math.max(...rest.map(Math.abs)), `centre ${centre}`);
  }
});
