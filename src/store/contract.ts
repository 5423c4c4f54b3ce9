/**
 * The Store contract as a reusable test suite: every backend runs `runStoreContract` with a
 * fixture that makes fresh, empty databases of its kind. Written against the public interface
 * (openStore + Store); only tampering and fault injection go through the fixture, in SQL that
 * each backend phrases for itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InputError } from '../util/errors.js';
import { auditHash, openStore, type OpenStoreOptions } from './index.js';
import { fingerprintInput, imageInput, matchInput, sha256Of, words } from './contract-data.js';
import type { JobRecord, Store } from './types.js';

/** One fresh, empty database of the backend under test, and raw access to it. */
export interface StoreFixture {
  /** Options that make openStore reach this database (also handed, as JSON, to child processes). */
  options: OpenStoreOptions;
  /**
   * Runs one SQL statement on a separate raw connection, bypassing the Store; `?` placeholders.
   * Returns the rows of a query, [] otherwise.
   */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Removes the append-only protection of audit_log (to tamper with it as an attacker would). */
  disableAuditGuard(): Promise<void>;
  /** Makes every INSERT into `table` fail inside the database, until clearFailure(table). */
  injectFailure(table: string): Promise<void>;
  clearFailure(table: string): Promise<void>;
  /** Deletes the database and everything the fixture made. */
  destroy(): Promise<void>;
}

/** Concurrency test size: writer processes, and fingerprints each writes. */
const WRITERS = 3;
const PER_WRITER = 20;

function bits(data: Float32Array): Uint32Array {
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

async function count(fx: StoreFixture, table: string): Promise<number> {
  const rows = await fx.raw(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

/** Everything a store holds, as seen through its interface and raw row counts. */
async function snapshot(store: Store, fx: StoreFixture): Promise<unknown> {
  const fingerprints = await store.listFingerprints();
  const full = [];
  for (const r of fingerprints) {
    const fp = await store.getFingerprint(r.camera);
    full.push({
      record: fp?.record,
      data: fp ? Buffer.from(fp.data.buffer).toString('base64') : null,
      sources: await store.listFingerprintSources(r.camera),
    });
  }
  const counts: Record<string, number> = {};
  for (const t of [
    'cameras',
    'images',
    'fingerprints',
    'fingerprint_sources',
    'matches',
    'jobs',
    'audit_log',
  ]) {
    counts[t] = await count(fx, t);
  }
  return {
    fingerprints,
    full,
    cameras: await store.listCameras(),
    matches: await store.listMatches(),
    jobs: await store.listJobs(),
    audit: await store.listAudit(),
    verify: await store.verifyAudit(),
    counts,
  };
}

/**
 * Registers the contract tests for one backend. `makeFixture` gives a fresh, empty database per
 * test; the suite opens stores on it with openStore(fixture.options).
 */
export function runStoreContract(name: string, makeFixture: () => Promise<StoreFixture>): void {
  /** Runs body with a fresh fixture and a store open on it; closes and destroys afterwards. */
  async function withStore(body: (store: Store, fx: StoreFixture) => Promise<void>): Promise<void> {
    const fx = await makeFixture();
    const store = await openStore(fx.options);
    try {
      await body(store, fx);
    } finally {
      await store.close();
      await fx.destroy();
    }
  }

  describe(`Store contract: ${name}`, () => {
    test('a fingerprint comes back bit-exact, whatever the array byteOffset', () =>
      withStore(async (store) => {
        const width = 37;
        const height = 23;
        const n = width * height;
        // The fingerprint is a view in the middle of a larger buffer full of other values.
        const backing = new Uint32Array(n + 9);
        backing.set(words(7, n + 9));
        const data = new Float32Array(backing.buffer, 5 * 4, n);
        const specials = [
          0x7fc00001, 0xffc12345, 0x7f800001, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000,
        ];
        bits(data).set(specials, 0);
        const expectedBits = Uint32Array.from(bits(data));
        const record = await store.putFingerprint({
          camera: 'Nikon_D70_0',
          model: 'Nikon_D70',
          device: '0',
          width,
          height,
          images: 25,
          quality: { meanPce: 1234.5, energy: 0.25, used: 25 },
          params: { sigma: 5, wavelet: 'db4' },
          data,
          sources: [imageInput('a'), imageInput('b')],
        });
        const le = Buffer.alloc(n * 4);
        expectedBits.forEach((w, i) => le.writeUInt32LE(w, i * 4));
        assert.equal(record.dataSha256, createHash('sha256').update(le).digest('hex'));
        // The stored copy does not share memory with the caller's array.
        data.fill(0);
        const fp = await store.getFingerprint('Nikon_D70_0');
        assert.ok(fp);
        assert.equal(fp.data.length, n);
        assert.deepEqual(bits(fp.data), expectedBits);
        assert.deepEqual(fp.record, record);
        assert.deepEqual(record, {
          camera: 'Nikon_D70_0',
          model: 'Nikon_D70',
          device: '0',
          width,
          height,
          images: 25,
          quality: { meanPce: 1234.5, energy: 0.25, used: 25 },
          params: { sigma: 5, wavelet: 'db4' },
          dataSha256: record.dataSha256,
          createdAt: record.createdAt,
        });
        assert.match(record.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.deepEqual(await store.getFingerprintRecord('Nikon_D70_0'), record);
        const sources = await store.listFingerprintSources('Nikon_D70_0');
        assert.deepEqual(
          sources.map((s) => s.sha256),
          [sha256Of('a'), sha256Of('b')].sort(),
        );
      }));

    test('a missing camera, image or job gives undefined', () =>
      withStore(async (store) => {
        assert.equal(await store.getFingerprint('nobody'), undefined);
        assert.equal(await store.getFingerprintRecord('nobody'), undefined);
        assert.deepEqual(await store.listFingerprintSources('nobody'), []);
        assert.equal(await store.deleteFingerprint('nobody'), false);
        assert.equal(await store.getImage(sha256Of('nothing')), undefined);
        assert.equal(await store.getJob('no-such-job'), undefined);
        assert.deepEqual(await store.listFingerprints(), []);
        assert.deepEqual(await store.listAudit(), []);
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 0, headHash: null });
      }));

    test('putFingerprint replaces the camera’s fingerprint with its sources, and audits it', () =>
      withStore(async (store, fx) => {
        const first = await store.putFingerprint(fingerprintInput('cam', 1, { model: 'M1' }));
        const second = await store.putFingerprint({
          ...fingerprintInput('cam', 2),
          width: 4,
          height: 3,
          data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
          sources: [imageInput('x'), imageInput('x'), imageInput('y')],
          images: 3,
          actor: 'analyst-7',
        });
        assert.notEqual(first.dataSha256, second.dataSha256);
        assert.equal(second.model, 'M1', 'the model is kept when not given again');
        const fp = await store.getFingerprint('cam');
        assert.deepEqual(fp?.record, second);
        assert.deepEqual(Array.from(fp?.data ?? []), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert.deepEqual(await store.listFingerprints(), [second]);
        assert.deepEqual(
          (await store.listFingerprintSources('cam')).map((s) => s.sha256),
          [sha256Of('x'), sha256Of('y')].sort(),
        );
        assert.equal(await count(fx, 'fingerprints'), 1);
        assert.equal(await count(fx, 'fingerprint_sources'), 2);
        assert.equal(await count(fx, 'images'), 4, 'images outlive the fingerprint that used them');
        assert.equal(await count(fx, 'cameras'), 1);
        const audit = await store.listAudit();
        assert.deepEqual(
          audit.map((a) => [a.action, a.subject, a.details.dataSha256, a.details.replaced]),
          [
            ['fingerprint.put', 'camera:cam', first.dataSha256, null],
            ['fingerprint.put', 'camera:cam', second.dataSha256, first.dataSha256],
          ],
        );
        assert.equal(audit[0].actor, fx.options.actor ?? audit[0].actor);
        assert.equal(audit[1].actor, 'analyst-7');
      }));

    test('listFingerprints is sorted by camera name and carries no data', () =>
      withStore(async (store) => {
        const names = ['b', 'a', 'Zeta', 'é', '10', '9', 'a b'];
        for (const [i, camera] of names.entries()) await store.putFingerprint(fingerprintInput(camera, i));
        const list = await store.listFingerprints();
        assert.deepEqual(
          list.map((r) => r.camera),
          ['10', '9', 'Zeta', 'a', 'a b', 'b', 'é'],
        );
        for (const r of list) {
          assert.equal('data' in r, false);
          assert.deepEqual(Object.keys(r).sort(), [
            'camera',
            'createdAt',
            'dataSha256',
            'height',
            'images',
            'params',
            'quality',
            'width',
          ]);
        }
      }));

    test('deleteFingerprint removes the fingerprint and its source links, keeps the camera, and audits it', () =>
      withStore(async (store, fx) => {
        const rec = await store.putFingerprint(fingerprintInput('gone', 1, { model: 'M', device: 'D' }));
        await store.putFingerprint(fingerprintInput('kept', 2));
        assert.equal(await store.deleteFingerprint('gone'), true);
        assert.equal(await store.getFingerprint('gone'), undefined);
        assert.equal(await store.deleteFingerprint('gone'), false);
        assert.deepEqual(
          (await store.listFingerprints()).map((r) => r.camera),
          ['kept'],
        );
        assert.deepEqual(
          (await store.listCameras()).map((c) => [c.name, c.model, c.device]),
          [
            ['gone', 'M', 'D'],
            ['kept', undefined, undefined],
          ],
        );
        assert.equal(await count(fx, 'fingerprint_sources'), 2);
        const last = (await store.listAudit()).at(-1);
        assert.equal(last?.action, 'fingerprint.delete');
        assert.deepEqual(last?.details, { dataSha256: rec.dataSha256 });
      }));

    test('bad input is refused with InputError before anything is written', () =>
      withStore(async (store, fx) => {
        await store.putFingerprint(fingerprintInput('cam', 1));
        const job = await store.createJob({ id: 'job-1', kind: 'x' });
        const before = await snapshot(store, fx);
        // Thunks: each call starts only when its rejection is awaited.
        const bad: [string, () => Promise<unknown>][] = [
          [
            'short data',
            () => store.putFingerprint({ ...fingerprintInput('cam', 2), data: new Float32Array(5) }),
          ],
          [
            'Float64Array data',
            () =>
              store.putFingerprint({ ...fingerprintInput('cam', 2), data: new Float64Array(48) as never }),
          ],
          ['zero width', () => store.putFingerprint({ ...fingerprintInput('cam', 2), width: 0 })],
          [
            'NaN in quality',
            () => store.putFingerprint({ ...fingerprintInput('cam', 2), quality: { meanPce: NaN } }),
          ],
          [
            'Date in params',
            () => store.putFingerprint({ ...fingerprintInput('cam', 2), params: { at: new Date() } }),
          ],
          ['empty camera', () => store.putFingerprint(fingerprintInput('', 2))],
          ['camera with spaces around', () => store.putFingerprint(fingerprintInput(' cam', 2))],
          [
            'bad source hash',
            () =>
              store.putFingerprint({
                ...fingerprintInput('new', 2),
                sources: [imageInput('q', { sha256: 'xyz' })],
              }),
          ],
          ['bad orientation', () => store.upsertImage(imageInput('q', { orientation: 9 }))],
          ['bad rotation', () => store.recordMatch({ ...matchInput('q'), rotation: 45 as never })],
          ['p > 1', () => store.recordMatch({ ...matchInput('q'), pFalseAlarm: 2 })],
          ['unknown job status', () => store.updateJob(job.id, { status: 'lost' as never })],
          ['progress > 1', () => store.updateJob(job.id, { progress: 1.5 })],
          ['unknown status filter', () => store.listJobs({ status: 'nope' as never })],
          ['job kind missing', () => store.createJob({} as never)],
          ['audit without actor', () => store.appendAudit({ actor: '', action: 'a', subject: 's' })],
          [
            'audit with a function',
            () => store.appendAudit({ actor: 'a', action: 'a', subject: 's', details: { f: () => 1 } }),
          ],
        ];
        for (const [what, call] of bad) await assert.rejects(call, InputError, what);
        assert.deepEqual(await snapshot(store, fx), before);
      }));

    test('a write that fails half-way leaves the store exactly as it was', () =>
      withStore(async (store, fx) => {
        await store.putFingerprint(fingerprintInput('cam-a', 1, { model: 'A' }));
        await store.putFingerprint(fingerprintInput('cam-b', 2));
        await store.recordMatch(matchInput('m1'));
        await store.createJob({ id: 'job-1', kind: 'extract', params: { n: 1 } });
        await store.appendAudit({
          actor: 'tester',
          action: 'case.open',
          subject: 'case:1',
          details: { note: 'x' },
        });
        const before = await snapshot(store, fx);

        // A database error after the old fingerprint is deleted and the new one inserted.
        await fx.injectFailure('fingerprint_sources');
        await assert.rejects(store.putFingerprint(fingerprintInput('cam-a', 3, { model: 'changed' })));
        await assert.rejects(store.putFingerprint(fingerprintInput('cam-new', 4)));
        assert.deepEqual(await snapshot(store, fx), before);
        await fx.clearFailure('fingerprint_sources');

        // A database error at the very end: the audit entry.
        await fx.injectFailure('audit_log');
        await assert.rejects(store.putFingerprint(fingerprintInput('cam-a', 5, { model: 'changed' })));
        await assert.rejects(store.putFingerprint(fingerprintInput('cam-new', 6)));
        await assert.rejects(store.deleteFingerprint('cam-b'));
        await assert.rejects(store.recordMatch(matchInput('m2')));
        await assert.rejects(store.appendAudit({ actor: 'tester', action: 'x', subject: 'y' }));
        assert.deepEqual(await snapshot(store, fx), before);
        await fx.clearFailure('audit_log');

        // A unique constraint.
        await assert.rejects(store.createJob({ id: 'job-1', kind: 'other' }), InputError);
        assert.deepEqual(await snapshot(store, fx), before);

        // The store works on afterwards.
        await store.putFingerprint(fingerprintInput('cam-a', 7));
        assert.equal((await store.getFingerprintRecord('cam-a'))?.quality.meanPce, 1007);
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('images keep their first sighting', () =>
      withStore(async (store) => {
        const first = await store.upsertImage(
          imageInput('img', { exif: { Make: 'NIKON', Model: 'D70' }, orientation: 6 }),
        );
        const again = await store.upsertImage(imageInput('img', { path: '/elsewhere/copy.jpg' }));
        assert.deepEqual(again, first);
        assert.deepEqual(await store.getImage(sha256Of('img')), {
          sha256: sha256Of('img'),
          path: '/evidence/img.jpg',
          width: 640,
          height: 480,
          format: 'jpeg',
          orientation: 6,
          exif: { Make: 'NIKON', Model: 'D70' },
          firstSeen: first.firstSeen,
        });
      }));

    test('matches are recorded with their image, listed in order, filtered, and audited', () =>
      withStore(async (store) => {
        const m1 = await store.recordMatch(matchInput('q1'));
        const m2 = await store.recordMatch({
          ...matchInput('q2'),
          camera: 'other',
          decision: 'no-match',
          pce: 3.5,
        });
        const m3 = await store.recordMatch({
          ...matchInput('q1'),
          pce: null,
          ncc: null,
          pFalseAlarm: null,
          decision: 'not-comparable',
          rotation: 90,
          shiftX: -12,
        });
        assert.deepEqual(m1, {
          id: m1.id,
          imageSha256: sha256Of('q1'),
          imagePath: '/evidence/q1.jpg',
          camera: 'cam',
          pce: 812.25,
          ncc: 0.0125,
          pFalseAlarm: 1e-180,
          shiftY: 4,
          shiftX: 0,
          rotation: 0,
          decision: 'match',
          threshold: 60,
          params: { search: 'full' },
          createdAt: m1.createdAt,
        });
        assert.ok(m1.id < m2.id && m2.id < m3.id);
        assert.deepEqual(await store.listMatches(), [m1, m2, m3]);
        assert.deepEqual(await store.listMatches({ camera: 'cam' }), [m1, m3]);
        assert.deepEqual(await store.listMatches({ imageSha256: sha256Of('q1') }), [m1, m3]);
        assert.deepEqual(await store.listMatches({ decision: 'no-match' }), [m2]);
        assert.deepEqual(await store.listMatches({ afterId: m1.id, limit: 1 }), [m2]);
        assert.equal(m3.pce, null);
        assert.equal(m3.rotation, 90);
        const audit = await store.listAudit();
        assert.deepEqual(
          audit.map((a) => [a.action, a.subject, a.details.match]),
          [
            ['match.record', `image:${sha256Of('q1')}`, m1.id],
            ['match.record', `image:${sha256Of('q2')}`, m2.id],
            ['match.record', `image:${sha256Of('q1')}`, m3.id],
          ],
        );
      }));

    test('jobs are created, updated, listed and refused when unknown or duplicate', () =>
      withStore(async (store) => {
        const a = await store.createJob({ id: 'job-a', kind: 'extract', params: { dir: '/x' } });
        assert.deepEqual(a, {
          id: 'job-a',
          kind: 'extract',
          status: 'queued',
          progress: 0,
          params: { dir: '/x' },
          createdAt: a.createdAt,
          updatedAt: a.createdAt,
        });
        const b = await store.createJob({ kind: 'train' });
        assert.match(b.id, /^[0-9a-f-]{36}$/);
        await assert.rejects(store.createJob({ id: 'job-a', kind: 'extract' }), InputError);
        await assert.rejects(store.updateJob('job-zzz', { progress: 0.5 }), InputError);
        const running = await store.updateJob('job-a', { status: 'running', progress: 0.25 });
        assert.equal(running.status, 'running');
        assert.equal(running.progress, 0.25);
        const failed = await store.updateJob('job-a', {
          status: 'failed',
          error: 'out of memory',
          result: { partial: 3 },
        });
        assert.deepEqual(
          [failed.status, failed.progress, failed.error, failed.result],
          ['failed', 0.25, 'out of memory', { partial: 3 }],
        );
        const retried = await store.updateJob('job-a', { status: 'queued', error: null, result: null });
        assert.equal('error' in retried, false);
        assert.equal('result' in retried, false);
        assert.deepEqual(await store.getJob('job-a'), retried);
        assert.deepEqual((await store.listJobs()).map((j) => j.id).sort(), ['job-a', b.id].sort());
        assert.deepEqual(
          (await store.listJobs({ kind: 'train' })).map((j) => j.id),
          [b.id],
        );
        await store.updateJob(b.id, { status: 'done', progress: 1 });
        assert.deepEqual(
          (await store.listJobs({ status: 'done' })).map((j) => j.id),
          [b.id],
        );
        assert.equal((await store.listJobs({ limit: 1 })).length, 1);
      }));

    test('the audit chain verifies, and its entries link by hash', () =>
      withStore(async (store) => {
        const appended = [];
        for (let i = 0; i < 5; i++) {
          appended.push(
            await store.appendAudit({
              actor: 'tester',
              action: 'test.step',
              subject: `step:${i}`,
              details: { i, z: [1, 'a'] },
            }),
          );
        }
        const list = await store.listAudit();
        assert.deepEqual(list, appended);
        assert.deepEqual(
          list.map((e) => e.seq),
          [1, 2, 3, 4, 5],
        );
        list.forEach((e, i) => {
          assert.equal(e.prevHash, i === 0 ? '0'.repeat(64) : list[i - 1].hash);
          assert.equal(e.hash, auditHash(e.prevHash, e));
        });
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 5, headHash: list[4].hash });
        assert.deepEqual(await store.listAudit({ fromSeq: 3, limit: 2 }), list.slice(2, 4));
      }));

    test('the audit log refuses UPDATE and DELETE', () =>
      withStore(async (store, fx) => {
        await store.appendAudit({ actor: 'tester', action: 'a', subject: 's' });
        await assert.rejects(fx.raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"));
        await assert.rejects(fx.raw('DELETE FROM audit_log WHERE seq = 1'));
        assert.deepEqual(await store.verifyAudit(), {
          ok: true,
          entries: 1,
          headHash: (await store.listAudit())[0].hash,
        });
      }));

    /** Five audit entries, the guard removed: ready to be tampered with. */
    async function tamperable(store: Store, fx: StoreFixture): Promise<void> {
      for (let i = 1; i <= 5; i++) {
        await store.appendAudit({
          actor: 'tester',
          action: 'test.step',
          subject: `step:${i}`,
          details: { i },
        });
      }
      assert.equal((await store.verifyAudit()).ok, true);
      await fx.disableAuditGuard();
    }

    test('verifyAudit catches an edited entry', () =>
      withStore(async (store, fx) => {
        await tamperable(store, fx);
        await fx.raw('UPDATE audit_log SET subject = ? WHERE seq = ?', ['step:forged', 3]);
        const v = await store.verifyAudit();
        assert.equal(v.ok, false);
        assert.equal(v.firstBadSeq, 3);
        assert.match(v.reason ?? '', /altered/);
      }));

    test('verifyAudit catches an edited entry whose hash was recomputed', () =>
      withStore(async (store, fx) => {
        await tamperable(store, fx);
        const e = (await store.listAudit({ fromSeq: 3, limit: 1 }))[0];
        const forged = { ...e, details: { i: 333 } };
        await fx.raw('UPDATE audit_log SET details = ?, hash = ? WHERE seq = ?', [
          JSON.stringify(forged.details),
          auditHash(e.prevHash, forged),
          3,
        ]);
        const v = await store.verifyAudit();
        assert.equal(v.ok, false);
        assert.equal(v.firstBadSeq, 4);
        assert.match(v.reason ?? '', /does not link/);
      }));

    test('verifyAudit catches a removed entry', () =>
      withStore(async (store, fx) => {
        await tamperable(store, fx);
        await fx.raw('DELETE FROM audit_log WHERE seq = ?', [3]);
        const v = await store.verifyAudit();
        assert.equal(v.ok, false);
        assert.equal(v.firstBadSeq, 3);
        assert.match(v.reason ?? '', /missing/);
      }));

    test('a chain cut at its end is told by its head hash and count', () =>
      withStore(async (store, fx) => {
        await tamperable(store, fx);
        const before = await store.verifyAudit();
        await fx.raw('DELETE FROM audit_log WHERE seq = ?', [5]);
        const v = await store.verifyAudit();
        assert.equal(v.ok, true);
        assert.equal(v.entries, 4);
        assert.notEqual(v.headHash, before.headHash);
      }));

    test('verifyAudit catches reordered entries', () =>
      withStore(async (store, fx) => {
        await tamperable(store, fx);
        await fx.raw('UPDATE audit_log SET seq = ? WHERE seq = ?', [-2, 2]);
        await fx.raw('UPDATE audit_log SET seq = ? WHERE seq = ?', [2, 3]);
        await fx.raw('UPDATE audit_log SET seq = ? WHERE seq = ?', [3, -2]);
        const v = await store.verifyAudit();
        assert.equal(v.ok, false);
        assert.equal(v.firstBadSeq, 2);
      }));

    test('migrations run once: reopening changes nothing', async () => {
      const fx = await makeFixture();
      try {
        let store = await openStore(fx.options);
        const info = await store.info();
        assert.ok(info.schemaVersion >= 1);
        await store.putFingerprint(fingerprintInput('cam', 1));
        const before = await snapshot(store, fx);
        const migrations = await fx.raw(
          'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
        );
        assert.deepEqual(
          migrations.map((m) => Number(m.version)),
          Array.from({ length: info.schemaVersion }, (_, i) => i + 1),
        );
        await store.close();
        for (let i = 0; i < 2; i++) {
          store = await openStore(fx.options);
          assert.deepEqual(await store.info(), info);
          assert.deepEqual(await snapshot(store, fx), before);
          await store.close();
        }
        assert.deepEqual(
          await fx.raw('SELECT version, name, applied_at FROM schema_migrations ORDER BY version'),
          migrations,
        );
      } finally {
        await fx.destroy();
      }
    });

    test('a database from a newer camprint is refused with a clear message, untouched', async () => {
      const fx = await makeFixture();
      try {
        const store = await openStore(fx.options);
        await store.putFingerprint(fingerprintInput('cam', 1));
        const latest = (await store.info()).schemaVersion;
        await store.close();
        const future = latest + 998;
        await fx.raw('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          future,
          'from-the-future',
          new Date().toISOString(),
        ]);
        await assert.rejects(openStore(fx.options), (err: Error) => {
          assert.ok(err instanceof InputError);
          assert.match(err.message, new RegExp(`schema version ${future}`));
          assert.match(err.message, new RegExp(`up to ${latest}`));
          assert.match(err.message, /newer camprint/);
          return true;
        });
        assert.equal(await count(fx, 'schema_migrations'), latest + 1);
        assert.equal(await count(fx, 'fingerprints'), 1);
      } finally {
        await fx.destroy();
      }
    });

    test('a closed store refuses calls; closing twice is harmless', async () => {
      const fx = await makeFixture();
      try {
        const store = await openStore(fx.options);
        await store.close();
        await store.close();
        await assert.rejects(store.listFingerprints());
        await assert.rejects(store.putFingerprint(fingerprintInput('cam', 1)));
      } finally {
        await fx.destroy();
      }
    });

    test(`${WRITERS} processes creating and writing one store at once lose nothing and keep the chain valid`, async () => {
      const fx = await makeFixture();
      let store: Store | undefined;
      try {
        // The writers race from the start: on creating the schema, then on writing.
        const child = fileURLToPath(new URL('./contract-writer.js', import.meta.url));
        const startAt = Date.now() + 1500;
        const runs = Array.from({ length: WRITERS }, (_, w) =>
          runChild(child, [JSON.stringify(fx.options), String(w), String(PER_WRITER), String(startAt)]),
        );
        const results = await Promise.all(runs);
        results.forEach((r, w) => assert.equal(r.code, 0, `writer ${w} failed:\n${r.stderr}`));
        store = await openStore(fx.options);
        assert.equal(await count(fx, 'schema_migrations'), (await store.info()).schemaVersion);

        const fps = await store.listFingerprints();
        assert.equal(fps.length, WRITERS * PER_WRITER + 1);
        for (let w = 0; w < WRITERS; w++) {
          for (let i = 0; i < PER_WRITER; i++) {
            const fp = await store.getFingerprint(`w${w}-${i}`);
            assert.ok(fp, `w${w}-${i} is missing`);
            assert.deepEqual(fp.data, fingerprintInput(`w${w}-${i}`, w * 1000 + i).data);
          }
        }
        const shared = await store.getFingerprint('shared');
        assert.ok(shared);
        const sharedPuts = Math.ceil(PER_WRITER / 5);
        const perWriterAudit =
          PER_WRITER /* fingerprints */ + PER_WRITER /* ticks */ + PER_WRITER /* matches */ + sharedPuts;
        const audit = await store.listAudit();
        assert.equal(audit.length, WRITERS * perWriterAudit);
        const verify = await store.verifyAudit();
        assert.deepEqual(verify, { ok: true, entries: audit.length, headHash: audit.at(-1)?.hash ?? null });
        for (let w = 0; w < WRITERS; w++) {
          const ticks = audit
            .filter((a) => a.action === 'test.tick' && a.subject === `writer:${w}`)
            .map((a) => a.details.i);
          assert.deepEqual(
            ticks,
            Array.from({ length: PER_WRITER }, (_, i) => i),
            `writer ${w}'s entries in its order`,
          );
          const job: JobRecord | undefined = await store.getJob(`job-${w}`);
          assert.deepEqual([job?.status, job?.progress], ['done', 1]);
        }
        // The last "shared" put in the audit log is the fingerprint that remains.
        const lastShared = audit.filter((a) => a.subject === 'camera:shared').at(-1);
        assert.equal(lastShared?.details.dataSha256, shared.record.dataSha256);
        assert.equal((await store.listMatches()).length, WRITERS * PER_WRITER);
        assert.equal(await count(fx, 'images'), WRITERS * PER_WRITER * 2 + WRITERS * sharedPuts * 2 + 1);
        assert.equal(await count(fx, 'cameras'), WRITERS * PER_WRITER + 1);
      } finally {
        await store?.close();
        await fx.destroy();
      }
    });
  });
}

function runChild(script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
}
