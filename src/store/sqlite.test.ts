import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { InputError } from '../util/errors.js';
import { runStoreContract, type StoreFixture } from './contract.js';
import { datasetInput, fingerprintInput, modelInput } from './contract-data.js';
import { DATABASE_FILE, openStore } from './index.js';
import { openSqliteStore } from './sqlite.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';

/** A fresh data directory under the system temp dir, with raw better-sqlite3 access to its database. */
async function makeSqliteFixture(): Promise<StoreFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'camprint-store-'));
  const file = join(dataDir, DATABASE_FILE);
  function withDb<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(file, { timeout: 10_000, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }
  return {
    options: { dataDir, actor: 'tester', databaseUrl: null },
    raw: async (sql, params = []) =>
      withDb((db) => {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
        stmt.run(...params);
        return [];
      }),
    disableAuditGuard: async () => {
      withDb((db) => db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;'));
    },
    injectFailure: async (table) => {
      const sql = `CREATE TRIGGER test_fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`;
      withDb((db) => db.exec(sql));
    },
    clearFailure: async (table) => {
      withDb((db) => db.exec(`DROP TRIGGER test_fail_${table}`));
    },
    openAtVersion: async (version) =>
      openSqliteStore({
        file,
        actor: 'tester',
        busyTimeoutMs: 10_000,
        migrations: SQLITE_MIGRATIONS.slice(0, version),
      }),
    destroy: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

runStoreContract('sqlite', makeSqliteFixture);

describe('SQLite store', () => {
  test('creates the data directory (0700) and a WAL database in it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'camprint-store-'));
    try {
      const dataDir = join(root, 'a', 'b');
      const store = await openStore({ dataDir });
      const info = await store.info();
      assert.equal(info.backend, 'sqlite');
      assert.equal(info.location, join(dataDir, DATABASE_FILE));
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      await store.putFingerprint(fingerprintInput('cam', 1));
      assert.ok(existsSync(`${info.location}-wal`));
      const db = new Database(info.location, { readonly: true });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      db.close();
      await store.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a file that is not a camprint database is refused with InputError', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'camprint-store-'));
    try {
      writeFileSync(join(dataDir, DATABASE_FILE), 'this is not a database, it is a text file '.repeat(200));
      await assert.rejects(
        openStore({ dataDir }),
        (err: Error) => err instanceof InputError && /not a camprint database/.test(err.message),
      );
      rmSync(join(dataDir, DATABASE_FILE));
      const foreign = new Database(join(dataDir, DATABASE_FILE));
      foreign.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY)');
      foreign.close();
      await assert.rejects(openStore({ dataDir }), /has a table "photos" but no schema_migrations/);
      const after = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
      assert.equal(after.pragma('journal_mode', { simple: true }), 'delete');
      after.close();
      writeFileSync(join(dataDir, 'file'), 'x');
      await assert.rejects(openStore({ dataDir: join(dataDir, 'file') }), InputError);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a blob of the wrong length or content is reported as corruption', async () => {
    const fx = await makeSqliteFixture();
    const store = await openStore(fx.options);
    try {
      await store.putFingerprint(fingerprintInput('short', 1));
      await store.putFingerprint(fingerprintInput('flipped', 2));
      const db = new Database(join(fx.options.dataDir, DATABASE_FILE));
      db.pragma('ignore_check_constraints = ON');
      db.prepare(
        "UPDATE fingerprints SET data = zeroblob(10) WHERE camera_id = (SELECT id FROM cameras WHERE name = 'short')",
      ).run();
      const flipped = db
        .prepare(
          "SELECT data FROM fingerprints WHERE camera_id = (SELECT id FROM cameras WHERE name = 'flipped')",
        )
        .get() as { data: Buffer };
      flipped.data[17] ^= 1;
      db.prepare(
        "UPDATE fingerprints SET data = ? WHERE camera_id = (SELECT id FROM cameras WHERE name = 'flipped')",
      ).run(flipped.data);
      db.close();
      await assert.rejects(store.getFingerprint('short'), (err: Error) => {
        assert.ok(err instanceof InputError);
        assert.match(
          err.message,
          /fingerprint short \(8×6\): stored data has 10 bytes but 48 float32 values need 192/,
        );
        return true;
      });
      await assert.rejects(store.getFingerprint('flipped'), /flipped: stored data has SHA-256 .* corrupt/);
      // The record without the blob still reads.
      assert.equal((await store.getFingerprintRecord('short'))?.camera, 'short');
    } finally {
      await store.close();
      await fx.destroy();
    }
  });

  test('the database keeps the blob length and the audit chain order itself', async () => {
    const fx = await makeSqliteFixture();
    const store = await openStore(fx.options);
    try {
      await store.putFingerprint(fingerprintInput('cam', 1));
      await assert.rejects(fx.raw('UPDATE fingerprints SET width = width + 1'), /CHECK constraint failed/);
      const head = (await store.listAudit()).at(-1);
      assert.ok(head);
      const insert =
        'INSERT INTO audit_log (seq, ts, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
      const h = 'f'.repeat(64);
      await assert.rejects(
        fx.raw(insert, [head.seq + 2, head.ts, 'm', 'a', 's', '{}', head.hash, h]),
        /must follow/,
      );
      await assert.rejects(
        fx.raw(insert, [head.seq + 1, head.ts, 'm', 'a', 's', '{}', '0'.repeat(64), h]),
        /must follow/,
      );
      assert.equal((await store.verifyAudit()).ok, true);
    } finally {
      await store.close();
      await fx.destroy();
    }
  });

  test('the database keeps data set counts, model status and accuracy, and job backends in range itself', async () => {
    const fx = await makeSqliteFixture();
    const store = await openStore(fx.options);
    try {
      await store.putDataset(datasetInput('ds', 1));
      await store.putModel(modelInput('m'));
      await store.createJob({ kind: 'train', backend: 'in-process' });
      // models as migration 5 rebuilt it: STRICT, checked, and its index kept.
      assert.deepEqual(
        await fx.raw(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'models' AND sql IS NOT NULL",
        ),
        [{ name: 'models_dataset' }],
      );
      for (const sql of [
        "UPDATE jobs SET backend = 'kafka'",
        "UPDATE models SET status = 'paused'",
        'UPDATE models SET best_val_accuracy = 1.5',
        'UPDATE models SET epochs = -1',
        "UPDATE models SET epochs = 'three'",
        'UPDATE datasets SET val_crops = -1',
        'UPDATE datasets SET crop = 0',
      ]) {
        await assert.rejects(fx.raw(sql), /CHECK constraint failed|cannot store TEXT value/, sql);
      }
      assert.equal((await store.getModel('m'))?.status, 'training');
    } finally {
      await store.close();
      await fx.destroy();
    }
  });

  test('unreadable JSON in a row is reported as corruption', async () => {
    const fx = await makeSqliteFixture();
    const store = await openStore(fx.options);
    try {
      await store.putFingerprint(fingerprintInput('cam', 1));
      await fx.raw("UPDATE fingerprints SET quality = '{broken'");
      await assert.rejects(
        store.listFingerprints(),
        /fingerprint cam quality: the stored JSON is unreadable/,
      );
      await store.putDataset(datasetInput('ds', 1));
      await store.putModel(modelInput('m'));
      await fx.raw('UPDATE datasets SET classes = \'{"a":1}\'');
      await fx.raw("UPDATE models SET curves = '[1]'");
      await assert.rejects(store.listDatasets(), /dataset ds classes: the stored JSON is unreadable/);
      await assert.rejects(store.getModel('m'), /model m curves: a stored epoch is not an object/);
    } finally {
      await store.close();
      await fx.destroy();
    }
  });
});
