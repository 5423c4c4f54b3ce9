/** The JPEG marker parser, quality estimate, EXIF, signs and `inspect` on encoded and real files. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';
import {
  compareTables,
  ijgTable,
  inspectImage,
  parseJpeg,
  readExif,
  STD_LUMINANCE_QUANT,
  tableSignature,
  ZIGZAG,
} from './index.js';
import type { JpegTablesRecord } from '../store/index.js';
import { testJpeg } from './test-images.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('JPEG marker parser', () => {
  it('recovers the IJG quality exactly from libjpeg-encoded files, 10 to 100', async () => {
    for (const q of [10, 25, 50, 75, 85, 90, 95, 100]) {
      const j = parseJpeg(await testJpeg({ quality: q }));
      assert.deepEqual(j.warnings, [], `q ${q}`);
      assert.equal(j.quality?.quality, q);
      assert.equal(j.quality?.exact, true);
      assert.deepEqual(j.quantTables[0].values, ijgTable(STD_LUMINANCE_QUANT, q));
    }
  });

  it('reads the markers in order, the subsampling and whether Huffman tables are standard', async () => {
    const plain = parseJpeg(
      await testJpeg({ quality: 90, optimiseCoding: false, chromaSubsampling: '4:4:4' }),
    );
    assert.deepEqual(plain.markers.slice(0, 2), ['SOI', 'APP1']);
    assert.ok(plain.markers.indexOf('DQT') < plain.markers.indexOf('SOF0'));
    assert.ok(plain.markers.indexOf('SOF0') < plain.markers.indexOf('SOS'));
    assert.equal(plain.markers.at(-1), 'EOI');
    assert.equal(plain.subsampling, '4:4:4');
    assert.equal(plain.huffman, 'standard');
    assert.deepEqual(
      plain.huffmanTables.map((t) => t.standard),
      ['dcLuminance', 'acLuminance', 'dcChrominance', 'acChrominance'],
    );
    assert.equal(plain.frame?.process, 'baseline');
    const opt = parseJpeg(await testJpeg({ quality: 90, optimiseCoding: true, chromaSubsampling: '4:2:0' }));
    assert.equal(opt.subsampling, '4:2:0');
    assert.equal(opt.huffman, 'optimised');
    const prog = parseJpeg(await testJpeg({ quality: 90, progressive: true }));
    assert.equal(prog.frame?.process, 'progressive');
    assert.ok(prog.markers.filter((m) => m === 'SOS').length > 1);
  });

  it('stores tables in natural order (zig-zag undone)', async () => {
    const b = await testJpeg({ quality: 50 });
    const j = parseJpeg(b);
    const at = b.indexOf(Buffer.from([0xff, 0xdb]));
    const zz = b.subarray(at + 5, at + 5 + 64); // after marker, length, Pq/Tq
    for (let k = 0; k < 64; k++) assert.equal(j.quantTables[0].values[ZIGZAG[k]], zz[k]);
    assert.deepEqual(j.quantTables[0].values.slice(0, 8), STD_LUMINANCE_QUANT.slice(0, 8));
  });

  it('reports truncation and appended data as warnings, not exceptions', async () => {
    const b = await testJpeg({ quality: 80 });
    const cut = parseJpeg(b.subarray(0, Math.floor(b.length / 2)));
    assert.ok(cut.warnings.some((w) => /EOI/.test(w)));
    assert.equal(cut.quality?.quality, 80, 'the tables before the cut are still read');
    const tail = parseJpeg(Buffer.concat([b, Buffer.from('hidden payload')]));
    assert.equal(tail.trailingBytes, 14);
    assert.ok(!parseJpeg(Buffer.from('not a jpeg')).markers.length);
  });
});

describe('EXIF and inspect', () => {
  it('reads make, model, software and dates, and tells an image without EXIF', async () => {
    const e = await readExif(await testJpeg());
    assert.equal(e.present, true);
    assert.equal(e.make, 'TestMake');
    assert.equal(e.model, 'TestCam 1');
    assert.equal(e.software, 'firmware 1.0');
    assert.equal(e.dateTimeOriginal, '2024:05:01 10:00:00');
    assert.equal(e.gps.present, false);
    const none = await readExif(await testJpeg({}, false));
    assert.equal(none.present, false);
    assert.equal(none.model, null);
  });

  it('inspects a PNG (no JPEG structure) and a JPEG without EXIF, naming the signs', async () => {
    const png = await sharp(await testJpeg())
      .png()
      .toBuffer();
    const p = await inspectImage('x.png', png, sha(png));
    assert.equal(p.format, 'png');
    assert.equal(p.jpeg.isJpeg, false);
    assert.equal(p.jpeg.quality, null);
    assert.deepEqual(p.jpeg.quantTables, []);
    assert.ok(p.signs.some((s) => s.sign === 'not-jpeg'));
    const bare = await testJpeg({ quality: 75 }, false);
    const r = await inspectImage('bare.jpg', bare, sha(bare));
    assert.equal(r.sha256, sha(bare));
    assert.equal(r.jpeg.quality, 75);
    assert.ok(r.signs.some((s) => s.sign === 'no-exif'));
    assert.ok(r.signs.some((s) => s.sign === 'ijg-tables'));
  });
});

const DRESDEN = ['data', 'dresden-nikon'];

describe('Dresden Nikon photos (real camera files)', { skip: skipWithoutShared(...DRESDEN) }, () => {
  const root = sharedPath(...DRESDEN) ?? '';
  const files = (): { file: string; unit: string; kind: string }[] =>
    ['flat', 'natural'].flatMap((kind) =>
      readdirSync(join(root, kind))
        .sort()
        .flatMap((unit) =>
          readdirSync(join(root, kind, unit))
            .sort()
            .map((f) => ({ file: join(root, kind, unit, f), unit, kind })),
        ),
    );

  /** Estimated quality of each natural photo, checked against its tables by hand (see docs/evidence.md). */
  const NATURAL_QUALITY: Record<string, number> = {
    'Nikon_D70_0_19445.JPG': 80,
    'Nikon_D70_0_19593.JPG': 70,
    'Nikon_D70_1_20543.JPG': 70,
    'Nikon_D70_1_20585.JPG': 81,
    'Nikon_D70_1_20749.JPG': 90,
    'Nikon_D70_1_20891.JPG': 27,
    'Nikon_D70s_0_21853.JPG': 89,
    'Nikon_D70s_0_21989.JPG': 59,
    'Nikon_D70s_0_22115.JPG': 88,
    'Nikon_D70s_1_22750.JPG': 89,
    'Nikon_D70s_1_22760.JPG': 91,
    'Nikon_D70s_1_22824.JPG': 87,
    'Nikon_D70s_1_22928.JPG': 90,
    'Nikon_D70s_1_23136.JPG': 70,
  };

  it('reads the EXIF model names and the JPEG structure and quality of every photo', async () => {
    const all = files();
    assert.equal(all.length, 54);
    for (const { file, unit, kind } of all) {
      const bytes = readFileSync(file);
      const r = await inspectImage(file, bytes, sha(bytes));
      const model = unit.startsWith('Nikon_D70s') ? 'NIKON D70s' : 'NIKON D70';
      assert.equal(r.exif.make, 'NIKON CORPORATION', file);
      assert.equal(r.exif.model, model, file);
      assert.match(r.exif.dateTimeOriginal ?? '', /^2009:01:\d\d \d\d:\d\d:\d\d$/, file);
      assert.deepEqual(r.warnings, [], file);
      assert.deepEqual(r.jpeg.markers, ['SOI', 'APP1', 'DQT', 'SOF0', 'DHT', 'SOS', 'EOI'], file);
      assert.equal(r.jpeg.subsampling, '4:2:2', file);
      assert.equal(r.jpeg.huffman, 'standard', file);
      assert.equal(r.jpeg.thumbnail.source, 'exif', file);
      assert.deepEqual([r.width, r.height], [3008, 2000], file);
      // Nikon's tables are its own (libjpeg's with another DC step): the nearest IJG quality.
      assert.equal(r.jpeg.qualityEstimate?.exact, false, file);
      const name = file.split('/').at(-1) ?? '';
      const expected = kind === 'flat' ? 93 : NATURAL_QUALITY[name];
      assert.equal(r.jpeg.quality, expected, file);
    }
  });

  it('groups D70 and D70s photos by their quantisation tables exactly as the files hold them', () => {
    // The oracle: the DQT segments' raw bytes, read without the parser.
    const rawDqt = (b: Buffer): string => {
      const parts: string[] = [];
      let at = 2;
      while (at + 4 <= b.length && b[at] === 0xff && b[at + 1] !== 0xda) {
        const len = b.readUInt16BE(at + 2);
        if (b[at + 1] === 0xdb) parts.push(b.subarray(at + 4, at + 2 + len).toString('hex'));
        at += 2 + len;
      }
      return parts.join('|');
    };
    const byParser = new Map<string, string[]>();
    const byBytes = new Map<string, string[]>();
    const models = new Map<string, Set<string>>();
    for (const { file, unit } of files()) {
      const b = readFileSync(file);
      const sig = JSON.stringify(tableSignature(parseJpeg(b))?.quant);
      byParser.set(sig, [...(byParser.get(sig) ?? []), file]);
      const raw = rawDqt(b);
      byBytes.set(raw, [...(byBytes.get(raw) ?? []), file]);
      models.set(sig, (models.get(sig) ?? new Set()).add(unit.replace(/_\d$/, '')));
    }
    const partition = (m: Map<string, string[]>): string[] => [...m.values()].map((g) => g.join(',')).sort();
    assert.deepEqual(partition(byParser), partition(byBytes));
    // What the files say: every flat-field of all four units shares one set of tables (the two
    // models' firmware writes the same ones), and natural photos get scene-adapted tables.
    const groups = [...byParser.values()].sort((a, b) => b.length - a.length);
    assert.equal(groups[0].length, 40);
    assert.ok(groups[0].every((f) => f.includes('/flat/')));
    const biggest = [...models.entries()].find(([sig]) => byParser.get(sig) === groups[0]);
    assert.deepEqual([...(biggest?.[1] ?? [])].sort(), ['Nikon_D70', 'Nikon_D70s']);
    assert.equal(byParser.size, 13); // 1 flat-field set + 12 sets over the 14 natural photos
  });

  it('a library of D70 flat-fields finds the D70s flat-fields identical: tables tell firmware, not units', () => {
    const d70 = readFileSync(
      join(root, 'flat', 'Nikon_D70_0', readdirSync(join(root, 'flat', 'Nikon_D70_0'))[0]),
    );
    const sig = tableSignature(parseJpeg(d70));
    assert.ok(sig);
    const library: JpegTablesRecord[] = [
      {
        camera: 'D70_0',
        tablesSha256: 'a'.repeat(64),
        quality: 93,
        tables: sig,
        images: 1,
        createdAt: '',
        updatedAt: '',
      },
    ];
    const dir = join(root, 'flat', 'Nikon_D70s_1');
    const other = parseJpeg(readFileSync(join(dir, readdirSync(dir)[0])));
    const photo = tableSignature(other);
    assert.ok(photo);
    assert.equal(compareTables(photo, other.quality?.quality ?? null, library)[0].verdict, 'identical');
    const natural = join(root, 'natural', 'Nikon_D70s_0', 'Nikon_D70s_0_21989.JPG');
    const n = parseJpeg(readFileSync(natural));
    assert.equal(
      compareTables(tableSignature(n)!, n.quality?.quality ?? null, library)[0].verdict,
      'different',
    );
  });
});
