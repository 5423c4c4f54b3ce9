/** Image input: every supported format and depth decodes to the same pixel grid, unrotated. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, probeImage, listImages } from './index.js';
import { InputError } from '../util/errors.js';

let dir: string;
const W = 48;
const H = 32;
/** A deterministic RGB gradient with texture, 8-bit. */
const pixels = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++)
    for (let c = 0; c < 3; c++) pixels[(y * W + x) * 3 + c] = (x * 5 + y * 3 + c * 40 + ((x * y) % 7)) & 255;
const raw = { raw: { width: W, height: H, channels: 3 as const } };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-image-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('PNG, TIFF and lossless WebP at 8 bits decode to the exact pixels', async () => {
  for (const [name, make] of [
    ['a.png', (s: Sharp) => s.png()],
    ['a.tif', (s: Sharp) => s.tiff({ compression: 'lzw' })],
    ['a.webp', (s: Sharp) => s.webp({ lossless: true })],
  ] as const) {
    const file = join(dir, name);
    await make(sharp(pixels, raw)).toFile(file);
    const img = await decodeImage(file);
    assert.equal(img.bitDepth, 8, name);
    assert.deepEqual([img.width, img.height], [W, H]);
    for (let i = 0; i < pixels.length; i++) assert.equal(img.rgb[i], pixels[i], `${name} value ${i}`);
  }
});

test('16-bit PNG and TIFF decode on the 0–255 scale (value/257)', async () => {
  const deep = new Uint16Array(W * H * 3);
  for (let i = 0; i < W * H * 3; i++) deep[i] = Math.min(65535, pixels[i] * 257 + (i % 200));
  await sharp(deep, { raw: { width: W, height: H, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toFile(join(dir, 'd.png'));
  // sharp writes 8-bit TIFF only, so the 16-bit TIFF is written by hand (baseline, uncompressed).
  writeFileSync(join(dir, 'd.tif'), tiff16(deep, W, H));
  for (const name of ['d.png', 'd.tif']) {
    const file = join(dir, name);
    const img = await decodeImage(file);
    assert.equal(img.bitDepth, 16, name);
    for (let i = 0; i < W * H * 3; i++) {
      const want = Math.min(65535, pixels[i] * 257 + (i % 200)) / 257;
      assert.ok(Math.abs(img.rgb[i] - want) < 1e-3, `${name} value ${i}: ${img.rgb[i]} vs ${want}`);
    }
  }
});

/** A minimal little-endian baseline TIFF: uncompressed 16-bit RGB, one strip. */
function tiff16(data: Uint16Array, width: number, height: number): Buffer {
  const entries: [number, number, number, number][] = []; // tag, type (3 SHORT, 4 LONG), count, value
  const ifdOffset = 8;
  const nEntries = 10;
  const bpsOffset = ifdOffset + 2 + nEntries * 12 + 4;
  const dataOffset = bpsOffset + 6;
  entries.push(
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 3, bpsOffset],
    [259, 3, 1, 1],
    [262, 3, 1, 2],
  );
  entries.push(
    [273, 4, 1, dataOffset],
    [277, 3, 1, 3],
    [278, 4, 1, height],
    [279, 4, 1, data.length * 2],
    [284, 3, 1, 1],
  );
  const buf = Buffer.alloc(dataOffset + data.length * 2);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifdOffset, 4);
  buf.writeUInt16LE(nEntries, ifdOffset);
  entries.forEach(([tag, type, count, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    buf.writeUInt16LE(tag, at);
    buf.writeUInt16LE(type, at + 2);
    buf.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) buf.writeUInt16LE(value, at + 8);
    else buf.writeUInt32LE(value, at + 8);
  });
  for (let k = 0; k < 3; k++) buf.writeUInt16LE(16, bpsOffset + 2 * k);
  for (let i = 0; i < data.length; i++) buf.writeUInt16LE(data[i], dataOffset + 2 * i);
  return buf;
}

test('a grey image becomes three equal channels; JPEG decodes', async () => {
  const file = join(dir, 'g.png');
  await sharp(pixels, raw).greyscale().png().toFile(file);
  const img = await decodeImage(file);
  for (let i = 0; i < W * H; i++) {
    assert.equal(img.rgb[3 * i], img.rgb[3 * i + 1]);
    assert.equal(img.rgb[3 * i], img.rgb[3 * i + 2]);
  }
  const jpg = join(dir, 'a.jpg');
  await sharp(pixels, raw).jpeg({ quality: 95 }).toFile(jpg);
  const j = await decodeImage(jpg);
  assert.equal(j.format, 'jpeg');
  assert.equal(j.sha256.length, 64);
});

test('EXIF orientation is recorded, never applied to the pixels', async () => {
  const file = join(dir, 'portrait.jpg');
  await sharp(pixels, raw).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(file);
  const img = await decodeImage(file);
  assert.equal(img.orientation, 6);
  assert.deepEqual([img.width, img.height], [W, H], 'sensor orientation kept');
});

test('decompression-bomb guard and unsupported files are InputErrors naming the file', async () => {
  const file = join(dir, 'big.png');
  await sharp(pixels, raw).png().toFile(file);
  await assert.rejects(
    probeImage(file, undefined, { maxPixels: 1000 }),
    (e: unknown) => e instanceof InputError && /big\.png: image too large/.test(e.message),
  );
  const svg = join(dir, 'x.svg');
  writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>');
  await assert.rejects(
    decodeImage(svg),
    (e: unknown) => e instanceof InputError && /x\.svg: unsupported image format svg/.test(e.message),
  );
  assert.throws(() => listImages([join(dir, 'nope')]), /nope: no such file or directory/);
  assert.ok(listImages([dir]).every((f) => !f.endsWith('.svg')));
});
