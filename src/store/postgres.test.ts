/**
 * The PostgreSQL store against a real server: the one CAMPRINT_TEST_POSTGRES_URL names (an admin
 * URL), or a throw-away server this file starts from Debian's binaries (postgres-test-server.ts).
 * One server for the whole file; a fresh database per test, owned by a role made for this run
 * (as a lab would set it up), dropped afterwards. Without a server the tests skip, saying why.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { InputError } from '../util/errors.js';
import { runStoreContract, type StoreFixture } from './contract.js';
import {
  datasetInput,
  fingerprintInput,
  imageInput,
  matchInput,
  modelInput,
  words,
} from './contract-data.js';
import { DATABASE_URL_ENV, openStore, selectedDatabaseUrl, type OpenStoreOptions } from './index.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { freePort, startTestServer } from './postgres-test-server.js';
import { BLOB_SLICE, WRITE_ATTEMPTS, describePostgresUrl, openPostgresStore, redactUrl } from './postgres.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import type { Store } from './types.js';

/** A path where no data directory can be made: a store that fell back to SQLite fails loudly. */
const NO_DATA_DIR = '/dev/null/camprint-postgres-test';

/** `?` placeholders (the contract's SQL) as PostgreSQL's `$1, $2, …`, outside quoted text. */
function dollarParams(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? `$${++n}` : m));
}

describe('PostgreSQL store without a server', () => {
  test('has the same migration versions and names as SQLite', () => {
    assert.deepEqual(
      POSTGRES_MIGRATIONS.map((m) => [m.version, m.name]),
      SQLITE_MIGRATIONS.map((m) => [m.version, m.name]),
    );
  });

  test('URLs are described and redacted without their password', () => {
    assert.deepEqual(
      describePostgresUrl('postgresql://lab:s3cret@db.lab.example:6543/prnu?sslmode=disable'),
      {
        location: 'postgresql://lab@db.lab.example:6543/prnu',
        server: 'db.lab.example:6543',
        user: 'lab',
        database: 'prnu',
      },
    );
    assert.equal(describePostgresUrl('postgres://u:p@[::1]/d').server, '[::1]:5432');
    assert.equal(redactUrl('postgresql://u:s3cret@h:x/d'), 'postgresql://u:***@h:x/d');
    assert.equal(redactUrl('postgres://u:s3c/r@t#@h/d'), 'postgres://u:***@h/d');
    assert.equal(redactUrl('postgresql://h/d'), 'postgresql://h/d');
    assert.equal(redactUrl('postgresql://u@/d?host=/run/pg'), 'postgresql://u@/d?host=/run/pg');
    assert.equal(
      describePostgresUrl('postgresql://lab@/prnu?host=/run/pg').location,
      'postgresql://lab@/prnu?host=%2Frun%2Fpg&port=5432',
    );
    assert.equal(
      redactUrl('postgresql://h/d?user=u&password=s3cret'),
      'postgresql://h/d?user=u&password=***',
    );
  });

  test('a URL that is not postgres:// or postgresql:// is refused with InputError, without its password', () => {
    const saved = process.env[DATABASE_URL_ENV];
    try {
      for (const bad of [
        'mysql://u:s3cret@h/db',
        'postgresql://u:s3cret@h:port/db',
        'u:s3cret@localhost/db',
        'postgresql://u:s3cret@h/db?sslcert=/no/such/cert.pem',
      ]) {
        process.env[DATABASE_URL_ENV] = bad;
        assert.throws(
          () => selectedDatabaseUrl({}),
          (err: Error) => {
            assert.ok(err instanceof InputError, `${bad}: ${String(err)}`);
            assert.match(err.message, /CAMPRINT_DATABASE_URL/);
            assert.doesNotMatch(err.message, /s3cret/);
            return true;
          },
        );
        assert.throws(() => selectedDatabaseUrl({ databaseUrl: bad }), /databaseUrl/);
      }
      assert.throws(() => selectedDatabaseUrl({ databaseUrl: '' }), InputError);
      process.env[DATABASE_URL_ENV] = '';
      assert.equal(selectedDatabaseUrl({}), undefined, 'an empty variable is no URL');
      assert.equal(selectedDatabaseUrl({ databaseUrl: null }), undefined);
      process.env[DATABASE_URL_ENV] = 'postgresql://u@h/d';
      assert.equal(
        selectedDatabaseUrl({ databaseUrl: null }),
        undefined,
        'null means SQLite whatever the variable',
      );
      assert.equal(selectedDatabaseUrl({}), 'postgresql://u@h/d');
    } finally {
      if (saved === undefined) delete process.env[DATABASE_URL_ENV];
      else process.env[DATABASE_URL_ENV] = saved;
    }
  });
});

const started = await startTestServer();
if ('skip' in started) {
  test('PostgreSQL store', { skip: started.skip }, () => {});
} else {
  const { server } = started;
  console.log(`# PostgreSQL store tests on ${server.description}`);
  const runId = randomBytes(4).toString('hex');
  const admin = new pg.Pool({ connectionString: server.adminUrl, max: 2 });
  admin.on('error', () => undefined);
  const live = new Set<string>();
  let databases = 0;

  /** The admin URL, or another role's, on another database. */
  const urlFor = (database: string, user?: { name: string; password: string }): string => {
    const u = new URL(server.adminUrl);
    if (user) {
      u.username = user.name;
      u.password = user.password;
    }
    u.pathname = `/${database}`;
    return u.toString();
  };

  // The role camprint logs in as: it owns its database, nothing more (docs/postgres.md). An
  // admin that may not create roles is used itself.
  const app = { name: `camprint_test_${runId}`, password: randomBytes(12).toString('hex') };
  let appRole: { name: string; password: string } | undefined = app;
  try {
    await admin.query(`CREATE ROLE ${app.name} LOGIN PASSWORD '${app.password}'`);
  } catch {
    appRole = undefined;
  }

  after(async () => {
    for (const name of live)
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    if (appRole) await admin.query(`DROP ROLE IF EXISTS ${app.name}`).catch(() => {});
    await admin.end();
    await server.stop();
  });

  /** A fresh, empty database (owned by `owner`, the app role by default) and its URL. */
  async function createDatabase(owner = appRole?.name): Promise<{ name: string; url: string }> {
    const name = `camprint_test_${runId}_${++databases}`;
    await admin.query(`CREATE DATABASE ${name}${owner ? ` OWNER ${owner}` : ''}`);
    live.add(name);
    return { name, url: urlFor(name, appRole) };
  }

  async function dropDatabase(name: string): Promise<void> {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    live.delete(name);
  }

  async function makePostgresFixture(): Promise<StoreFixture> {
    const db = await createDatabase();
    const raw = new pg.Pool({ connectionString: urlFor(db.name), max: 1 });
    raw.on('error', () => undefined);
    const exec = async (sql: string) => {
      await raw.query(sql);
    };
    return {
      options: { dataDir: NO_DATA_DIR, databaseUrl: db.url, actor: 'tester' },
      raw: async (sql, params = []) => (await raw.query(dollarParams(sql), params)).rows,
      disableAuditGuard: () =>
        exec('DROP TRIGGER audit_log_no_update ON audit_log; DROP TRIGGER audit_log_no_delete ON audit_log;'),
      injectFailure: (table) =>
        exec(
          `CREATE OR REPLACE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'injected failure'; END $$;
           CREATE TRIGGER test_fail_${table} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_fail();`,
        ),
      clearFailure: (table) => exec(`DROP TRIGGER test_fail_${table} ON ${table}`),
      openAtVersion: (version) =>
        openPostgresStore({
          url: db.url,
          actor: 'tester',
          busyTimeoutMs: 10_000,
          migrations: POSTGRES_MIGRATIONS.slice(0, version),
        }),
      destroy: async () => {
        await raw.end();
        await dropDatabase(db.name);
      },
    };
  }

  runStoreContract('postgres', makePostgresFixture);

  /** Runs body with a fresh fixture and a store on it; closes and destroys afterwards. */
  async function withStore(body: (store: Store, fx: StoreFixture) => Promise<void>): Promise<void> {
    const fx = await makePostgresFixture();
    const store = await openStore(fx.options);
    try {
      await body(store, fx);
    } finally {
      await store.close();
      await fx.destroy();
    }
  }

  /** Asserts an InputError whose message matches `pattern` and never shows `secret`. */
  function inputError(pattern: RegExp, secret: string) {
    return (err: Error) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes(secret), `the message shows the password: ${err.message}`);
      return true;
    };
  }

  describe('PostgreSQL store', () => {
    test('info names the backend and the server, never the password', () =>
      withStore(async (store, fx) => {
        const info = await store.info();
        const url = new URL(fx.options.databaseUrl as string);
        assert.deepEqual(info, {
          backend: 'postgres',
          location: `postgresql://${url.username}@${url.hostname}:${url.port}${url.pathname}`,
          schemaVersion: POSTGRES_MIGRATIONS.length,
        });
        assert.ok(url.password === '' || !info.location.includes(url.password));
      }));

    test('CAMPRINT_DATABASE_URL selects PostgreSQL; databaseUrl null keeps SQLite', async () => {
      const fx = await makePostgresFixture();
      const saved = process.env[DATABASE_URL_ENV];
      const dataDir = mkdtempSync(join(tmpdir(), 'camprint-store-'));
      try {
        process.env[DATABASE_URL_ENV] = fx.options.databaseUrl as string;
        const viaEnv = await openStore({ dataDir: NO_DATA_DIR, actor: 'tester' });
        assert.equal((await viaEnv.info()).backend, 'postgres');
        await viaEnv.putFingerprint(fingerprintInput('cam', 1));
        await viaEnv.close();
        const local = await openStore({ dataDir, databaseUrl: null });
        assert.equal((await local.info()).backend, 'sqlite');
        assert.deepEqual(await local.listFingerprints(), []);
        await local.close();
        assert.equal(Number((await fx.raw('SELECT count(*) AS n FROM fingerprints'))[0].n), 1);
      } finally {
        if (saved === undefined) delete process.env[DATABASE_URL_ENV];
        else process.env[DATABASE_URL_ENV] = saved;
        rmSync(dataDir, { recursive: true, force: true });
        await fx.destroy();
      }
    });

    test('an unreachable server, a refused login, a missing database and missing rights are told apart', async () => {
      const db = await createDatabase();
      const foreign = await createDatabase(new URL(server.adminUrl).username || undefined);
      try {
        const url = new URL(db.url);
        const open = (u: URL | string, extra: Partial<OpenStoreOptions> = {}) =>
          openStore({ dataDir: NO_DATA_DIR, databaseUrl: u.toString(), ...extra });
        const port = await freePort();
        const down = new URL(url);
        down.hostname = '127.0.0.1';
        down.port = String(port);
        await assert.rejects(
          open(down),
          inputError(
            new RegExp(`cannot reach the PostgreSQL server 127\\.0\\.0\\.1:${port}`),
            url.password || '\0',
          ),
        );
        if (url.password !== '') {
          const wrong = new URL(url);
          wrong.password = 'not-the-password';
          await assert.rejects(
            open(wrong),
            inputError(new RegExp(`refused user "${url.username}"`), 'not-the-password'),
          );
        }
        const anonymous = new URL(url);
        anonymous.password = '';
        if (url.password !== '') {
          await assert.rejects(
            open(anonymous),
            inputError(
              new RegExp(`asks user "${url.username}" for a password and the database URL gives none`),
              url.password,
            ),
          );
        }
        const missing = new URL(url);
        missing.pathname = '/camprint_no_such_database';
        await assert.rejects(
          open(missing),
          inputError(
            /database "camprint_no_such_database" does not exist on the PostgreSQL server/,
            url.password || '\0',
          ),
        );
        if (appRole) {
          // A database the app role does not own: PostgreSQL 15 lets it connect but not create tables.
          const notOwned = new URL(url);
          notOwned.pathname = `/${foreign.name}`;
          await assert.rejects(
            open(notOwned),
            inputError(/may not create camprint's tables/, url.password || '\0'),
          );
        }
      } finally {
        await dropDatabase(db.name);
        await dropDatabase(foreign.name);
      }
    });

    test('a database that is not camprint’s is refused and left untouched', async () => {
      const fx = await makePostgresFixture();
      try {
        await fx.raw('CREATE TABLE photos (id integer PRIMARY KEY)');
        await assert.rejects(
          openStore(fx.options),
          /has a table "photos" but no schema_migrations\); it was left untouched/,
        );
        assert.deepEqual(await fx.raw("SELECT to_regclass('schema_migrations') IS NULL AS absent"), [
          { absent: true },
        ]);
      } finally {
        await fx.destroy();
      }
    });

    test('a 6-megapixel fingerprint (24 MB) goes as a binary parameter and comes back bit-exact, in slices', () =>
      withStore(async (store, fx) => {
        const width = 3000;
        const height = 2000;
        const data = new Float32Array(words(42, width * height).buffer);
        assert.ok(data.byteLength > 2 * BLOB_SLICE, 'the blob spans several slices');
        const record = await store.putFingerprint({ ...fingerprintInput('big', 1), width, height, data });
        const fp = await store.getFingerprint('big');
        assert.ok(fp);
        assert.deepEqual(fp.record, record);
        assert.ok(Buffer.from(fp.data.buffer).equals(Buffer.from(data.buffer)), 'bit-exact');
        const [row] = await fx.raw(
          "SELECT length(data) AS n, attstorage FROM fingerprints, pg_attribute WHERE attrelid = 'fingerprints'::regclass AND attname = 'data'",
        );
        assert.deepEqual(row, { n: width * height * 4, attstorage: 'e' });
      }));

    test('a blob of the wrong content or length is reported as corruption', () =>
      withStore(async (store, fx) => {
        await store.putFingerprint(fingerprintInput('short', 1));
        await store.putFingerprint(fingerprintInput('flipped', 2));
        const which = (camera: string) => `camera_id = (SELECT id FROM cameras WHERE name = '${camera}')`;
        await fx.raw(
          `UPDATE fingerprints SET data = set_byte(data, 17, get_byte(data, 17) # 1) WHERE ${which('flipped')}`,
        );
        await assert.rejects(
          fx.raw(`UPDATE fingerprints SET data = '\\x00' WHERE ${which('short')}`),
          /check constraint/,
        );
        const [check] = await fx.raw(
          "SELECT conname FROM pg_constraint WHERE conrelid = 'fingerprints'::regclass AND pg_get_constraintdef(oid) LIKE '%length(data)%'",
        );
        await fx.raw(`ALTER TABLE fingerprints DROP CONSTRAINT ${String(check.conname)}`);
        await fx.raw(`UPDATE fingerprints SET data = '\\x00000000000000000000' WHERE ${which('short')}`);
        await assert.rejects(store.getFingerprint('short'), (err: Error) => {
          assert.ok(err instanceof InputError);
          assert.match(
            err.message,
            /fingerprint short \(8×6\): stored data has 10 bytes but 48 float32 values need 192/,
          );
          return true;
        });
        await assert.rejects(store.getFingerprint('flipped'), /flipped: stored data has SHA-256 .* corrupt/);
        assert.equal((await store.getFingerprintRecord('short'))?.camera, 'short');
      }));

    test('the database keeps lengths, ranges and the audit chain’s order itself', () =>
      withStore(async (store, fx) => {
        await store.putFingerprint(fingerprintInput('cam', 1));
        await store.putDataset(datasetInput('ds', 1));
        await store.putModel(modelInput('m'));
        await store.createJob({ id: 'job', kind: 'x' });
        for (const sql of [
          'UPDATE fingerprints SET width = width + 1',
          "UPDATE models SET status = 'paused'",
          'UPDATE models SET best_val_accuracy = 1.5',
          'UPDATE models SET epochs = -1',
          'UPDATE datasets SET val_crops = -1',
          'UPDATE datasets SET crop = 0',
          'UPDATE jobs SET progress = 2',
          "UPDATE fingerprints SET quality = '{broken'",
        ]) {
          await assert.rejects(fx.raw(sql), /violates check constraint|invalid input syntax/, sql);
        }
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
        await assert.rejects(fx.raw('TRUNCATE audit_log'), /append-only/);
        assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 3, headHash: head.hash });
      }));

    test('a write that meets a serialization failure or deadlock is retried, a bounded number of times', () =>
      withStore(async (store, fx) => {
        await fx.raw('CREATE SEQUENCE test_conflicts');
        // SECURITY DEFINER: the store's role may not read the test's objects.
        await fx.raw(`CREATE FUNCTION test_conflict() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
          BEGIN
            IF nextval('test_conflicts') <= (SELECT last_value FROM test_limit) THEN
              RAISE EXCEPTION 'injected conflict' USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN NEW;
          END $$`);
        await fx.raw('CREATE TABLE test_limit (last_value bigint)');
        await fx.raw('INSERT INTO test_limit VALUES (2)');
        await fx.raw(
          'CREATE TRIGGER test_conflict BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_conflict()',
        );
        // Two conflicts, then success: one fingerprint, one audit entry.
        await store.putFingerprint(fingerprintInput('cam', 1));
        assert.equal((await store.listAudit()).length, 1);
        assert.equal((await store.listFingerprints()).length, 1);
        assert.equal(Number((await fx.raw('SELECT last_value AS n FROM test_conflicts'))[0].n), 3);
        // Conflicts without end: the write gives up after WRITE_ATTEMPTS tries, leaving nothing.
        await fx.raw('UPDATE test_limit SET last_value = 1000');
        await assert.rejects(store.putFingerprint(fingerprintInput('cam', 2)), (err: Error) => {
          assert.equal((err as { code?: string }).code, '40001');
          return true;
        });
        assert.equal(
          Number((await fx.raw('SELECT last_value AS n FROM test_conflicts'))[0].n),
          3 + WRITE_ATTEMPTS,
        );
        assert.equal((await store.getFingerprintRecord('cam'))?.quality.meanPce, 1001);
        assert.equal((await store.verifyAudit()).entries, 1);
      }));

    test('concurrent writes through several stores keep one linear chain and lose nothing', async () => {
      const fx = await makePostgresFixture();
      const stores = await Promise.all([openStore(fx.options), openStore(fx.options), openStore(fx.options)]);
      try {
        const n = 12;
        const runs: Promise<unknown>[] = [];
        const jobResults: Promise<unknown>[] = [];
        for (const [s, store] of stores.entries()) {
          for (let i = 0; i < n; i++) {
            runs.push(store.putFingerprint(fingerprintInput(`s${s}-${i}`, s * 100 + i)));
            runs.push(
              store.putFingerprint(
                fingerprintInput('shared', s * 100 + i, { sources: [imageInput('common')] }),
              ),
            );
            runs.push(store.recordMatch(matchInput('common')));
            runs.push(
              store.appendAudit({
                actor: 'tester',
                action: 'test.tick',
                subject: `store:${s}`,
                details: { i },
              }),
            );
            runs.push(store.putDataset(datasetInput(`ds-${i % 3}`, s * 100 + i)));
          }
          jobResults.push(store.createJob({ id: 'the-job', kind: 'x' }));
        }
        const settled = Promise.allSettled(jobResults); // handled now: some reject while the rest run
        await Promise.all(runs);
        const jobs = await settled;
        assert.equal(jobs.filter((j) => j.status === 'fulfilled').length, 1, 'one creator wins');
        for (const j of jobs) if (j.status === 'rejected') assert.ok(j.reason instanceof InputError);

        const store = stores[0];
        const audit = await store.listAudit();
        assert.equal(audit.length, stores.length * n * 5);
        assert.deepEqual(await store.verifyAudit(), {
          ok: true,
          entries: audit.length,
          headHash: audit.at(-1)?.hash,
        });
        assert.equal((await store.listFingerprints()).length, stores.length * n + 1);
        // Each put of "shared" and of a data set replaced exactly the one before it in the log.
        for (const [subject, key] of [
          ['camera:shared', 'dataSha256'],
          ['dataset:ds-0', 'manifestSha256'],
          ['dataset:ds-1', 'manifestSha256'],
          ['dataset:ds-2', 'manifestSha256'],
        ]) {
          const puts = audit.filter((a) => a.subject === subject);
          puts.forEach((a, i) =>
            assert.equal(a.details.replaced, i === 0 ? null : puts[i - 1].details[key], subject),
          );
        }
        const shared = await store.getFingerprintRecord('shared');
        assert.equal(
          audit.filter((a) => a.subject === 'camera:shared').at(-1)?.details.dataSha256,
          shared?.dataSha256,
        );
        assert.equal((await store.listMatches()).length, stores.length * n);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await fx.destroy();
      }
    });
  });
}
