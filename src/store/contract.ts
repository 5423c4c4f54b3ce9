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
import {
  datasetInput,
  defectMapInput,
  epochCurve,
  fingerprintInput,
  imageInput,
  jpegTableSet,
  matchInput,
  modelInput,
  sha256Of,
  words,
} from './contract-data.js';
import { CASE_FILE_ROLES } from './index.js';
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
  /**
   * Opens a store on this database (creating it when new) whose schema goes only up to `version`,
   * as an older camprint would: to test the migrations from there.
   */
  openAtVersion(version: number): Promise<Store>;
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

/** The columns jobs and models had before version 5 added worker, backend and owner. */
const COLUMNS_BEFORE_5 = {
  jobs: 'id, kind, status, progress, params, result, error, created_at, updated_at',
  models:
    'name, path, dataset, network, status, config, epochs, best_val_accuracy, curves, metrics, error, created_at, updated_at',
};

/**
 * A table's rows in its columns before version 5, read raw: the store's own job and model calls
 * need version 5's columns, so a database older than that is read (and written) this way.
 */
async function rowsBefore5(fx: StoreFixture, table: 'jobs' | 'models'): Promise<unknown[]> {
  return fx.raw(
    `SELECT ${COLUMNS_BEFORE_5[table]} FROM ${table} ORDER BY ${table === 'jobs' ? 'id' : 'name'}`,
  );
}

/** A job row as a camprint before version 5 wrote it. */
async function insertJobBefore5(fx: StoreFixture, id: string, ts: string): Promise<void> {
  await fx.raw(`INSERT INTO jobs (${COLUMNS_BEFORE_5.jobs}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    id,
    'extract',
    'done',
    1,
    '{"n":1}',
    '{"ok":true}',
    null,
    ts,
    ts,
  ]);
}

/** A model row as a camprint before version 5 wrote it (status training: its process unknown). */
async function insertModelBefore5(fx: StoreFixture, name: string, ts: string): Promise<void> {
  await fx.raw(
    `INSERT INTO models (${COLUMNS_BEFORE_5.models}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      name,
      `/data/models/${name}`,
      'ds',
      'resnet18',
      'training',
      '{"epochs":10}',
      1,
      0.46,
      '[{"epoch":1}]',
      null,
      null,
      ts,
      ts,
    ],
  );
}

/**
 * Everything a store holds, as seen through its interface and raw row counts. With `schemaVersion`
 * 1 to 4, only what a database of that version has (jobs and models below 5 read raw).
 */
async function snapshot(store: Store, fx: StoreFixture, schemaVersion = Infinity): Promise<unknown> {
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
  const v1 = {
    fingerprints,
    full,
    cameras: await store.listCameras(),
    matches: await store.listMatches(),
    jobs: schemaVersion < 5 ? await rowsBefore5(fx, 'jobs') : await store.listJobs(),
    audit: await store.listAudit(),
    verify: await store.verifyAudit(),
    counts,
  };
  if (schemaVersion < 2) return v1;
  for (const t of ['datasets', 'models']) counts[t] = await count(fx, t);
  const v2 = {
    ...v1,
    datasets: await store.listDatasets(),
    models: schemaVersion < 5 ? await rowsBefore5(fx, 'models') : await store.listModels(),
  };
  if (schemaVersion < 3) return v2;
  for (const t of ['jpeg_tables', 'jpeg_table_sources', 'defect_maps', 'defect_map_sources'])
    counts[t] = await count(fx, t);
  const v3 = { ...v2, jpegTables: await store.listJpegTables(), defectMaps: await store.listDefectMaps() };
  if (schemaVersion < 4) return v3;
  for (const t of ['cases', 'case_files', 'case_notes']) counts[t] = await count(fx, t);
  const cases = [];
  for (const c of await store.listCases()) {
    cases.push({
      record: c,
      files: await store.listCaseFiles(c.name),
      notes: await store.listCaseNotes(c.name),
    });
  }
  return { ...v3, cases };
}

/** Waits long enough for the next timestamp (milliseconds) to differ. */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 5));
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
          digestSize: 0,
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
            'digestSize',
            'height',
            'images',
            'params',
            'quality',
            'width',
          ]);
        }
      }));

    test('a digest is stored with its fingerprint, scanned in batches, and follows replacement', () =>
      withStore(async (store, fx) => {
        const digest = (k: number, seed: number) => ({
          indices: Uint32Array.from({ length: k }, (_, i) => i * 2 + (seed % 2)),
          values: Float32Array.from({ length: k }, (_, i) => Math.fround(Math.cos(seed + i) * 0.02)),
        });
        // 8×6 fingerprints (contract-data): indices up to 47.
        for (let i = 0; i < 5; i++) {
          await store.putFingerprint(
            fingerprintInput(`d${i}`, i, i < 3 ? { digest: digest(10 + i, i) } : {}),
          );
        }
        await store.putFingerprint(
          fingerprintInput('big', 9, { width: 12, height: 4, digest: digest(4, 9) }),
        );
        assert.equal((await store.getFingerprintRecord('d1'))?.digestSize, 11);
        assert.equal((await store.getFingerprintRecord('d4'))?.digestSize, 0);

        const batches: string[][] = [];
        const seen = new Map<string, { indices: Uint32Array; values: Float32Array }>();
        for await (const batch of store.scanDigests({ batchSize: 2 })) {
          batches.push(batch.map((e) => e.camera));
          for (const e of batch) seen.set(e.camera, e.digest);
        }
        // Stored order, fingerprints without a digest skipped, at most two per batch.
        assert.deepEqual(batches, [
          ['d0', 'd1'],
          ['d2', 'big'],
        ]);
        assert.deepEqual(seen.get('d2'), digest(12, 2));
        const sized = [];
        for await (const batch of store.scanDigests({ width: 12, height: 4 })) sized.push(...batch);
        assert.deepEqual(
          sized.map((e) => [e.camera, e.width, e.height, e.dataSha256]),
          [['big', 12, 4, (await store.getFingerprintRecord('big'))?.dataSha256]],
        );

        // Shards are disjoint and together hold every digest.
        const sharded: string[] = [];
        for (let index = 0; index < 3; index++) {
          for await (const batch of store.scanDigests({ shard: { index, count: 3 }, batchSize: 1 })) {
            sharded.push(...batch.map((e) => e.camera));
          }
        }
        assert.deepEqual(sharded.sort(), ['big', 'd0', 'd1', 'd2']);
        await assert.rejects(async () => {
          for await (const _ of store.scanDigests({ shard: { index: 3, count: 3 } })) void _;
        }, InputError);

        // A digest added later, for the current data only; no audit entry (derived data).
        const d4 = (await store.getFingerprintRecord('d4'))!;
        const auditBefore = (await store.listAudit()).length;
        await store.putDigest('d4', d4.dataSha256, digest(3, 4));
        assert.equal((await store.getFingerprintRecord('d4'))?.digestSize, 3);
        assert.equal((await store.listAudit()).length, auditBefore);
        await assert.rejects(store.putDigest('d4', 'a'.repeat(64), digest(3, 4)), InputError);
        await assert.rejects(store.putDigest('nobody', d4.dataSha256, digest(3, 4)), InputError);
        await assert.rejects(store.putDigest('d4', d4.dataSha256, digest(100, 4)), InputError); // index ≥ 48
        const unsorted = { indices: Uint32Array.of(3, 1), values: Float32Array.of(1, 2) };
        await assert.rejects(store.putDigest('d4', d4.dataSha256, unsorted), InputError);
        await assert.rejects(
          store.putFingerprint(
            fingerprintInput('bad', 1, {
              digest: { indices: Uint32Array.of(1), values: Float32Array.of(NaN) },
            }),
          ),
          InputError,
        );
        assert.equal(await store.getFingerprintRecord('bad'), undefined);

        // Replacing a fingerprint without a digest drops the old one; deleting drops it from scans.
        await store.putFingerprint(fingerprintInput('d0', 20));
        assert.equal((await store.getFingerprintRecord('d0'))?.digestSize, 0);
        await store.deleteFingerprint('d1');
        const left = [];
        for await (const batch of store.scanDigests()) left.push(...batch.map((e) => e.camera));
        assert.deepEqual(left, ['d2', 'd4', 'big']);
        assert.equal(await count(fx, 'fingerprints'), 5);
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

    test('a job records its worker and the queue it went through; a patch sets or clears the worker', () =>
      withStore(async (store) => {
        const a = await store.createJob({
          id: 'job-w',
          kind: 'train',
          worker: 'lab-1:4242:98765',
          backend: 'in-process',
        });
        assert.deepEqual([a.status, a.worker, a.backend], ['queued', 'lab-1:4242:98765', 'in-process']);
        const r = await store.createJob({ id: 'job-r', kind: 'residual', backend: 'redis' });
        assert.deepEqual(['worker' in r, r.backend], [false, 'redis']);
        const running = await store.updateJob('job-r', { status: 'running', worker: 'lab-2:77' });
        assert.equal(running.worker, 'lab-2:77');
        assert.equal((await store.updateJob('job-r', { progress: 0.5 })).worker, 'lab-2:77', 'absent: kept');
        const back = await store.updateJob('job-r', { status: 'queued', worker: null });
        assert.equal('worker' in back, false, 'null clears it');
        assert.equal(back.backend, 'redis', 'the backend stays');
        assert.deepEqual(await store.getJob('job-w'), a);
        assert.deepEqual(
          (await store.listJobs({ status: 'queued' }))
            .map((j) => [j.id, j.worker ?? null, j.backend])
            .sort((x, y) => String(y[0]).localeCompare(String(x[0]))), // created in the same ms: any order
          [
            ['job-w', 'lab-1:4242:98765', 'in-process'],
            ['job-r', null, 'redis'],
          ],
        );
        for (const bad of [
          () => store.createJob({ kind: 'x', worker: '' }),
          () => store.createJob({ kind: 'x', worker: 'a\nb' }),
          () => store.createJob({ kind: 'x', backend: 'kafka' as never }),
          () => store.updateJob('job-w', { worker: 42 as never }),
        ])
          await assert.rejects(bad(), InputError);
        assert.equal((await store.listJobs()).length, 2, 'nothing written by a refused call');
        assert.equal((await store.getJob('job-w'))?.worker, 'lab-1:4242:98765');
      }));

    test('a data set comes back as stored; a new build under its name replaces it; both are audited', () =>
      withStore(async (store, fx) => {
        assert.equal(await store.getDataset('ds'), undefined);
        const first = await store.putDataset(datasetInput('ds', 1));
        assert.deepEqual(first, {
          name: 'ds',
          path: '/data/datasets/ds',
          manifestSha256: sha256Of('manifest ds 1'),
          input: 'residual-rgb',
          crop: 256,
          classes: ['SimCam01', 'SimCam02', 'SimCam03'],
          counts: { train: 4097, val: 512, test: 768 },
          images: { train: 256, val: 32, test: 48 },
          params: { cropsPerImage: 16, seed: 1, split: { train: 75, val: 10, test: 15 }, splitBy: 'photo' },
          createdAt: first.createdAt,
        });
        assert.match(first.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.deepEqual(await store.getDataset('ds'), first);
        await tick();
        const second = await store.putDataset({
          ...datasetInput('ds', 2),
          path: '/data/elsewhere/ds',
          input: 'residual',
          crop: 128,
          classes: ['B', 'A'],
          counts: { train: 10, val: 0, test: 0 },
          images: { train: 1, val: 0, test: 0 },
          params: {},
          actor: 'analyst-7',
        });
        assert.deepEqual(second, {
          name: 'ds',
          path: '/data/elsewhere/ds',
          manifestSha256: sha256Of('manifest ds 2'),
          input: 'residual',
          crop: 128,
          classes: ['B', 'A'],
          counts: { train: 10, val: 0, test: 0 },
          images: { train: 1, val: 0, test: 0 },
          params: {},
          createdAt: second.createdAt,
        });
        assert.ok(second.createdAt > first.createdAt, 'a new build gets a new time');
        assert.deepEqual(await store.getDataset('ds'), second);
        assert.deepEqual(await store.listDatasets(), [second]);
        assert.equal(await count(fx, 'datasets'), 1);
        const audit = await store.listAudit();
        assert.deepEqual(
          audit.map((a) => [a.actor, a.action, a.subject, a.details.manifestSha256, a.details.replaced]),
          [
            [fx.options.actor ?? audit[0].actor, 'dataset.put', 'dataset:ds', first.manifestSha256, null],
            ['analyst-7', 'dataset.put', 'dataset:ds', second.manifestSha256, first.manifestSha256],
          ],
        );
        assert.deepEqual(audit[1].details.classes, ['B', 'A']);
        assert.deepEqual(audit[1].details.counts, { train: 10, val: 0, test: 0 });
      }));

    test('listDatasets is sorted by name; deleteDataset forgets one and audits it', () =>
      withStore(async (store) => {
        for (const [i, name] of ['b', 'a', 'Zeta', 'é', '10', '9'].entries()) {
          await store.putDataset(datasetInput(name, i));
        }
        assert.deepEqual(
          (await store.listDatasets()).map((d) => d.name),
          ['10', '9', 'Zeta', 'a', 'b', 'é'],
        );
        const gone = await store.getDataset('a');
        assert.equal(await store.deleteDataset('a', { actor: 'analyst-7' }), true);
        assert.equal(await store.getDataset('a'), undefined);
        assert.equal(await store.deleteDataset('a'), false);
        assert.equal(await store.deleteDataset('never'), false);
        assert.deepEqual(
          (await store.listDatasets()).map((d) => d.name),
          ['10', '9', 'Zeta', 'b', 'é'],
        );
        const audit = await store.listAudit();
        assert.equal(audit.length, 7, 'a delete of nothing is not audited');
        const last = audit.at(-1);
        assert.deepEqual(
          [last?.actor, last?.action, last?.subject, last?.details],
          ['analyst-7', 'dataset.delete', 'dataset:a', { manifestSha256: gone?.manifestSha256 }],
        );
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('a model comes back as stored; putModel replaces one of the same name; both are audited', () =>
      withStore(async (store, fx) => {
        assert.equal(await store.getModel('m'), undefined);
        const first = await store.putModel(modelInput('m'));
        assert.deepEqual(first, {
          name: 'm',
          path: '/data/models/m',
          dataset: 'ds',
          network: 'resnet18',
          status: 'training',
          config: { batchSize: 64, epochs: 10, lr: 0.001, network: 'resnet18', seed: 1 },
          epochs: 1,
          bestValAccuracy: 0.46,
          curves: [epochCurve(1)],
          metrics: null,
          error: null,
          owner: null,
          createdAt: first.createdAt,
          updatedAt: first.createdAt,
        });
        assert.deepEqual(await store.getModel('m'), first);
        assert.equal(await store.getDataset('ds'), undefined, 'the data set need not be in the store');
        await tick();
        const second = await store.putModel({
          ...modelInput('m'),
          dataset: null,
          network: 'small-cnn',
          status: 'done',
          config: {},
          epochs: 3,
          bestValAccuracy: 1,
          curves: [epochCurve(1), epochCurve(2), { epoch: 3, note: 'nested', per: { a: [1, null, true] } }],
          metrics: {
            accuracy: 0.97,
            confusion: [
              [10, 0],
              [1, 9],
            ],
          },
          error: 'not an error, a note',
          actor: 'analyst-7',
        });
        assert.deepEqual(second, {
          name: 'm',
          path: '/data/models/m',
          dataset: null,
          network: 'small-cnn',
          status: 'done',
          config: {},
          epochs: 3,
          bestValAccuracy: 1,
          curves: [epochCurve(1), epochCurve(2), { epoch: 3, note: 'nested', per: { a: [1, null, true] } }],
          metrics: {
            accuracy: 0.97,
            confusion: [
              [10, 0],
              [1, 9],
            ],
          },
          error: 'not an error, a note',
          owner: null,
          createdAt: second.createdAt,
          updatedAt: second.createdAt,
        });
        assert.ok(second.createdAt > first.createdAt, 'a new training gets a new time');
        assert.deepEqual(await store.listModels(), [second]);
        assert.equal(await count(fx, 'models'), 1);
        // Empty curves and a zero accuracy are kept as such.
        const fresh = await store.putModel({ ...modelInput('z'), epochs: 0, bestValAccuracy: 0, curves: [] });
        assert.deepEqual([fresh.epochs, fresh.bestValAccuracy, fresh.curves], [0, 0, []]);
        const audit = await store.listAudit();
        assert.deepEqual(
          audit.map((a) => [a.actor, a.action, a.subject, a.details.status, a.details.replaced]),
          [
            [fx.options.actor ?? audit[0].actor, 'model.put', 'model:m', 'training', null],
            ['analyst-7', 'model.put', 'model:m', 'done', first.createdAt],
            [fx.options.actor ?? audit[0].actor, 'model.put', 'model:z', 'training', null],
          ],
        );
      }));

    test('updateModel changes only the given fields, moves updatedAt, and audits it', () =>
      withStore(async (store) => {
        const put = await store.putModel(modelInput('m'));
        await tick();
        const curves = [epochCurve(1), epochCurve(2)];
        const running = await store.updateModel('m', { epochs: 2, curves, bestValAccuracy: 0.47 });
        assert.deepEqual(running, {
          ...put,
          epochs: 2,
          curves,
          bestValAccuracy: 0.47,
          updatedAt: running.updatedAt,
        });
        assert.ok(running.updatedAt > put.updatedAt, 'updatedAt moves');
        assert.equal(running.createdAt, put.createdAt, 'createdAt stays');
        await tick();
        const failed = await store.updateModel(
          'm',
          { status: 'failed', error: 'CUDA out of memory', metrics: { accuracy: 0.5 } },
          { actor: 'engine' },
        );
        assert.deepEqual(failed, {
          ...running,
          status: 'failed',
          error: 'CUDA out of memory',
          metrics: { accuracy: 0.5 },
          updatedAt: failed.updatedAt,
        });
        assert.ok(failed.updatedAt > running.updatedAt);
        // null clears; an empty patch changes nothing but the time.
        const cleared = await store.updateModel('m', {
          status: 'stopped',
          error: null,
          metrics: null,
          bestValAccuracy: null,
        });
        assert.deepEqual(
          [cleared.status, cleared.error, cleared.metrics, cleared.bestValAccuracy, cleared.epochs],
          ['stopped', null, null, null, 2],
        );
        assert.deepEqual(cleared.curves, curves);
        await tick();
        const same = await store.updateModel('m', {});
        assert.deepEqual(same, { ...cleared, updatedAt: same.updatedAt });
        assert.ok(same.updatedAt > cleared.updatedAt);
        assert.deepEqual(await store.getModel('m'), same);
        const audit = (await store.listAudit()).slice(1);
        assert.deepEqual(
          audit.map((a) => [a.action, a.subject]),
          Array.from({ length: 4 }, () => ['model.update', 'model:m']),
        );
        assert.equal(audit[1].actor, 'engine');
        assert.deepEqual(audit[0].details, { epochs: 2, curvesLength: 2, bestValAccuracy: 0.47 });
        assert.deepEqual(audit[1].details, {
          status: 'failed',
          error: 'CUDA out of memory',
          metricsSha256: sha256Of('{"accuracy":0.5}'),
        });
        assert.deepEqual(audit[2].details, {
          status: 'stopped',
          error: null,
          metricsSha256: null,
          bestValAccuracy: null,
        });
        assert.deepEqual(audit[3].details, {});
      }));

    test('a model records its owner; updateModel with expect writes only while the stored model matches', () =>
      withStore(async (store, fx) => {
        const owner = 'lab-1:4242:98765';
        const put = await store.putModel(modelInput('m', { owner }));
        assert.equal(put.owner, owner);
        assert.equal((await store.listAudit()).at(-1)?.details.owner, owner, 'the owner audited');
        await tick();
        const interrupted = await store.updateModel(
          'm',
          { status: 'interrupted', error: 'its process was killed' },
          { expect: { status: 'training', owner } },
        );
        assert.deepEqual(interrupted, {
          ...put,
          status: 'interrupted',
          error: 'its process was killed',
          updatedAt: interrupted.updatedAt,
        });
        // Expecting what is no longer there: refused, naming the field, and nothing written.
        const before = await snapshot(store, fx);
        await assert.rejects(
          store.updateModel('m', { status: 'interrupted' }, { expect: { status: 'training' } }),
          (err: Error) => {
            assert.ok(err instanceof InputError);
            assert.match(
              err.message,
              /^model m changed meanwhile: its status is "interrupted", not "training"/,
            );
            return true;
          },
        );
        await assert.rejects(
          store.updateModel('m', { epochs: 3 }, { expect: { owner: 'lab-9:1' } }),
          /its owner is "lab-1:4242:98765", not "lab-9:1"/,
        );
        await assert.rejects(
          store.updateModel('m', {}, { expect: { status: 'paused' as never } }),
          InputError,
        );
        await assert.rejects(
          store.updateModel('nope', {}, { expect: { status: 'training' } }),
          /model nope does not exist/,
        );
        assert.deepEqual(await snapshot(store, fx), before);
        // Resumed by another process: a new owner; null clears it; a replacing put without one has none.
        const resumed = await store.updateModel(
          'm',
          { status: 'training', owner: 'lab-1:5000:123', error: null },
          { expect: { owner } },
        );
        assert.deepEqual(
          [resumed.status, resumed.owner, resumed.error],
          ['training', 'lab-1:5000:123', null],
        );
        assert.deepEqual((await store.listAudit()).at(-1)?.details, {
          status: 'training',
          owner: 'lab-1:5000:123',
          error: null,
        });
        assert.equal((await store.updateModel('m', { owner: null })).owner, null);
        await store.updateModel('m', { owner });
        assert.equal((await store.putModel(modelInput('m'))).owner, null);
        await assert.rejects(store.putModel(modelInput('m', { owner: '' })), InputError);
        await assert.rejects(store.putModel(modelInput('m', { status: 'paused' as never })), InputError);
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('updateModel of an unknown model is refused with InputError and writes nothing', () =>
      withStore(async (store, fx) => {
        await store.putModel(modelInput('m'));
        const before = await snapshot(store, fx);
        await assert.rejects(store.updateModel('other', { status: 'done' }), (err: Error) => {
          assert.ok(err instanceof InputError);
          assert.match(err.message, /model other does not exist/);
          return true;
        });
        await assert.rejects(store.updateModel('M', { epochs: 2 }), InputError, 'names are case-sensitive');
        assert.deepEqual(await snapshot(store, fx), before);
      }));

    test('listModels is sorted by name; deleteModel forgets one and audits it', () =>
      withStore(async (store) => {
        for (const name of ['b', 'a', 'Zeta', 'é', '10', '9']) await store.putModel(modelInput(name));
        assert.deepEqual(
          (await store.listModels()).map((m) => m.name),
          ['10', '9', 'Zeta', 'a', 'b', 'é'],
        );
        await store.updateModel('b', { status: 'done', epochs: 7 });
        assert.equal(await store.deleteModel('b', { actor: 'analyst-7' }), true);
        assert.equal(await store.getModel('b'), undefined);
        assert.equal(await store.deleteModel('b'), false);
        await assert.rejects(store.updateModel('b', { epochs: 8 }), InputError);
        assert.deepEqual(
          (await store.listModels()).map((m) => m.name),
          ['10', '9', 'Zeta', 'a', 'é'],
        );
        const audit = await store.listAudit();
        assert.equal(audit.length, 8);
        const last = audit.at(-1);
        assert.deepEqual(
          [last?.actor, last?.action, last?.subject, last?.details],
          ['analyst-7', 'model.delete', 'model:b', { status: 'done', epochs: 7 }],
        );
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('bad data set or model input is refused with InputError before anything is written', () =>
      withStore(async (store, fx) => {
        await store.putDataset(datasetInput('ds', 1));
        await store.putModel(modelInput('m'));
        const before = await snapshot(store, fx);
        const ds = (extra: Record<string, unknown>) => () =>
          store.putDataset({ ...datasetInput('ds', 2), ...extra });
        const md = (extra: Record<string, unknown>) => () => store.putModel({ ...modelInput('m'), ...extra });
        const up = (patch: Record<string, unknown>) => () => store.updateModel('m', patch);
        const bad: [string, RegExp, () => Promise<unknown>][] = [
          ['empty name', /dataset\.name/, ds({ name: '' })],
          ['name with spaces around', /dataset\.name/, ds({ name: 'ds ' })],
          ['relative path', /dataset\.path/, ds({ path: 'data/ds' })],
          ['bad manifest hash', /dataset\.manifestSha256/, ds({ manifestSha256: 'ABC' })],
          ['input missing', /dataset\.input/, ds({ input: undefined })],
          ['zero crop', /dataset\.crop/, ds({ crop: 0 })],
          ['fractional crop', /dataset\.crop/, ds({ crop: 25.5 })],
          ['no classes', /dataset\.classes/, ds({ classes: [] })],
          ['class not a name', /dataset\.classes\[1\]/, ds({ classes: ['a', ''] })],
          ['class twice', /dataset\.classes/, ds({ classes: ['a', 'b', 'a'] })],
          ['negative count', /dataset\.counts\.val/, ds({ counts: { train: 1, val: -1, test: 0 } })],
          ['count missing', /dataset\.images\.test/, ds({ images: { train: 1, val: 1 } })],
          ['NaN in params', /dataset\.params\.x/, ds({ params: { x: NaN } })],
          ['bad actor', /dataset\.actor/, ds({ actor: '' })],
          ['relative model path', /model\.path/, md({ path: './m' })],
          ['dataset not a name', /model\.dataset/, md({ dataset: '' })],
          ['dataset undefined', /model\.dataset/, md({ dataset: undefined })],
          ['unknown status', /model\.status/, md({ status: 'paused' })],
          ['negative epochs', /model\.epochs/, md({ epochs: -1 })],
          ['accuracy above 1', /model\.bestValAccuracy/, md({ bestValAccuracy: 1.01 })],
          ['accuracy NaN', /model\.bestValAccuracy/, md({ bestValAccuracy: NaN })],
          ['accuracy undefined', /model\.bestValAccuracy/, md({ bestValAccuracy: undefined })],
          ['curves not an array', /model\.curves/, md({ curves: {} })],
          ['curve not an object', /model\.curves\[1\]/, md({ curves: [epochCurve(1), 3] })],
          ['Infinity in a curve', /model\.curves\[0\]\.loss/, md({ curves: [{ loss: Infinity }] })],
          ['metrics an array', /model\.metrics/, md({ metrics: [] })],
          ['config a Map', /model\.config/, md({ config: new Map() })],
          ['empty error', /model\.error/, md({ error: '' })],
          ['model without network', /model\.network/, md({ network: undefined })],
          ['patch status', /patch\.status/, up({ status: 'gone' })],
          ['patch epochs', /patch\.epochs/, up({ epochs: 1.5 })],
          ['patch accuracy', /patch\.bestValAccuracy/, up({ bestValAccuracy: -0.1 })],
          ['patch curves', /patch\.curves\[0\]/, up({ curves: [null] })],
          ['patch metrics', /patch\.metrics\.f/, up({ metrics: { f: () => 1 } })],
          ['patch error', /patch\.error/, up({ error: 42 })],
          ['patch not an object', /patch/, () => store.updateModel('m', null as never)],
          ['model name', /name/, () => store.updateModel('', {})],
          ['get with a bad name', /name/, () => store.getDataset(' x')],
          ['delete with a bad actor', /options\.actor/, () => store.deleteModel('m', { actor: '' })],
        ];
        for (const [what, message, call] of bad) {
          await assert.rejects(call, (err: Error) => {
            assert.ok(err instanceof InputError, `${what}: ${String(err)}`);
            assert.match(err.message, message, what);
            return true;
          });
        }
        assert.deepEqual(await snapshot(store, fx), before);
      }));

    test('a data set or model write whose audit entry fails leaves the store as it was', () =>
      withStore(async (store, fx) => {
        await store.putDataset(datasetInput('ds', 1));
        await store.putModel(modelInput('m'));
        const before = await snapshot(store, fx);
        await fx.injectFailure('audit_log');
        await assert.rejects(store.putDataset(datasetInput('ds', 2)));
        await assert.rejects(store.putDataset(datasetInput('new', 3)));
        await assert.rejects(store.deleteDataset('ds'));
        await assert.rejects(store.putModel({ ...modelInput('m'), status: 'done' }));
        await assert.rejects(store.putModel(modelInput('new')));
        await assert.rejects(store.updateModel('m', { status: 'done', epochs: 2 }));
        await assert.rejects(store.deleteModel('m'));
        assert.deepEqual(await snapshot(store, fx), before);
        await fx.clearFailure('audit_log');
        // A database error in the table itself.
        for (const table of ['datasets', 'models']) await fx.injectFailure(table);
        await assert.rejects(store.putDataset(datasetInput('new', 3)));
        await assert.rejects(store.putModel(modelInput('new')));
        assert.deepEqual(await snapshot(store, fx), before);
        for (const table of ['datasets', 'models']) await fx.clearFailure(table);
        // The store works on afterwards.
        await store.updateModel('m', { epochs: 2 });
        assert.equal((await store.getModel('m'))?.epochs, 2);
        assert.equal((await store.verifyAudit()).ok, true);
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

    test('JPEG tables: a set is kept once per camera and counts the distinct images that showed it', () =>
      withStore(async (store) => {
        const first = await store.putJpegTables({
          camera: 'nikon',
          model: 'D70',
          // the third set repeats the first: merged, sources pooled
          sets: [jpegTableSet(1, ['a', 'b']), jpegTableSet(2, ['c']), jpegTableSet(1, ['b', 'd'])],
        });
        assert.equal(first.length, 2);
        const one = first.find((r) => r.quality === jpegTableSet(1, []).quality);
        assert.ok(one);
        assert.equal(one.images, 3);
        assert.equal(one.model, 'D70');
        assert.deepEqual(one.tables, jpegTableSet(1, []).tables);
        assert.match(one.tablesSha256, /^[0-9a-f]{64}$/);
        // Adding the same tables again from one known and one new image.
        await tick();
        const again = await store.putJpegTables({ camera: 'nikon', sets: [jpegTableSet(1, ['a', 'e'])] });
        assert.equal(again.length, 1);
        assert.equal(again[0].tablesSha256, one.tablesSha256);
        assert.equal(again[0].images, 4);
        assert.equal(again[0].createdAt, one.createdAt);
        assert.ok(again[0].updatedAt > one.updatedAt);
        // The same tables under another camera are that camera's own entry.
        await store.putJpegTables({ camera: 'canon', sets: [jpegTableSet(1, ['z'])] });
        const all = await store.listJpegTables();
        assert.deepEqual(
          all.map((r) => [r.camera, r.images]),
          [['canon', 1], ...(await store.listJpegTables('nikon')).map((r) => [r.camera, r.images])],
        );
        assert.equal(all.length, 3);
        assert.deepEqual(await store.listJpegTables('nobody'), []);
        const audit = (await store.listAudit()).filter((a) => a.action === 'jpeg-tables.put');
        assert.equal(audit.length, 3);
        assert.equal(audit[0].subject, 'camera:nikon');
        assert.equal((audit[0].details.sets as unknown[]).length, 2);
        assert.deepEqual((await store.verifyAudit()).ok, true);
        assert.ok(await store.getImage(sha256Of('e')), 'the sources are recorded as images');
      }));

    test('a defect map replaces the previous one and comes back sorted, with an audit entry', () =>
      withStore(async (store, fx) => {
        const input = defectMapInput('cam', 1, 6, { model: 'SimCam' });
        const rec = await store.putDefectMap(input);
        assert.equal(rec.camera, 'cam');
        assert.equal(rec.model, 'SimCam');
        assert.deepEqual([rec.width, rec.height, rec.frames], [64, 48, 20]);
        assert.deepEqual(rec.params, input.params);
        assert.equal(rec.defects.length, 6);
        const sorted = [...input.defects].sort((a, b) => a.y - b.y || a.x - b.x);
        assert.deepEqual(rec.defects, sorted);
        assert.deepEqual(await store.getDefectMap('cam'), rec);
        const replaced = await store.putDefectMap(defectMapInput('cam', 2, 3));
        assert.equal(replaced.defects.length, 3);
        await store.putDefectMap(defectMapInput('other', 3, 0));
        assert.deepEqual(
          (await store.listDefectMaps()).map((m) => [m.camera, m.defects.length]),
          [
            ['cam', 3],
            ['other', 0],
          ],
        );
        assert.equal(await store.getDefectMap('nobody'), undefined);
        const audit = (await store.listAudit()).filter((a) => a.action === 'defect-map.put');
        assert.deepEqual(
          audit.map((a) => [a.subject, a.details.defects, a.details.replaced]),
          [
            ['camera:cam', 6, null],
            ['camera:cam', 3, 6],
            ['camera:other', 0, null],
          ],
        );
        assert.equal(await count(fx, 'defect_maps'), 2);
      }));

    test('an input file at intake is recorded with an audit entry naming its SHA-256', () =>
      withStore(async (store) => {
        const image = imageInput('photo', { exif: { Model: 'D70' } });
        const entry = await store.recordEvidence({
          image,
          action: 'image.inspect',
          details: { quality: 96 },
        });
        assert.equal(entry.subject, `image:${image.sha256}`);
        assert.deepEqual(entry.details, { path: image.path, quality: 96 });
        assert.equal((await store.getImage(image.sha256))?.path, image.path);
        // a second sighting: a second entry, the image kept as first seen
        await store.recordEvidence({ image: { ...image, path: '/elsewhere.jpg' }, action: 'image.inspect' });
        assert.equal((await store.getImage(image.sha256))?.path, image.path);
        const audit = await store.listAudit();
        assert.deepEqual(
          audit.map((a) => a.details.path),
          [image.path, '/elsewhere.jpg'],
        );
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('bad evidence input is refused with InputError before anything is written', () =>
      withStore(async (store, fx) => {
        await store.putDefectMap(defectMapInput('cam', 1));
        await store.putJpegTables({ camera: 'cam', sets: [jpegTableSet(1, ['a'])] });
        const before = await snapshot(store, fx);
        const map = defectMapInput('cam', 2);
        const bad: [string, () => Promise<unknown>][] = [
          ['no sets', () => store.putJpegTables({ camera: 'cam', sets: [] })],
          ['set without sources', () => store.putJpegTables({ camera: 'cam', sets: [jpegTableSet(1, [])] })],
          [
            'quality 0',
            () => store.putJpegTables({ camera: 'cam', sets: [{ ...jpegTableSet(1, ['a']), quality: 0 }] }),
          ],
          [
            'tables with NaN',
            () =>
              store.putJpegTables({
                camera: 'cam',
                sets: [{ ...jpegTableSet(1, ['a']), tables: { q: NaN } }],
              }),
          ],
          ['bad camera', () => store.putJpegTables({ camera: '', sets: [jpegTableSet(1, ['a'])] })],
          [
            'defect outside the frame',
            () => store.putDefectMap({ ...map, defects: [{ x: 64, y: 0, kind: 'hot', score: 9, hits: 3 }] }),
          ],
          [
            'defect listed twice',
            () => store.putDefectMap({ ...map, defects: [map.defects[0], { ...map.defects[0] }] }),
          ],
          [
            'unknown kind',
            () => store.putDefectMap({ ...map, defects: [{ ...map.defects[0], kind: 'warm' as never }] }),
          ],
          ['zero frames', () => store.putDefectMap({ ...map, frames: 0 })],
          ['bad source', () => store.putDefectMap({ ...map, sources: [imageInput('q', { sha256: 'x' })] })],
          ['evidence without action', () => store.recordEvidence({ image: imageInput('q'), action: '' })],
          [
            'evidence with a bad image',
            () => store.recordEvidence({ image: imageInput('q', { width: 0 }), action: 'image.inspect' }),
          ],
        ];
        for (const [what, call] of bad) await assert.rejects(call, InputError, what);
        assert.deepEqual(await snapshot(store, fx), before);
        // a failure inside the database leaves everything as it was too
        await fx.injectFailure('audit_log');
        await assert.rejects(store.putDefectMap(defectMapInput('cam', 5)));
        await assert.rejects(store.putJpegTables({ camera: 'cam', sets: [jpegTableSet(3, ['n'])] }));
        await assert.rejects(store.recordEvidence({ image: imageInput('n'), action: 'image.inspect' }));
        await fx.clearFailure('audit_log');
        assert.deepEqual(await snapshot(store, fx), before);
      }));

    test('a case is created with its fields, updated field by field, listed by name, and audited', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.listCases(), []);
        assert.equal(await store.getCase('2025-017'), undefined);
        const bare = await store.putCase({ name: 'b-case' });
        assert.deepEqual(
          [bare.name, bare.title, bare.question, bare.examiner, bare.cameras],
          ['b-case', '', '', '', []],
        );
        assert.equal(bare.createdAt, bare.updatedAt);
        const created = await store.putCase({
          name: '2025-017',
          title: 'Threatening letter photos',
          question: 'Was photo 1 taken with the seized Nikon D70?\nIf not, with which camera?',
          examiner: 'J. Doe',
          cameras: ['Nikon_D70_0', 'Nikon_D70s_1'],
          actor: 'jdoe',
        });
        assert.deepEqual(await store.getCase('2025-017'), created);
        assert.deepEqual(created.cameras, ['Nikon_D70_0', 'Nikon_D70s_1']);
        assert.match(created.question, /\nIf not/);
        assert.deepEqual(
          (await store.listCases()).map((c) => c.name),
          ['2025-017', 'b-case'],
        );
        await tick();
        const updated = await store.putCase({ name: '2025-017', examiner: 'A. Smith', cameras: [] });
        assert.deepEqual(
          { ...updated, updatedAt: created.updatedAt },
          { ...created, examiner: 'A. Smith', cameras: [] },
          'only the given fields change',
        );
        assert.equal(updated.createdAt, created.createdAt);
        assert.ok(updated.updatedAt > created.updatedAt, 'updatedAt moves');
        // Naming the case with nothing to change writes nothing.
        const entries = (await store.listAudit()).length;
        assert.deepEqual(await store.putCase({ name: '2025-017' }), updated);
        assert.equal((await store.listAudit()).length, entries);

        const audit = await store.listAudit();
        assert.deepEqual(
          audit.map((a) => [a.action, a.subject, a.actor]),
          [
            ['case.create', 'case:b-case', 'tester'],
            ['case.create', 'case:2025-017', 'jdoe'],
            ['case.update', 'case:2025-017', 'tester'],
          ],
        );
        assert.deepEqual(audit[1].details, {
          title: created.title,
          question: created.question,
          examiner: 'J. Doe',
          cameras: ['Nikon_D70_0', 'Nikon_D70s_1'],
        });
        assert.deepEqual(audit[2].details, {
          examiner: 'A. Smith',
          cameras: [],
          previous: { examiner: 'J. Doe', cameras: ['Nikon_D70_0', 'Nikon_D70s_1'] },
        });
        assert.equal((await store.verifyAudit()).ok, true);
      }));

    test('an audit entry that names no actor gets the store’s', () =>
      withStore(async (store) => {
        const e = await store.appendAudit({ action: 'case.report', subject: 'case:k1', details: { n: 1 } });
        assert.equal(e.actor, 'tester');
        const named = await store.appendAudit({ actor: 'jdoe', action: 'case.report', subject: 'case:k1' });
        assert.equal(named.actor, 'jdoe');
        await assert.rejects(store.appendAudit({ actor: '', action: 'a', subject: 's' }), InputError);
        assert.deepEqual(
          (await store.listAudit()).map((a) => a.actor),
          ['tester', 'jdoe'],
        );
      }));

    test('files are added to a case once each, in order, with their images and an audit entry each', () =>
      withStore(async (store) => {
        await store.putCase({ name: 'k1' });
        await store.putCase({ name: 'k2' });
        const q1 = imageInput('q1', { width: 3008, height: 2000, exif: { model: 'NIKON D70' } });
        const q2 = imageInput('q2');
        const ref = imageInput('ref', { format: 'png' });
        const added = await store.addCaseFiles(
          'k1',
          [
            { image: q1, role: 'questioned' },
            { image: q2, role: 'questioned' },
            { image: { ...q1, path: '/copy/of/q1.jpg' }, role: 'reference' },
            { image: ref, role: 'reference' },
          ],
          { actor: 'jdoe' },
        );
        assert.deepEqual(
          added.map((f) => [f.case, f.sha256, f.path, f.role, f.width, f.height, f.format]),
          [
            ['k1', q1.sha256, q1.path, 'questioned', 3008, 2000, 'jpeg'],
            ['k1', q2.sha256, q2.path, 'questioned', 640, 480, 'jpeg'],
            ['k1', ref.sha256, ref.path, 'reference', 640, 480, 'png'],
          ],
          'a file given twice in one call is added once, as first given',
        );
        assert.deepEqual(await store.listCaseFiles('k1'), added);
        assert.deepEqual((await store.getImage(q1.sha256))?.exif, { model: 'NIKON D70' });
        const k1 = await store.getCase('k1');
        assert.ok(k1 && k1.updatedAt >= k1.createdAt);

        // Again: a no-op for the files the case has (their first role and path stay); new ones are added.
        await tick();
        const auditBefore = (await store.listAudit()).length;
        const again = await store.addCaseFiles('k1', [
          { image: { ...q2, path: '/moved/q2.jpg' }, role: 'reference' },
          { image: imageInput('q3'), role: 'questioned' },
        ]);
        assert.deepEqual(again[0], added[1]);
        assert.equal(again[1].sha256, sha256Of('q3'));
        assert.deepEqual(
          (await store.listCaseFiles('k1')).map((f) => f.sha256),
          [q1.sha256, q2.sha256, ref.sha256, sha256Of('q3')],
        );
        assert.equal((await store.listAudit()).length, auditBefore + 1);
        const noop = (await store.listAudit()).length;
        assert.deepEqual(await store.addCaseFiles('k1', [{ image: q1, role: 'questioned' }]), [added[0]]);
        assert.deepEqual(await store.addCaseFiles('k1', []), []);
        assert.equal((await store.listAudit()).length, noop, 'nothing new, nothing audited');

        // The same image in another case is that case's file.
        const [inK2] = await store.addCaseFiles('k2', [
          { image: { ...q1, path: '/k2/q1.jpg' }, role: 'reference' },
        ]);
        assert.deepEqual([inK2.case, inK2.path, inK2.role], ['k2', '/k2/q1.jpg', 'reference']);
        assert.equal((await store.listCaseFiles('k1'))[0].path, q1.path);
        assert.deepEqual(await store.listCaseNotes('k2'), []);

        const audit = (await store.listAudit()).filter((a) => a.action === 'case.add-file');
        assert.deepEqual(
          audit.map((a) => [a.subject, a.actor, a.details]),
          [
            ['case:k1', 'jdoe', { sha256: q1.sha256, role: 'questioned', path: q1.path }],
            ['case:k1', 'jdoe', { sha256: q2.sha256, role: 'questioned', path: q2.path }],
            ['case:k1', 'jdoe', { sha256: ref.sha256, role: 'reference', path: ref.path }],
            ['case:k1', 'tester', { sha256: sha256Of('q3'), role: 'questioned', path: '/evidence/q3.jpg' }],
            ['case:k2', 'tester', { sha256: q1.sha256, role: 'reference', path: '/k2/q1.jpg' }],
          ],
        );
        assert.equal((await store.verifyAudit()).ok, true);
        assert.deepEqual([...CASE_FILE_ROLES], ['questioned', 'reference']);
      }));

    test('case notes are kept in order with their actor, and audited', () =>
      withStore(async (store) => {
        await store.putCase({ name: 'k1' });
        const a = await store.addCaseNote('k1', 'Received the SD card sealed, bag 4411.');
        await tick();
        const b = await store.addCaseNote('k1', 'Two lines:\nflat-fields shot at the lab.', {
          actor: 'jdoe',
        });
        assert.deepEqual(
          [a.case, a.text, a.actor],
          ['k1', 'Received the SD card sealed, bag 4411.', 'tester'],
        );
        assert.ok(b.id > a.id && b.createdAt > a.createdAt);
        assert.deepEqual(await store.listCaseNotes('k1'), [a, b]);
        assert.equal((await store.getCase('k1'))?.updatedAt, b.createdAt, 'a note changes the case');
        const audit = (await store.listAudit()).filter((e) => e.action === 'case.note');
        assert.deepEqual(
          audit.map((e) => [e.subject, e.actor, e.details]),
          [
            ['case:k1', 'tester', { note: a.id, text: a.text }],
            ['case:k1', 'jdoe', { note: b.id, text: b.text }],
          ],
        );
      }));

    test('bad case input, or an unknown case, is refused with InputError before anything is written', () =>
      withStore(async (store, fx) => {
        await store.putCase({ name: 'k1', cameras: ['cam'] });
        await store.addCaseFiles('k1', [{ image: imageInput('q1'), role: 'questioned' }]);
        await store.addCaseNote('k1', 'first');
        const before = await snapshot(store, fx);
        const q = { image: imageInput('q9'), role: 'questioned' as const };
        const bad: [string, () => Promise<unknown>][] = [
          ['empty name', () => store.putCase({ name: '' })],
          ['name with spaces around', () => store.putCase({ name: ' k1' })],
          ['name with a control character', () => store.putCase({ name: 'k\u0007' })],
          ['title with a line break', () => store.putCase({ name: 'k2', title: 'a\nb' })],
          ['title not text', () => store.putCase({ name: 'k2', title: 5 as never })],
          ['camera listed twice', () => store.putCase({ name: 'k2', cameras: ['a', 'a'] })],
          ['empty camera name', () => store.putCase({ name: 'k1', cameras: [''] })],
          ['cameras not an array', () => store.putCase({ name: 'k1', cameras: 'cam' as never })],
          ['bad actor', () => store.putCase({ name: 'k2', actor: '' })],
          ['unknown case', () => store.addCaseFiles('nope', [q])],
          ['unknown role', () => store.addCaseFiles('k1', [{ ...q, role: 'suspect' as never }])],
          ['bad image', () => store.addCaseFiles('k1', [{ ...q, image: imageInput('x', { sha256: 'x' }) }])],
          ['files not an array', () => store.addCaseFiles('k1', q as never)],
          ['bad case name', () => store.addCaseFiles('', [q])],
          ['note for an unknown case', () => store.addCaseNote('nope', 'text')],
          ['empty note', () => store.addCaseNote('k1', '  ')],
          ['note not text', () => store.addCaseNote('k1', 7 as never)],
          ['note with a bad actor', () => store.addCaseNote('k1', 'x', { actor: ' a' })],
          ['files of an unknown case', () => store.listCaseFiles('nope')],
          ['notes of an unknown case', () => store.listCaseNotes('nope')],
        ];
        for (const [what, call] of bad) await assert.rejects(call, InputError, what);
        assert.deepEqual(await snapshot(store, fx), before);
        // A failure inside the database leaves everything as it was too.
        await fx.injectFailure('audit_log');
        await assert.rejects(store.putCase({ name: 'k2' }));
        await assert.rejects(store.putCase({ name: 'k1', title: 'changed' }));
        await assert.rejects(store.addCaseFiles('k1', [q]));
        await assert.rejects(store.addCaseNote('k1', 'second'));
        await fx.clearFailure('audit_log');
        await fx.injectFailure('case_files');
        await assert.rejects(store.addCaseFiles('k1', [q]));
        await fx.clearFailure('case_files');
        assert.deepEqual(await snapshot(store, fx), before);
      }));

    test('a version-4 database migrates to version 5 (owners) and keeps its data', async () => {
      const fx = await makeFixture();
      let store: Store | undefined;
      try {
        store = await fx.openAtVersion(4);
        await store.putFingerprint(fingerprintInput('cam', 1));
        await store.putDataset(datasetInput('ds', 1));
        await store.putCase({ name: 'k1', cameras: ['cam'] });
        await insertJobBefore5(fx, 'job-1', '2024-01-02T03:04:05.678Z');
        await insertModelBefore5(fx, 'm', '2024-05-06T07:08:09.010Z');
        const before = await snapshot(store, fx, 4);
        await assert.rejects(fx.raw('SELECT worker FROM jobs'), 'no jobs.worker at version 4');
        await assert.rejects(
          fx.raw("UPDATE models SET status = 'interrupted'"),
          'no status interrupted at version 4',
        );
        await store.close();
        store = await openStore(fx.options);
        assert.ok((await store.info()).schemaVersion >= 5);
        const migrations = await fx.raw('SELECT version, name FROM schema_migrations ORDER BY version');
        assert.deepEqual(migrations[4] && [Number(migrations[4].version), migrations[4].name], [5, 'owners']);
        assert.deepEqual(await snapshot(store, fx, 4), before);
        // The old rows: no worker, backend or owner (no process to check: recovery leaves them).
        const job = await store.getJob('job-1');
        assert.deepEqual(
          [job?.status, job && 'worker' in job, job && 'backend' in job],
          ['done', false, false],
        );
        const m = await store.getModel('m');
        assert.deepEqual(
          [m?.status, m?.owner, m?.epochs, m?.curves, m?.createdAt],
          ['training', null, 1, [{ epoch: 1 }], '2024-05-06T07:08:09.010Z'],
        );
        // The new columns and status work, and the audit chain goes on.
        const updated = await store.updateModel('m', { status: 'interrupted', owner: 'h:1:2' });
        assert.deepEqual([updated.status, updated.owner], ['interrupted', 'h:1:2']);
        await store.createJob({ id: 'job-2', kind: 'train', worker: 'h:1:2', backend: 'in-process' });
        assert.equal((await store.getJob('job-2'))?.worker, 'h:1:2');
        await store.putModel(modelInput('n', { owner: 'h:1:2' }));
        assert.deepEqual(
          (await store.listModels()).map((x) => x.name),
          ['m', 'n'],
        );
        assert.equal((await store.verifyAudit()).ok, true);
        await store.close();
        store = undefined;
        await assert.rejects(fx.openAtVersion(4), /newer camprint/);
      } finally {
        await store?.close();
        await fx.destroy();
      }
    });

    test('a version-3 database migrates to version 4 (cases) and keeps its data', async () => {
      const fx = await makeFixture();
      let store: Store | undefined;
      try {
        store = await fx.openAtVersion(3);
        await store.putFingerprint(fingerprintInput('cam', 1));
        await store.recordMatch(matchInput('q1'));
        await store.putDefectMap(defectMapInput('cam', 1));
        const before = await snapshot(store, fx, 3);
        await assert.rejects(fx.raw('SELECT count(*) AS n FROM cases'), 'no cases at version 3');
        await store.close();
        store = await openStore(fx.options);
        assert.ok((await store.info()).schemaVersion >= 4);
        const migrations = await fx.raw('SELECT version, name FROM schema_migrations ORDER BY version');
        assert.deepEqual(migrations[3] && [Number(migrations[3].version), migrations[3].name], [4, 'cases']);
        assert.deepEqual(await snapshot(store, fx, 3), before);
        assert.deepEqual(await store.listCases(), []);
        // The images already known are the case's files; the audit chain goes on.
        await store.putCase({ name: 'k1', cameras: ['cam'] });
        const [f] = await store.addCaseFiles('k1', [
          { image: imageInput('q1', { path: '/new.jpg' }), role: 'questioned' },
        ]);
        assert.deepEqual([f.sha256, f.path], [sha256Of('q1'), '/new.jpg']);
        assert.equal((await store.listMatches({ imageSha256: f.sha256 })).length, 1);
        assert.equal((await store.verifyAudit()).ok, true);
        await store.close();
        store = undefined;
        await assert.rejects(fx.openAtVersion(3), /newer camprint/);
      } finally {
        await store?.close();
        await fx.destroy();
      }
    });

    test('a version-2 database migrates to version 3 and keeps its data', async () => {
      const fx = await makeFixture();
      let store: Store | undefined;
      try {
        store = await fx.openAtVersion(2);
        assert.equal((await store.info()).schemaVersion, 2);
        await store.putFingerprint(fingerprintInput('cam', 1, { model: 'M' }));
        await store.putDataset(datasetInput('ds', 1));
        await insertModelBefore5(fx, 'm', '2024-05-06T07:08:09.010Z');
        const before = await snapshot(store, fx, 2);
        await assert.rejects(fx.raw('SELECT count(*) AS n FROM defect_maps'), 'no defect_maps at version 2');
        await store.close();
        store = await openStore(fx.options);
        assert.ok((await store.info()).schemaVersion >= 3);
        const migrations = await fx.raw('SELECT version, name FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          migrations.slice(0, 3).map((m) => [Number(m.version), m.name]),
          [
            [1, 'initial'],
            [2, 'datasets and models'],
            [3, 'evidence'],
          ],
        );
        assert.deepEqual(await snapshot(store, fx, 2), before);
        assert.deepEqual(await store.listJpegTables(), []);
        assert.deepEqual(await store.listDefectMaps(), []);
        await store.putDefectMap(defectMapInput('cam', 1));
        await store.putJpegTables({ camera: 'cam', sets: [jpegTableSet(1, ['a'])] });
        assert.equal((await store.getDefectMap('cam'))?.model, 'M', 'the existing camera row is used');
        assert.equal((await store.verifyAudit()).ok, true);
        await store.close();
        store = undefined;
        await assert.rejects(fx.openAtVersion(2), /newer camprint/);
      } finally {
        await store?.close();
        await fx.destroy();
      }
    });

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

    test('a version-1 database migrates to the current schema and keeps its data', async () => {
      const fx = await makeFixture();
      let store: Store | undefined;
      try {
        // Written by a camprint whose schema stops at version 1 (no data sets, no models).
        store = await fx.openAtVersion(1);
        assert.equal((await store.info()).schemaVersion, 1);
        await store.putFingerprint(fingerprintInput('cam', 1, { model: 'M' }));
        await store.recordMatch(matchInput('q1'));
        await insertJobBefore5(fx, 'job-1', '2024-01-02T03:04:05.678Z');
        await store.appendAudit({ actor: 'tester', action: 'case.open', subject: 'case:1' });
        const before = await snapshot(store, fx, 1);
        const v1 = await fx.raw('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          v1.map((m) => Number(m.version)),
          [1],
        );
        await assert.rejects(fx.raw('SELECT count(*) AS n FROM models'), 'no models table at version 1');
        await store.close();

        store = await openStore(fx.options);
        const info = await store.info();
        assert.ok(info.schemaVersion >= 2);
        const migrations = await fx.raw(
          'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
        );
        assert.deepEqual(migrations[0], v1[0], 'version 1 is not applied again');
        assert.deepEqual(
          migrations.map((m) => [Number(m.version), m.name]),
          [
            [1, 'initial'],
            [2, 'datasets and models'],
            ...migrations.slice(2).map((m) => [Number(m.version), m.name]),
          ],
        );
        assert.deepEqual(await snapshot(store, fx, 1), before);
        assert.deepEqual(await store.getJob('job-1'), {
          id: 'job-1',
          kind: 'extract',
          status: 'done',
          progress: 1,
          params: { n: 1 },
          result: { ok: true },
          createdAt: '2024-01-02T03:04:05.678Z',
          updatedAt: '2024-01-02T03:04:05.678Z',
        });
        assert.deepEqual(await store.listDatasets(), []);
        assert.deepEqual(await store.listModels(), []);
        // The new tables work, and the audit chain goes on from the old entries.
        await store.putDataset(datasetInput('ds', 1));
        await store.putModel(modelInput('m'));
        await store.updateModel('m', { status: 'done' });
        const audit = await store.listAudit();
        assert.deepEqual(
          audit.slice(-3).map((a) => a.action),
          ['dataset.put', 'model.put', 'model.update'],
        );
        assert.deepEqual(await store.verifyAudit(), {
          ok: true,
          entries: audit.length,
          headHash: audit.at(-1)?.hash,
        });
        await store.close();
        store = undefined;
        // The older camprint now refuses the database rather than misread it.
        await assert.rejects(fx.openAtVersion(1), /newer camprint/);
      } finally {
        await store?.close();
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
