/** .npy I/O: float16 conversion (round to nearest even, as numpy), int16/int32, streamed writing. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeNpy,
  float32ToHalfs,
  floatToHalf,
  halfsToFloat32,
  halfToFloat,
  NpyRowWriter,
  npyToFloat32,
  readNpy,
  writeNpy,
  writeNpyFloat32,
} from './npy.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-npy-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('every half float survives float → half → float exactly', () => {
  for (let h = 0; h < 65536; h++) {
    const v = halfToFloat(h);
    if (Number.isNaN(v)) assert.ok(Number.isNaN(halfToFloat(floatToHalf(v))), `NaN ${h}`);
    else assert.equal(floatToHalf(v), h, `half 0x${h.toString(16)}`);
  }
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const f = halfsToFloat32(all);
  for (let h = 0; h < 65536; h++)
    assert.ok(Object.is(f[h], Math.fround(halfToFloat(h))) || Number.isNaN(f[h]));
});

test('float → half rounds to nearest, ties to even, and saturates to Infinity', () => {
  const cases: [number, number][] = [
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1+2^-10: to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+2^-10 and 1+2^-9: to even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway: up
    [65504, 0x7bff], // the largest half
    [65519, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest: Infinity
    [1e9, 0x7c00],
    [-1e9, 0xfc00],
    [2 ** -24, 0x0001], // the smallest subnormal
    [2 ** -25, 0x0000], // halfway to it: to even (0)
    [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal steps: to even
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up to the smallest normal
    [-0, 0x8000],
    [-2.5, 0xc100],
    [Infinity, 0x7c00],
  ];
  for (const [v, h] of cases) assert.equal(floatToHalf(v), h, `${v}`);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
  // Random values (float32, within the half range) land on the nearer of their two neighbours.
  let seed = 12345;
  for (let i = 0; i < 20000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const v = Math.fround((seed / 2 ** 32 - 0.5) * 2 ** ((i % 36) - 20));
    const h = floatToHalf(v);
    const sign = h & 0x8000;
    const mag = h & 0x7fff;
    const got = halfToFloat(h);
    const next = halfToFloat(sign | (mag + 1));
    const prev = mag > 0 ? halfToFloat(sign | (mag - 1)) : got;
    assert.ok(Math.abs(got - v) <= Math.abs(next - v) && Math.abs(got - v) <= Math.abs(prev - v), `${v}`);
  }
});

test('float16, int16 and int32 arrays write and read back (shape, dtype, values)', async () => {
  const x = float32ToHalfs(Float32Array.from([0, 1.5, -2.25, 1000, 3.14159, -0.001]));
  const y = Int16Array.from([0, 1, -2, 32767, -32768, 7]);
  const s = Int32Array.from([0, 1, -2, 2147483647, -2147483648, 9]);
  await writeNpy(join(dir, 'x.npy'), { dtype: '<f2', shape: [2, 3], data: x });
  await writeNpy(join(dir, 'y.npy'), { dtype: '<i2', shape: [6], data: y });
  await writeNpy(join(dir, 's.npy'), { dtype: '<i4', shape: [6], data: s });
  const xr = readNpy(join(dir, 'x.npy'));
  assert.equal(xr.dtype, '<f2');
  assert.deepEqual(xr.shape, [2, 3]);
  assert.deepEqual([...(xr.data as Uint16Array)], [...x]);
  assert.deepEqual([...npyToFloat32(xr)], [0, 1.5, -2.25, 1000, 3.140625, halfToFloat(floatToHalf(-0.001))]);
  const yr = readNpy(join(dir, 'y.npy'));
  assert.equal(yr.dtype, '<i2');
  assert.ok(yr.data instanceof Int16Array);
  assert.deepEqual([...yr.data], [...y]);
  const sr = readNpy(join(dir, 's.npy'));
  assert.equal(sr.dtype, '<i4');
  assert.ok(sr.data instanceof Int32Array);
  assert.deepEqual([...sr.data], [...s]);
  assert.match(
    readFileSync(join(dir, 'y.npy')).subarray(10, 70).toString('latin1'),
    /'descr': '<i2'.*'shape': \(6,\)/,
  );
  await assert.rejects(writeNpy(join(dir, 'bad.npy'), { dtype: '<i4', shape: [3], data: y }), RangeError);
});

test('float32 .npy files are as before', async () => {
  await writeNpyFloat32(join(dir, 'f.npy'), Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const bytes = readFileSync(join(dir, 'f.npy'));
  assert.equal(bytes.length, 128 + 24);
  const a = decodeNpy(bytes);
  assert.equal(a.dtype, '<f4');
  assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
});

test('NpyRowWriter streams rows behind a header fixed at close; discard leaves nothing', () => {
  const path = join(dir, 'rows.npy');
  const w = new NpyRowWriter(path, '<f2', [2, 2], 100);
  w.append(float32ToHalfs(Float32Array.from([1, 2, 3, 4])));
  assert.equal(existsSync(path), false, 'not in place before close');
  w.append(float32ToHalfs(Float32Array.from([5, 6, 7, 8, 9, 10, 11, 12])));
  assert.throws(() => w.append(new Uint16Array(3)), RangeError);
  w.close();
  const a = readNpy(path);
  assert.deepEqual(a.shape, [3, 2, 2]);
  assert.deepEqual([...npyToFloat32(a)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const d = new NpyRowWriter(join(dir, 'gone.npy'), '<i2', [1], 10);
  d.append(Int16Array.from([1, 2]));
  d.discard();
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('gone')),
    [],
  );
});
