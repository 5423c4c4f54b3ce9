/** End-to-end tests of `simulate`: files, manifest, determinism, JPEG settings, PRNU, defects, errors. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeImage } from '../image/index.js';
import { InputError, UsageError } from '../util/errors.js';
import {
  devicePrnu,
  MANIFEST_FILE,
  parseSize,
  simulate,
  type SimulateOptions,
  type SimulationManifest,
} from './index.js';
import { correlation } from '../testing/numeric.js';

const root = mkdtempSync(join(tmpdir(), 'camprint-sim-'));
after(() => rmSync(root, { recursive: true, force: true }));

const W = 128;
const H = 96;
const base: SimulateOptions = {
  dir: join(root, 'a'),
  models: 2,
  devices: 2,
  images: 2,
  flat: 6,
  width: W,
  height: H,
  seed: 5,
  hotPixels: 3,
  // Strong PRNU (K std 0.01–0.02) so that 6 small flat-fields show it clearly; the default is
  // the realistic 0.3.
  prnuScale: 1,
};

/** All files under a folder, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];
/** JPEG Annex K luminance table, natural order. */
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** The JPEG's luminance quantisation table (DQT id 0, zig-zag order) and its components' sampling factors (SOF). */
function jpegHeader(file: string): { luma: number[]; sampling: string } {
  const b = readFileSync(file);
  assert.equal(b.readUInt16BE(0), 0xffd8, 'SOI');
  let i = 2;
  let luma: number[] = [];
  let sampling = '';
  while (i + 4 <= b.length) {
    const marker = b.readUInt16BE(i);
    const len = b.readUInt16BE(i + 2);
    if (marker === 0xffdb) {
      for (let j = i + 4; j < i + 2 + len;) {
        const precision = b[j] >> 4;
        const id = b[j] & 15;
        const table = Array.from({ length: 64 }, (_, k) =>
          precision ? b.readUInt16BE(j + 1 + 2 * k) : b[j + 1 + k],
        );
        if (id === 0) luma = table;
        j += 1 + 64 * (precision ? 2 : 1);
      }
    } else if (marker === 0xffc0 || marker === 0xffc1 || marker === 0xffc2) {
      const comps = b[i + 9];
      const f: string[] = [];
      for (let c = 0; c < comps; c++) f.push(`${b[i + 11 + 3 * c] >> 4}x${b[i + 11 + 3 * c] & 15}`);
      sampling = f.join(',');
    } else if (marker === 0xffda) break;
    i += 2 + len;
  }
  return { luma, sampling };
}

/** The IJG quality (1–100) whose scaled Annex K table equals this luminance table, or −1. */
function ijgQuality(luma: number[]): number {
  for (let q = 1; q <= 100; q++) {
    const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
    const ok = ZIGZAG.every(
      (nat, k) => Math.min(255, Math.max(1, Math.floor((LUMA_Q[nat] * scale + 50) / 100))) === luma[k],
    );
    if (ok) return q;
  }
  return -1;
}

async function grey(file: string): Promise<Float32Array> {
  const img = await decodeImage(file);
  const g = new Float32Array(img.width * img.height);
  for (let i = 0; i < g.length; i++) g[i] = (img.rgb[3 * i] + img.rgb[3 * i + 1] + img.rgb[3 * i + 2]) / 3;
  return g;
}

/** x − its 3×3 mean (0 on the border). */
function highPass(x: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let c = 1; c < w - 1; c++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += x[(y + dy) * w + c + dx];
      out[y * w + c] = x[y * w + c] - s / 9;
    }
  }
  return out;
}

describe('sim/simulate', () => {
  let result: Awaited<ReturnType<typeof simulate>>;
  let manifest: SimulationManifest;
  const progress: [number, number][] = [];

  before(async () => {
    result = await simulate(base, (done, total) => progress.push([done, total]));
    manifest = JSON.parse(readFileSync(join(base.dir, MANIFEST_FILE), 'utf8')) as SimulationManifest;
  });

  it('writes <model>_<device>/{flat,natural}/*.jpg and cameras.json', () => {
    const expected: string[] = [MANIFEST_FILE];
    for (const m of ['SimCam01', 'SimCam02']) {
      for (const d of [0, 1]) {
        const cam = `${m}_${d}`;
        for (let i = 0; i < 6; i++) expected.push(`${cam}/flat/${cam}_flat_00${i}.jpg`);
        for (let i = 0; i < 2; i++) expected.push(`${cam}/natural/${cam}_nat_00${i}.jpg`);
      }
    }
    assert.deepEqual(listFiles(base.dir), expected.sort());
    assert.equal(result.dir, base.dir);
    assert.deepEqual(
      result.cameras.map((c) => [c.camera, c.model, c.device]),
      [
        ['SimCam01_0', 'SimCam01', 0],
        ['SimCam01_1', 'SimCam01', 1],
        ['SimCam02_0', 'SimCam02', 0],
        ['SimCam02_1', 'SimCam02', 1],
      ],
    );
    for (const c of result.cameras) {
      assert.equal(c.flat.length, 6);
      assert.equal(c.natural.length, 2);
      for (const f of [...c.flat, ...c.natural]) assert.ok(existsSync(f), f);
    }
    assert.deepEqual(progress[0], [0, 32]);
    assert.deepEqual(progress.at(-1), [32, 32]);
    assert.equal(progress.length, 33);
  });

  it('cameras.json records the options, every model and every device', () => {
    assert.equal(manifest.format, 'camprint-sim/1');
    assert.deepEqual(manifest.options, {
      models: 2,
      devices: 2,
      images: 2,
      flat: 6,
      width: W,
      height: H,
      seed: 5,
      jpegQuality: null,
      hotPixels: 3,
      prnuScale: 1,
    });
    assert.deepEqual(
      manifest.models.map((m) => m.model),
      ['SimCam01', 'SimCam02'],
    );
    for (const m of manifest.models) {
      assert.match(m.cfa, /^(RGGB|BGGR|GRBG|GBRG)$/);
      assert.match(m.demosaic, /^(bilinear|malvar|hamilton-adams)$/);
      assert.ok(m.tone.gamma > 1 && m.sharpen.sigma > 0 && m.sharpen.amount > 0);
      assert.ok(m.jpeg.quality >= 75 && m.jpeg.quality <= 97);
      assert.match(m.jpeg.chromaSubsampling, /^4:(2:0|4:4)$/);
    }
    assert.notEqual(manifest.models[0].cfa, manifest.models[1].cfa);
    assert.notEqual(manifest.models[0].demosaic, manifest.models[1].demosaic);
    for (const c of manifest.cameras) {
      assert.equal(typeof c.seed, 'number');
      assert.equal(c.defects.length, 3);
      for (const d of c.defects) assert.ok(d.x >= 0 && d.x < W && d.y >= 0 && d.y < H);
      assert.deepEqual(
        c.flat,
        [0, 1, 2, 3, 4, 5].map((i) => `${c.camera}/flat/${c.camera}_flat_00${i}.jpg`),
      );
    }
    assert.equal(new Set(manifest.cameras.map((c) => c.seed)).size, 4);
  });

  it('flat-fields are bright, unsaturated and vignetted', async () => {
    for (const c of result.cameras) {
      const g = await grey(c.flat[0]);
      let mean = 0;
      let clipped = 0;
      for (const v of g) {
        mean += v;
        if (v >= 254.5) clipped++;
      }
      mean /= g.length;
      assert.ok(mean > 0.6 * 255 && mean < 0.8 * 255, `${c.camera} mean ${mean}`);
      assert.ok(clipped <= 12, `${c.camera}: ${clipped} clipped pixels`); // only around defects
      const at = (x0: number, y0: number): number => {
        let s = 0;
        for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) s += g[y * W + x];
        return s / 64;
      };
      assert.ok(at(W / 2 - 4, H / 2 - 4) > at(0, 0) + 3, 'corners darker than the centre');
    }
  });

  it('devices of one model share every model parameter and JPEG table; models differ', () => {
    const byName = new Map(manifest.models.map((m) => [m.model, m]));
    const headers = result.cameras.map((c) => jpegHeader(c.natural[0]));
    for (const [k, c] of result.cameras.entries()) {
      const model = byName.get(c.model)!;
      assert.equal(ijgQuality(headers[k].luma), model.jpeg.quality, `${c.camera} quality`);
      assert.equal(
        headers[k].sampling,
        model.jpeg.chromaSubsampling === '4:2:0' ? '2x2,1x1,1x1' : '1x1,1x1,1x1',
      );
    }
    assert.deepEqual(headers[0], headers[1]);
    assert.deepEqual(headers[2], headers[3]);
    assert.ok(readFileSync(result.cameras[2].natural[0]).includes('SimCam02'), 'EXIF Model');
    assert.notEqual(manifest.models[0].jpeg.quality, manifest.models[1].jpeg.quality);
    // device records differ only in identity, seed, PRNU and defects
    const strip = (c: SimulationManifest['cameras'][number]): unknown => ({
      ...c,
      camera: 0,
      device: 0,
      seed: 0,
      prnuStd: 0,
      defects: 0,
      flat: 0,
      natural: 0,
    });
    assert.deepEqual(strip(manifest.cameras[0]), strip(manifest.cameras[1]));
  });

  it('the PRNU is in the images: averaged flat-field noise correlates with its own device only', async () => {
    const ks = manifest.cameras.map((c) => highPass(devicePrnu(c, W, H), W, H));
    for (const [k, c] of result.cameras.entries()) {
      const avg = new Float32Array(W * H);
      for (const f of c.flat) {
        const hp = highPass(await grey(f), W, H);
        for (let i = 0; i < avg.length; i++) avg[i] += hp[i];
      }
      // defective pixels are outliers (spread by demosaicing, sharpening and JPEG blocks) that
      // would dominate the correlation: leave their surroundings out
      const keep = Array.from({ length: W * H }, (_, i) => i).filter((i) =>
        manifest.cameras[k].defects.every(
          (d) => Math.abs((i % W) - d.x) > 8 || Math.abs(Math.floor(i / W) - d.y) > 8,
        ),
      );
      const pick = (a: Float32Array): Float32Array => Float32Array.from(keep, (i) => a[i]);
      const rho = ks.map((kk) => correlation(pick(avg), pick(kk)));
      // 128×96 pixels: an unrelated pattern correlates at ±0.009 (one standard deviation)
      const others = rho.filter((_, j) => j !== k).map(Math.abs);
      assert.ok(rho[k] > 0.08, `${c.camera}: own ${rho[k]}`);
      assert.ok(Math.max(...others) < 0.045, `${c.camera}: others ${others}`);
      assert.ok(rho[k] > 3 * Math.max(...others), `${c.camera}: own ${rho[k]}, others ${others}`);
    }
  });

  it('defective pixels show in the flat-fields where cameras.json says', async () => {
    for (const [k, c] of manifest.cameras.entries()) {
      const sum = new Float32Array(W * H * 3);
      for (const f of result.cameras[k].flat) {
        const img = await decodeImage(f);
        for (let i = 0; i < sum.length; i++) sum[i] += img.rgb[i];
      }
      // per channel: each pixel against the ring of pixels 3 away (demosaicing spreads a defect)
      const contrast = (x: number, y: number, ch: number): number => {
        const at = (xx: number, yy: number): number => sum[3 * (yy * W + xx) + ch] / c.flat.length;
        let ring = 0;
        for (let t = -3; t <= 3; t++)
          ring += at(x + t, y - 3) + at(x + t, y + 3) + at(x - 3, y + t) + at(x + 3, y + t);
        return at(x, y) - ring / 28;
      };
      // the spread of that contrast away from the defects
      const spread = [0, 1, 2].map((ch) => {
        let s2 = 0;
        let n = 0;
        for (let y = 3; y < H - 3; y++) {
          for (let x = 3; x < W - 3; x++) {
            if (c.defects.some((d) => Math.abs(x - d.x) <= 8 && Math.abs(y - d.y) <= 8)) continue;
            s2 += contrast(x, y, ch) ** 2;
            n++;
          }
        }
        return Math.sqrt(s2 / n);
      });
      for (const d of c.defects) {
        // the colour matrix and chroma subsampling can make a red or blue defect faint or change its
        // sign in some channels; it still stands far out of the noise in one of them
        const z = [0, 1, 2].map((ch) => contrast(d.x, d.y, ch) / spread[ch]);
        const where = `${c.camera} ${d.kind} (${d.x},${d.y}) level ${d.level}: z ${z.map((v) => v.toFixed(1))}`;
        assert.ok(Math.max(...z.map(Math.abs)) > 6, where);
        if (d.kind === 'dead') assert.ok(Math.min(...z) < -6, where);
      }
    }
  });

  it('is deterministic: the same options give byte-identical files, threaded or not', async () => {
    const again = { ...base, dir: join(root, 'b'), threads: 0 };
    await simulate(again);
    const files = listFiles(base.dir);
    assert.deepEqual(listFiles(again.dir), files);
    for (const f of files)
      assert.ok(readFileSync(join(base.dir, f)).equals(readFileSync(join(again.dir, f))), f);
  });

  it('another seed gives other images', async () => {
    const other = { ...base, dir: join(root, 'c'), seed: 6 };
    await simulate(other);
    for (const f of listFiles(base.dir).filter((p) => p.endsWith('.jpg'))) {
      assert.ok(!readFileSync(join(base.dir, f)).equals(readFileSync(join(other.dir, f))), f);
    }
  });

  it('--jpeg-quality gives every model the same quality and subsampling', async () => {
    const r = await simulate({
      ...base,
      dir: join(root, 'd'),
      images: 1,
      flat: 0,
      devices: 1,
      models: 3,
      jpegQuality: 88,
    });
    const headers = r.cameras.map((c) => jpegHeader(c.natural[0]));
    for (const [k, h] of headers.entries()) {
      assert.equal(ijgQuality(h.luma), 88);
      assert.deepEqual(h, headers[0]);
      assert.ok(!readFileSync(r.cameras[k].natural[0]).includes('SimCam'), 'no EXIF model name');
    }
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const run = simulate({ ...base, dir: join(root, 'e'), signal: ac.signal }, (done) => {
      if (done === 2) ac.abort();
    });
    await assert.rejects(run, { name: 'AbortError' });
    assert.ok(!existsSync(join(root, 'e', MANIFEST_FILE)));
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(simulate({ ...base, dir: join(root, 'f'), signal: pre.signal }), {
      name: 'AbortError',
    });
  });

  it('rejects bad options with the parameter, what was expected and what came', async () => {
    await assert.rejects(simulate({ ...base, models: -1 }), {
      name: 'UsageError',
      message: 'Expected positive integer for models but received -1 of type number',
    });
    await assert.rejects(simulate({ ...base, devices: 1.5 }), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, 'Expected positive integer for devices but received 1.5 of type number');
      return true;
    });
    await assert.rejects(
      simulate({ ...base, images: -2 }),
      /Expected non-negative integer for images but received -2/,
    );
    await assert.rejects(
      simulate({ ...base, width: 8 }),
      /Expected integer of at least 16 for width but received 8/,
    );
    await assert.rejects(
      simulate({ ...base, jpegQuality: 101 }),
      /Expected positive integer of at most 100 for jpegQuality/,
    );
    await assert.rejects(
      simulate({ ...base, seed: 'x' as unknown as number }),
      /for seed but received x of type string/,
    );
    await assert.rejects(simulate({ ...base, dir: '' }), /Expected non-empty string for dir/);
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    await assert.rejects(
      simulate({ ...base, dir: file }),
      (err: Error) => err instanceof InputError && /not a folder/.test(err.message),
    );
    assert.deepEqual(parseSize('1024x768'), { width: 1024, height: 768 });
    assert.throws(
      () => parseSize('1024*768'),
      /Expected size WxH \(for example 1024x768\) for size but received 1024\*768/,
    );
    assert.throws(() => parseSize('8x8'), UsageError);
  });
});
