/**
 * The evidence commands end to end (child processes): `inspect --json` in the contract's form,
 * `tables add`, bad input, and `audit verify` catching an audit log tampered with in the SQLite
 * file itself (an edited field, a deleted middle entry, two entries swapped).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CLI } from '../testing/shared.js';
import { DATABASE_FILE } from '../store/index.js';
import { testJpeg } from './test-images.js';

function camprint(
  dataDir: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CAMPRINT_DATABASE_URL: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('evidence commands', () => {
  const root = mkdtempSync(join(tmpdir(), 'camprint-evidence-cli-'));
  const data = join(root, 'store');
  const photos = [join(root, 'ref1.jpg'), join(root, 'ref2.jpg'), join(root, 'q.jpg')];
  before(async () => {
    const ref = await testJpeg({ quality: 90 });
    writeFileSync(photos[0], ref);
    // another file (another SHA-256) with the same tables
    writeFileSync(photos[1], Buffer.concat([ref, Buffer.from([0])]));
    writeFileSync(photos[2], await testJpeg({ quality: 90 }, false));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('tables add, then inspect --json prints the contract fields and compares with the library', () => {
    const add = camprint(data, '--json', 'tables', 'add', photos[0], photos[1], '--camera', 'TestCam');
    assert.equal(add.code, 0, add.stderr);
    const added = JSON.parse(add.stdout) as { sets: { images: number; quality: number }[] };
    assert.deepEqual(
      added.sets.map((s) => [s.images, s.quality]),
      [[2, 90]],
    );
    const r = camprint(data, '--json', 'inspect', photos[2]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & {
      jpeg: { quality: number; quantTables: { values: number[] }[] };
      exif: Record<string, unknown>;
      tables: { identical: string[] };
      defects: unknown[];
    };
    for (const k of ['file', 'sha256', 'exif', 'jpeg', 'defects']) assert.ok(k in doc, k);
    assert.equal(doc.file, photos[2]);
    assert.match(String(doc.sha256), /^[0-9a-f]{64}$/);
    assert.equal(doc.jpeg.quality, 90);
    assert.equal(doc.jpeg.quantTables.length, 2);
    assert.equal(doc.jpeg.quantTables[0].values.length, 64);
    assert.equal(doc.exif.present, false);
    assert.deepEqual(doc.tables.identical, ['TestCam']);
    assert.deepEqual(doc.defects, []);
    // the intake is in the audit log
    const list = JSON.parse(camprint(data, '--json', 'audit', 'list').stdout) as {
      entries: { action: string; subject: string }[];
    };
    assert.deepEqual(
      list.entries.map((e) => e.action),
      ['jpeg-tables.put', 'image.inspect'],
    );
    assert.equal(list.entries[1].subject, `image:${String(doc.sha256)}`);
  });

  it('bad input: exit 2 with one line naming the file, nothing written', () => {
    const junk = join(root, 'junk.jpg');
    writeFileSync(junk, 'this is not an image');
    for (const args of [
      ['inspect', junk],
      ['inspect', join(root, 'missing.jpg')],
      ['tables', 'add', photos[0], junk, '--camera', 'X'],
      ['defects', 'match', photos[0], '--camera', 'nobody'],
    ]) {
      const r = camprint(data, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const tables = JSON.parse(camprint(data, '--json', 'tables', 'list').stdout) as { tables: unknown[] };
    assert.equal(tables.tables.length, 1, 'the failed `tables add` wrote nothing');
  });

  it('audit verify: exit 0 when intact; exit 2 naming the entry when edited, cut or reordered', () => {
    for (let i = 0; i < 3; i++) assert.equal(camprint(data, 'inspect', photos[i % 3]).code, 0);
    const ok = camprint(data, '--json', 'audit', 'verify');
    assert.equal(ok.code, 0, ok.stderr);
    const intact = JSON.parse(ok.stdout) as { ok: boolean; entries: number };
    assert.equal(intact.ok, true);
    assert.equal(intact.entries, 5);

    const tampers: [string, string[], RegExp][] = [
      ['edit a field', ["UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"], /entry 3 was altered/],
      ['delete a middle entry', ['DELETE FROM audit_log WHERE seq = 3'], /entry 3 is missing/],
      [
        'swap two entries',
        [
          'UPDATE audit_log SET seq = 1000 WHERE seq = 2',
          'UPDATE audit_log SET seq = 2 WHERE seq = 3',
          'UPDATE audit_log SET seq = 3 WHERE seq = 1000',
        ],
        /entry 2 does not link to entry 1/,
      ],
    ];
    for (const [what, statements, reason] of tampers) {
      const copy = join(root, `tampered-${what.replace(/ /g, '-')}`);
      cpSync(data, copy, { recursive: true });
      const db = new Database(join(copy, DATABASE_FILE));
      db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;'); // as an attacker would
      for (const s of statements) db.prepare(s).run();
      db.close();
      const r = camprint(copy, '--json', 'audit', 'verify');
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      const v = JSON.parse(r.stdout) as { ok: boolean; firstBadSeq: number; reason: string };
      assert.equal(v.ok, false, what);
      assert.match(v.reason, reason, what);
      assert.match(r.stderr, /audit log broken at entry \d+/, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, what);
      console.log(`${what}: exit ${r.code}, ${r.stderr.trim()}`);
    }
    assert.equal(camprint(data, 'audit', 'verify').code, 0, 'the original is untouched');
  });
});
