/** The network input and crop positions: channel-first inputs, even offsets, seeded, grid phases. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { channel, extractResidual, initFft, noiseExtractPlane } from '../../prnu/index.js';
import { halfsToFloat32 } from '../../util/npy.js';
import { cropOffsets, cutCrops, gridOffsets, inputOf } from './index.js';
import { storedCrops } from './input.js';

const H = 70;
const W = 90;
const rgb = new Float32Array(H * W * 3);
for (let i = 0; i < rgb.length; i++) rgb[i] = (Math.sin(i * 0.37) * 60 + ((i * 7919) % 97) + 80) % 256;

before(() => initFft());

test('inputOf: rgb and residuals are channel-first, as the PRNU kernels compute them', () => {
  const px = inputOf(rgb, H, W, 'rgb');
  assert.equal(px.channels, 3);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < H * W; i += 37) assert.equal(px.data[c * H * W + i], rgb[3 * i + c]);
  const col = inputOf(rgb, H, W, 'residual-rgb', { levels: 2, sigma: 3 });
  assert.equal(col.channels, 3);
  for (let c = 0; c < 3; c++) {
    const want = noiseExtractPlane(channel(rgb, c), H, W, 2, 3);
    assert.deepEqual(col.data.subarray(c * H * W, (c + 1) * H * W), want);
  }
  const grey = inputOf(rgb, H, W, 'residual');
  assert.equal(grey.channels, 1);
  assert.deepEqual(grey.data, extractResidual(rgb, H, W, { levels: 4, sigma: 5 }));
});

test('cropOffsets: even, inside the image, distinct, the same for the same seed', () => {
  const a = cropOffsets(H, W, 32, 40, 99);
  assert.equal(a.length, 40);
  for (const [y, x] of a) {
    assert.ok(y % 2 === 0 && x % 2 === 0 && y >= 0 && x >= 0 && y + 32 <= H && x + 32 <= W, `${y},${x}`);
  }
  assert.equal(new Set(a.map(([y, x]) => `${y},${x}`)).size, 40);
  assert.deepEqual(cropOffsets(H, W, 32, 40, 99), a);
  assert.notDeepEqual(cropOffsets(H, W, 32, 40, 100), a);
  assert.ok(new Set(a.map(([y]) => y % 8)).size > 1, 'JPEG phases vary');
  assert.deepEqual(cropOffsets(H, W, 80, 4, 1), [], 'smaller than the crop');
  // One position only (crop = the image): repeated.
  assert.deepEqual(cropOffsets(32, 32, 32, 3, 1), [
    [0, 0],
    [0, 0],
    [0, 0],
  ]);
});

test('gridOffsets: count corners, even, inside, spread edge to edge, all four even JPEG phases', () => {
  const h = 768;
  const w = 1024;
  const g = gridOffsets(h, w, 256, 16);
  assert.equal(g.length, 16);
  for (const [y, x] of g) assert.ok(y % 2 === 0 && x % 2 === 0 && y + 256 <= h && x + 256 <= w, `${y},${x}`);
  assert.equal(new Set(g.map(([y, x]) => `${y},${x}`)).size, 16);
  assert.deepEqual([...new Set(g.map(([, x]) => x % 8))].sort(), [0, 2, 4, 6]);
  assert.deepEqual([...new Set(g.map(([y]) => y % 8))].sort(), [0, 2, 4, 6]);
  const ys = g.map(([y]) => y);
  const xs = g.map(([, x]) => x);
  assert.ok(Math.min(...ys) <= 8 && Math.max(...ys) >= h - 256 - 8, 'rows span the height');
  assert.ok(Math.min(...xs) <= 8 && Math.max(...xs) >= w - 256 - 8, 'columns span the width');
  assert.equal(gridOffsets(h, w, 256, 32).length, 32);
  assert.equal(gridOffsets(h, w, 256, 5).length, 5);
  assert.deepEqual(gridOffsets(256, 256, 256, 4), [[0, 0]], 'one position only');
  assert.deepEqual(gridOffsets(100, 100, 256, 4), []);
});

test('cutCrops and storedCrops: the windows, as float16 with their moments', () => {
  const { data, channels } = inputOf(rgb, H, W, 'rgb');
  const offsets = cropOffsets(H, W, 16, 3, 5);
  const crops = cutCrops(data, channels, H, W, 16, offsets);
  assert.equal(crops.length, 3 * 3 * 16 * 16);
  offsets.forEach(([y, x], i) => {
    for (let c = 0; c < 3; c++)
      for (let r = 0; r < 16; r += 5)
        for (let k = 0; k < 16; k += 3)
          assert.equal(crops[((i * 3 + c) * 16 + r) * 16 + k], rgb[((y + r) * W + x + k) * 3 + c]);
  });
  assert.throws(() => cutCrops(data, channels, H, W, 16, [[H - 10, 0]]), RangeError);
  const s = storedCrops(data, channels, H, W, 16, offsets);
  const v = halfsToFloat32(s.x);
  assert.equal(s.n, 3 * 256);
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let i = 0; i < 3; i++) vals.push(...v.subarray((i * 3 + c) * 256, (i * 3 + c + 1) * 256));
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const m2 = vals.reduce((a, b) => a + (b - mean) ** 2, 0);
    assert.ok(Math.abs(s.mean[c] - mean) < 1e-9 && Math.abs(s.m2[c] - m2) < 1e-6 * m2);
  }
});
