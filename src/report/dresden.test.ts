/**
 * A report on real photos (../shared/data/dresden-nikon: four Nikon units, D70 and D70s, 3008×2000):
 * each unit's fingerprint from a few of its flat-field shots, a case whose questioned photos are
 * natural shots of three units, rendered to HTML and PDF. Each photo must match its own unit and no
 * other. Few flat-fields per unit keep the test short (the PCE against the own unit is lower than
 * with all ten, still far above the threshold for these photos).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { addFiles, createCase } from '../cases/index.js';
import { closePool } from '../pool/index.js';
import { buildFingerprint, saveFingerprint } from '../services/index.js';
import { openStore } from '../store/index.js';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';
import { pdfUnavailable, writeReport } from './index.js';

const NIKON = ['data', 'dresden-nikon'];
const UNITS = ['Nikon_D70_0', 'Nikon_D70_1', 'Nikon_D70s_0', 'Nikon_D70s_1'];
/** Flat-fields per unit for its fingerprint. */
const FLATS = 2;
/** The questioned photos and the unit that took each. */
const QUESTIONED: [string, string][] = [
  ['Nikon_D70_0', 'Nikon_D70_0_19445.JPG'],
  ['Nikon_D70_1', 'Nikon_D70_1_20749.JPG'],
  ['Nikon_D70s_1', 'Nikon_D70s_1_22824.JPG'],
];

let dir: string | undefined;
after(async () => {
  await closePool();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'a report on real Dresden photos names each photo’s own Nikon unit, and no other',
  { skip: skipWithoutShared(...NIKON), timeout: 600_000 },
  async (t) => {
    dir = mkdtempSync(join(tmpdir(), 'camprint-report-dresden-'));
    const store = await openStore({ dataDir: join(dir, 'store'), actor: 'tester', databaseUrl: null });
    try {
      for (const unit of UNITS) {
        const folder = sharedPath(...NIKON, 'flat', unit)!;
        const flats = readdirSync(folder)
          .sort()
          .slice(0, FLATS)
          .map((f) => join(folder, f));
        const [model, device] = [unit.replace(/_\d+$/, '').replace('_', ' '), unit.split('_').pop()];
        await saveFingerprint(store, unit, await buildFingerprint(flats), { model, device });
      }
      await createCase(store, {
        name: 'DRESDEN-1',
        title: 'Three photos, four Nikon units',
        question: 'Which of the four Nikon units took each questioned photo?',
        examiner: 'camprint test',
        cameras: UNITS,
      });
      await addFiles(
        store,
        'DRESDEN-1',
        QUESTIONED.map(([unit, name]) => sharedPath(...NIKON, 'natural', unit, name)!),
        'questioned',
      );
      const ref = sharedPath(...NIKON, 'flat', 'Nikon_D70_0')!;
      await addFiles(store, 'DRESDEN-1', [join(ref, readdirSync(ref).sort()[FLATS])], 'reference');

      const out = join(dir, 'report.html');
      const pdf = join(dir, 'report.pdf');
      const noPdf = pdfUnavailable();
      const written = await writeReport(store, 'DRESDEN-1', { out, ...(noPdf === null ? { pdf } : {}) });
      assert.equal(written.files, QUESTIONED.length + 1);
      for (const [i, [unit, name]] of QUESTIONED.entries()) {
        const r = written.results[i];
        assert.ok(r.file.endsWith(name), r.file);
        const matches = r.results.filter((x) => x.match).map((x) => x.camera);
        assert.deepEqual(
          matches,
          [unit],
          `${name}: ${JSON.stringify(r.results.map((x) => [x.camera, x.pce]))}`,
        );
        assert.equal(r.results[0].camera, unit);
        assert.ok(
          r.results.slice(1).every((x) => x.pce! < 30),
          `${name}: another unit near the threshold`,
        );
      }
      const html = readFileSync(out, 'utf8');
      for (const r of written.results) assert.ok(html.includes(r.sha256));
      assert.match(html, /<svg[\s>]/);
      if (noPdf !== null) t.diagnostic(`PDF not made: ${noPdf}`);
      else assert.equal(readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
    } finally {
      await store.close();
    }
  },
);
