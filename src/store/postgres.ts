/**
 * The PostgreSQL Store (node-postgres, a Pool), for a lab's shared server with writers on many
 * machines. Same interface, same contract tests as SQLite; the schema is postgres-schema.ts.
 *
 * Concurrency, and why:
 * - Every write that is more than one statement is one READ COMMITTED transaction. Where a write
 *   reads before it writes, it first locks what it depends on (the camera row for fingerprints,
 *   the data set or model row), so two processes' read-then-write sequences never interleave.
 * - The audit chain is serialised by a transaction-scoped advisory lock (LOCK_CLASS, AUDIT_LOCK),
 *   taken just before the chain's head is read and held until commit: entries are appended one
 *   at a time, in commit order, with no gap and no fork. It is taken last, so a fingerprint's
 *   blob travels to the server outside it; its holder waits for nothing else, so it is never
 *   part of a deadlock. The chain trigger takes it too (postgres-schema.ts).
 * - Rows that many writers insert (images) are inserted in SHA-256 order, so lock waits cannot
 *   form a cycle; a deadlock or serialization failure that happens anyway is retried (the whole
 *   transaction, a bounded number of times, after a random pause).
 * - Migrations run under a session advisory lock (LOCK_CLASS, MIGRATION_LOCK): processes that
 *   start together wait for the first, then find the schema up to date.
 * - Times come from the server's clock (transaction_timestamp(), to the millisecond), so
 *   machines whose clocks differ still agree; an entry's seq, not its ts, is the log's order.
 *
 * Blobs go to the server as binary parameters (a Buffer) and come back as bytea, in slices of
 * BLOB_SLICE bytes, into the Float32Array that is returned; the SHA-256 is checked on read.
 */
import { endianness } from 'node:os';
import pg from 'pg';
import { InputError, expected } from '../util/errors.js';
import { ChainVerifier, GENESIS_HASH, auditHash } from './audit.js';
import { bytesToDigest, checkFloat32Length } from './blob.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import {
  checkMigrationList,
  pendingMigrations,
  type AppliedMigration,
  type Migration,
} from './migrations.js';
import { AUDIT_LOCK, LOCK_CLASS, MIGRATION_LOCK, POSTGRES_MIGRATIONS } from './postgres-schema.js';
import {
  AUDIT_COLUMNS,
  CASE_COLUMNS,
  CASE_FILE_COLUMNS,
  CASE_NOTE_COLUMNS,
  DATASET_COLUMNS,
  DEFECT_MAP_COLUMNS,
  FINGERPRINT_COLUMNS,
  IMAGE_COLUMNS,
  JOB_COLUMNS,
  JPEG_TABLES_COLUMNS,
  MATCH_COLUMNS,
  MODEL_COLUMNS,
  byCodePoint,
  toAuditEntry,
  toCameraRecord,
  toCaseFile,
  toCaseNote,
  toCaseRecord,
  toDatasetRecord,
  toDefectMapRecord,
  toFingerprintRecord,
  toImageRecord,
  toJobRecord,
  toJpegTablesRecord,
  toMatchRecord,
  toModelRecord,
  toStoredAuditRow,
  type AuditRowDb,
  type CameraRowDb,
  type CaseFileRowDb,
  type CaseNoteRowDb,
  type CaseRowDb,
  type DatasetRowDb,
  type DefectMapRowDb,
  type FingerprintRowDb,
  type ImageRowDb,
  type JobRowDb,
  type JpegTablesRowDb,
  type MatchRowDb,
  type ModelRowDb,
} from './records.js';
import type {
  AuditEntry,
  AuditFilter,
  AuditInput,
  AuditVerification,
  CameraRecord,
  CaseFile,
  CaseFileInput,
  CaseInput,
  CaseNote,
  CaseRecord,
  DatasetInput,
  DatasetRecord,
  DefectMapRecord,
  DigestEntry,
  EvidenceInput,
  DigestScanOptions,
  FingerprintDigest,
  FingerprintRecord,
  ImageInput,
  ImageRecord,
  JobFilter,
  JobInput,
  JobPatch,
  JobRecord,
  JpegTablesRecord,
  MatchFilter,
  MatchInput,
  MatchRecord,
  ModelExpectation,
  ModelInput,
  ModelPatch,
  ModelRecord,
  PutDefectMapInput,
  PutFingerprintInput,
  PutJpegTablesInput,
  Store,
  StoreInfo,
  StoredFingerprint,
} from './types.js';
import {
  caseFields,
  checkDigest,
  checkInteger,
  checkLimit,
  checkName,
  checkSha256,
  normalizeAudit,
  normalizeCase,
  normalizeCaseFiles,
  normalizeCaseNote,
  normalizeDataset,
  normalizeDefectMap,
  normalizeDigestScan,
  normalizeEvidence,
  normalizeFingerprint,
  normalizeImage,
  normalizeJobFilter,
  normalizeJobInput,
  normalizeJobPatch,
  normalizeJpegTables,
  normalizeMatch,
  normalizeMatchFilter,
  normalizeModel,
  normalizeModelExpectation,
  normalizeModelPatch,
  unmetExpectation,
  optionalActor,
  withActor,
  type ImageRow,
} from './validate.js';

export interface PostgresStoreOptions {
  /** A postgres:// or postgresql:// URL (libpq's parameters, e.g. sslmode, as node-postgres reads them). */
  url: string;
  /** Actor recorded in the audit log when a call names none. */
  actor: string;
  /** How long a statement waits for another session's lock before it fails, in ms. */
  busyTimeoutMs: number;
  /**
   * The schema to bring the database to: all of POSTGRES_MIGRATIONS when absent. Tests give the
   * first few to make a database as an older camprint left it.
   */
  migrations?: readonly Migration[];
}

/** Connections per store (each process); a lab server's max_connections is shared by every worker. */
const POOL_SIZE = 4;
/** How long to wait for the server to answer a connection, in ms. */
const CONNECT_TIMEOUT_MS = 15_000;
/** A session idle inside a transaction this long (a hung or stopped process) is ended by the server, freeing its locks. */
const IDLE_IN_TRANSACTION_MS = 120_000;
/** Tries of one write transaction that fails with a deadlock or serialization failure. */
export const WRITE_ATTEMPTS = 6;
/** Bytes of a fingerprint's data read per query (bytea travels as hex text: twice this). */
export const BLOB_SLICE = 8 * 1024 * 1024;
/** Rows of the audit log read per batch by verifyAudit. */
const AUDIT_BATCH = 2000;

/** The time of the current transaction, to the millisecond (what the store writes as "now"). */
const NOW = "date_trunc('milliseconds', transaction_timestamp())";

// Type parsers of this store's connections: bigint as a number (ids and counts stay below 2^53),
// timestamptz as ISO 8601 text, json as its text (parsed and checked by records.ts).
const OID_INT8 = 20;
const OID_JSON = 114;
const OID_TIMESTAMPTZ = 1184;
const parseTimestamptz = pg.types.getTypeParser(OID_TIMESTAMPTZ, 'text') as (text: string) => Date;
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === OID_INT8) return parseInt8;
      if (oid === OID_JSON) return (text: string) => text;
      if (oid === OID_TIMESTAMPTZ) {
        return (text: string) => {
          const date = parseTimestamptz(text);
          if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
            throw new InputError(`a stored time (${text}) is not an instant; the database is corrupt`);
          }
          return date.toISOString();
        };
      }
    }
    return pg.types.getTypeParser(oid, format);
  },
};

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new InputError(`a stored integer (${text}) is beyond 2^53; the database is corrupt`);
  }
  return n;
}

/** Where a URL points, for messages and info(): never the password. */
export interface PostgresTarget {
  /** `postgresql://user@host:port/database` */
  location: string;
  /** `host:port` (or the socket directory and port). */
  server: string;
  user: string;
  database: string;
}

/** The server, user and database a URL names (with node-postgres's defaults filled in). */
export function describePostgresUrl(url: string): PostgresTarget {
  const c = new pg.Client({ connectionString: url });
  const user = c.user ?? '';
  const database = c.database ?? user;
  const host = c.host.startsWith('/') ? c.host : c.host.includes(':') ? `[${c.host}]` : c.host;
  const server = c.host.startsWith('/') ? `${host} (port ${c.port})` : `${host}:${c.port}`;
  const who = user === '' ? '' : `${encodeURIComponent(user)}@`;
  const location = c.host.startsWith('/')
    ? `postgresql://${who}/${encodeURIComponent(database)}?host=${encodeURIComponent(c.host)}&port=${c.port}`
    : `postgresql://${who}${host}:${c.port}/${encodeURIComponent(database)}`;
  return { location, server, user, database };
}

/** A URL with any password replaced by "***", for messages about a URL that does not parse. */
export function redactUrl(url: string): string {
  // Up to the last "@": a password may hold any character when the URL is not well-formed.
  return url
    .replace(/^((?:[a-z][a-z0-9+.-]*:\/\/|(?![a-z][a-z0-9+.-]*:\/\/))[^:/?#@]*):.*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** The SQLSTATE (or Node's errno code) of an error, if it has one. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT',
  'EACCES',
]);

/** The InputError for a failure to open the store, naming the server (never the password); undefined when unforeseen. */
function openError(err: unknown, t: PostgresTarget): InputError | undefined {
  if (err instanceof InputError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === '55P03') {
    return new InputError(
      `${t.location}: gave up waiting for another process's lock while opening the store (${message}); another camprint may be migrating the schema: try again`,
    );
  }
  // Node's errno codes, or node-postgres's own errors (no code) for a connection that timed out or closed.
  if (
    (code !== undefined && UNREACHABLE.has(code)) ||
    (code === undefined && /timeout|terminated/i.test(message))
  ) {
    return new InputError(
      `cannot reach the PostgreSQL server ${t.server} (${code ?? message}): is it running, and does it accept connections from this machine? (${t.location})`,
    );
  }
  if (/client password must be a string/.test(message)) {
    return new InputError(
      `the PostgreSQL server ${t.server} asks user "${t.user}" for a password and the database URL gives none (${t.location})`,
    );
  }
  if (code === '28P01' || code === '28000' || /password|SASL|SCRAM/i.test(message)) {
    return new InputError(
      `the PostgreSQL server ${t.server} refused user "${t.user}" (${message}): check the user and password in the database URL (${t.location})`,
    );
  }
  if (code === '3D000') {
    return new InputError(
      `the database "${t.database}" does not exist on the PostgreSQL server ${t.server}: create it (CREATE DATABASE "${t.database}" OWNER "${t.user}") or correct the URL (${t.location})`,
    );
  }
  if (code === '42501') {
    return new InputError(
      `user "${t.user}" may not create camprint's tables in database "${t.database}" on ${t.server} (${message}): make the user the database's owner, or grant it CREATE on the schema`,
    );
  }
  if (code === undefined && /SSL/i.test(message)) {
    return new InputError(`cannot open a connection to ${t.server}: ${message} (check sslmode in the URL)`);
  }
  return undefined;
}

/** Thrown inside a write to run it again from the start (a row another writer created meanwhile). */
class RetryWrite extends Error {}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryWrite) return true;
  const code = codeOf(err);
  return code === '40001' /* serialization_failure */ || code === '40P01'; /* deadlock_detected */
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rewrites the error a lock timeout gives into one that says what waited. */
function describeError(err: unknown, location: string): unknown {
  if (codeOf(err) === '55P03') {
    const message = err instanceof Error ? err.message : String(err);
    return new Error(`${location}: gave up waiting for another writer's lock (${message})`, { cause: err });
  }
  return err;
}

/** Opens the store on the database the URL names and brings its schema up to date. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const target = describePostgresUrl(options.url);
  const config: pg.ClientConfig = {
    connectionString: options.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'camprint',
    lock_timeout: Math.max(1, Math.round(options.busyTimeoutMs)),
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    types: TYPES,
  };
  // The first connection is a client of its own: when a login fails, node-postgres's pool
  // forgets the connection without closing it (e.g. no password where one is asked for), which
  // would keep this process alive until the server gives up on it.
  const first = new pg.Client(config);
  first.on('error', () => undefined);
  try {
    await first.connect();
  } catch (err) {
    first.connection.stream.destroy();
    throw openError(err, target) ?? err;
  }
  try {
    await migrate(first, target, options.migrations ?? POSTGRES_MIGRATIONS);
  } catch (err) {
    throw openError(err, target) ?? err;
  } finally {
    await first.end().catch(() => undefined);
  }
  const pool = new pg.Pool({ ...config, max: POOL_SIZE, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
  // An idle connection the server closes (a restart) must not crash the process; the next query
  // gets a new one.
  pool.on('error', () => undefined);
  return new PostgresStore(pool, target.location, options.actor);
}

/**
 * Runs fn inside `begin` … `end` (COMMIT or ROLLBACK) on one connection; rolls back when fn
 * throws. The connection goes back to the pool unless even the ROLLBACK failed.
 */
async function inTransaction<T>(
  pool: pg.Pool,
  begin: string,
  end: 'COMMIT' | 'ROLLBACK',
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query(end);
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

async function appliedMigrations(c: pg.ClientBase): Promise<AppliedMigration[] | undefined> {
  const { rows } = await c.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  if (!rows[0].present) return undefined;
  return (await c.query<AppliedMigration>('SELECT version, name FROM schema_migrations ORDER BY version'))
    .rows;
}

/**
 * Brings the schema up to date. Up to date (the common case): one read, no lock. Otherwise under
 * the migration lock, re-reading what is applied, each migration in its own transaction with its
 * schema_migrations row: processes that start together apply each migration exactly once.
 */
async function migrate(c: pg.ClientBase, t: PostgresTarget, migrations: readonly Migration[]): Promise<void> {
  checkMigrationList(migrations);
  const seen = await appliedMigrations(c);
  if (seen !== undefined && pendingMigrations(migrations, seen, t.location).length === 0) return;
  await c.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
  try {
    let applied = await appliedMigrations(c);
    if (applied === undefined) {
      const { rows } = await c.query<{ name: string }>(
        'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename LIMIT 1',
      );
      if (rows.length > 0) {
        throw new InputError(
          `${t.location}: not a camprint database (it has a table "${rows[0].name}" but no schema_migrations); it was left untouched`,
        );
      }
      await c.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)',
      );
      applied = [];
    }
    for (const m of pendingMigrations(migrations, applied, t.location)) {
      await c.query('BEGIN');
      try {
        await c.query(m.up);
        await c.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, ${NOW})`, [
          m.version,
          m.name,
        ]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    // On a broken connection the lock goes with the session: the original error is the one to report.
    await c.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]).catch(() => undefined);
  }
}

type Params = unknown[];

/** What a write transaction's body gets: queries on its connection. */
interface Tx {
  query<R extends pg.QueryResultRow>(text: string, params?: Params): Promise<R[]>;
}

class PostgresStore implements Store {
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly location: string,
    private readonly actor: string,
  ) {}

  private check(): void {
    if (this.closed) throw new Error(`store ${this.location} is closed`);
  }

  /** One statement on any connection (autocommit): its rows. */
  private async query<R extends pg.QueryResultRow>(text: string, params: Params = []): Promise<R[]> {
    this.check();
    try {
      return (await this.pool.query<R>(text, params)).rows;
    } catch (err) {
      throw describeError(err, this.location);
    }
  }

  /**
   * Runs fn in one transaction: committed when it returns, rolled back when it throws. A deadlock,
   * serialization failure or RetryWrite runs it again (fresh transaction, fresh time), up to
   * WRITE_ATTEMPTS times in all.
   */
  private async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.check();
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.pool, 'BEGIN', 'COMMIT', (c) =>
          fn({
            query: async <R extends pg.QueryResultRow>(text: string, params: Params = []) =>
              (await c.query<R>(text, params)).rows,
          }),
        );
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS || !isRetryable(err)) {
          if (err instanceof RetryWrite) throw new Error(`${this.location}: ${err.message}`);
          throw describeError(err, this.location);
        }
        await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
      }
    }
  }

  async info(): Promise<StoreInfo> {
    const [row] = await this.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    return { backend: 'postgres', location: this.location, schemaVersion: row.v ?? 0 };
  }

  // ── fingerprints ──────────────────────────────────────────────────────────

  async putFingerprint(input: PutFingerprintInput): Promise<FingerprintRecord> {
    const fp = normalizeFingerprint(input);
    // fp.bytes may view the caller's array, which may change while this waits on the server.
    const data = Buffer.from(fp.bytes);
    const actor = fp.actor ?? this.actor;
    return this.write(async (tx) => {
      // The camera row is the fingerprint's lock: concurrent puts and deletes of one camera take turns.
      const [camera] = await tx.query<{ id: number }>(
        `INSERT INTO cameras (name, model, device, created_at) VALUES ($1, $2, $3, ${NOW})
         ON CONFLICT (name) DO UPDATE SET model = coalesce(excluded.model, cameras.model),
                                          device = coalesce(excluded.device, cameras.device)
         RETURNING id`,
        [fp.camera, fp.model, fp.device],
      );
      const [previous] = await tx.query<{ data_sha256: string }>(
        'DELETE FROM fingerprints WHERE camera_id = $1 RETURNING data_sha256',
        [camera.id],
      );
      const [inserted] = await tx.query<{ id: number }>(
        `INSERT INTO fingerprints (camera_id, width, height, images, quality, params, data, data_sha256, digest, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${NOW}) RETURNING id`,
        [camera.id, fp.width, fp.height, fp.images, fp.quality, fp.params, data, fp.dataSha256, fp.digest],
      );
      if (fp.sources.length > 0) {
        await ensureImages(tx, fp.sources);
        const linked = await tx.query(
          `INSERT INTO fingerprint_sources (fingerprint_id, image_id)
           SELECT $1, id FROM images WHERE sha256 = ANY($2::text[]) RETURNING image_id`,
          [inserted.id, fp.sources.map((s) => s.sha256)],
        );
        if (linked.length !== fp.sources.length) {
          throw new Error(
            `fingerprint ${fp.camera}: ${linked.length} of ${fp.sources.length} sources linked`,
          );
        }
      }
      await appendAuditTx(tx, {
        actor,
        action: 'fingerprint.put',
        subject: `camera:${fp.camera}`,
        details: {
          width: fp.width,
          height: fp.height,
          images: fp.images,
          dataSha256: fp.dataSha256,
          sources: fp.sources.map((s) => s.sha256),
          replaced: previous ? previous.data_sha256 : null,
        },
      });
      const [row] = await tx.query<FingerprintRowDb>(
        `SELECT ${FINGERPRINT_COLUMNS} FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE f.id = $1`,
        [inserted.id],
      );
      return toFingerprintRecord(row);
    });
  }

  async getFingerprint(camera: string): Promise<StoredFingerprint | undefined> {
    checkName(camera, 'camera');
    // The first slice comes with the record; a longer blob is read on by row id. A row's data
    // never changes, so the slices are of one blob, unless the row was replaced meanwhile (its
    // id is gone): then read the new one.
    for (let attempt = 1; ; attempt++) {
      const [row] = await this.query<FingerprintRowDb & { id: number; data_length: number; head: Buffer }>(
        `SELECT ${FINGERPRINT_COLUMNS}, f.id, length(f.data) AS data_length, substring(f.data FROM 1 FOR $2) AS head
         FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = $1`,
        [camera, BLOB_SLICE],
      );
      if (row === undefined) return undefined;
      const record = toFingerprintRecord(row);
      const name = `fingerprint ${camera} (${row.width}×${row.height})`;
      const count = row.width * row.height;
      checkFloat32Length(row.data_length, count, name);
      const data = new Float32Array(count);
      const bytes = new Uint8Array(data.buffer);
      bytes.set(row.head);
      let offset = row.head.length;
      while (offset < row.data_length) {
        const [slice] = await this.query<{ part: Buffer }>(
          'SELECT substring(data FROM $2 FOR $3) AS part FROM fingerprints WHERE id = $1',
          [row.id, offset + 1, BLOB_SLICE],
        );
        if (slice === undefined) break;
        bytes.set(slice.part, offset);
        offset += slice.part.length;
      }
      if (offset < row.data_length) {
        if (attempt < WRITE_ATTEMPTS) continue;
        throw new Error(`fingerprint ${camera}: replaced while being read, ${attempt} times in a row`);
      }
      const sha = sha256Hex(bytes);
      if (sha !== row.data_sha256) {
        throw new InputError(
          `fingerprint ${camera}: stored data has SHA-256 ${sha} but ${row.data_sha256} was recorded; the database is corrupt`,
        );
      }
      if (endianness() === 'BE') Buffer.from(data.buffer).swap32();
      return { record, data };
    }
  }

  async getFingerprintRecord(camera: string): Promise<FingerprintRecord | undefined> {
    checkName(camera, 'camera');
    const [row] = await this.query<FingerprintRowDb>(
      `SELECT ${FINGERPRINT_COLUMNS} FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = $1`,
      [camera],
    );
    return row && toFingerprintRecord(row);
  }

  async listFingerprints(): Promise<FingerprintRecord[]> {
    const rows = await this.query<FingerprintRowDb>(
      `SELECT ${FINGERPRINT_COLUMNS} FROM fingerprints f JOIN cameras c ON c.id = f.camera_id`,
    );
    return rows.map(toFingerprintRecord).sort((a, b) => byCodePoint(a.camera, b.camera));
  }

  async listFingerprintSources(camera: string): Promise<ImageRecord[]> {
    checkName(camera, 'camera');
    const rows = await this.query<ImageRowDb>(
      `SELECT ${IMAGE_COLUMNS} FROM fingerprint_sources s
         JOIN fingerprints f ON f.id = s.fingerprint_id
         JOIN cameras c ON c.id = f.camera_id
         JOIN images i ON i.id = s.image_id
       WHERE c.name = $1`,
      [camera],
    );
    return rows.map(toImageRecord).sort((a, b) => byCodePoint(a.sha256, b.sha256));
  }

  async putDigest(camera: string, dataSha256: string, digest: FingerprintDigest): Promise<void> {
    checkName(camera, 'camera');
    checkSha256(dataSha256, 'dataSha256');
    const [row] = await this.query<{ id: number; width: number; height: number; data_sha256: string }>(
      'SELECT f.id, f.width, f.height, f.data_sha256 FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = $1',
      [camera],
    );
    const replaced = (now: string) =>
      new InputError(
        `camera ${camera}: the fingerprint is now ${now}, not ${dataSha256}; the digest was made from a replaced fingerprint`,
      );
    if (row === undefined) throw new InputError(`camera ${camera}: no fingerprint to store a digest for`);
    if (row.data_sha256 !== dataSha256) throw replaced(row.data_sha256);
    const blob = checkDigest(digest, row.width, row.height, 'digest');
    // One statement, conditional on the data: a fingerprint replaced since the read is left alone.
    const updated = await this.query(
      'UPDATE fingerprints SET digest = $1 WHERE id = $2 AND data_sha256 = $3 RETURNING id',
      [blob, row.id, dataSha256],
    );
    if (updated.length === 0) {
      const now = await this.getFingerprintRecord(camera);
      if (now === undefined) throw new InputError(`camera ${camera}: no fingerprint to store a digest for`);
      throw replaced(now.dataSha256);
    }
  }

  async *scanDigests(options: DigestScanOptions = {}): AsyncIterable<DigestEntry[]> {
    const { batchSize, width, height, shards, shard } = normalizeDigestScan(options);
    // Keyset paging by row id: each batch is one statement, and no connection is held between batches.
    let after = 0;
    for (;;) {
      const rows = await this.query<{
        id: number;
        camera: string;
        width: number;
        height: number;
        data_sha256: string;
        digest: Buffer;
      }>(
        `SELECT f.id, c.name AS camera, f.width, f.height, f.data_sha256, f.digest FROM fingerprints f
           JOIN cameras c ON c.id = f.camera_id
         WHERE f.id > $1 AND f.digest IS NOT NULL AND ($2::integer IS NULL OR f.width = $2)
           AND ($3::integer IS NULL OR f.height = $3) AND f.id % $5 = $6
         ORDER BY f.id LIMIT $4`,
        [after, width, height, batchSize, shards, shard],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      yield rows.map((r) => ({
        camera: r.camera,
        width: r.width,
        height: r.height,
        dataSha256: r.data_sha256,
        digest: bytesToDigest(r.digest, `fingerprint ${r.camera} digest`),
      }));
      if (rows.length < batchSize) return;
    }
  }

  async deleteFingerprint(camera: string, options: { actor?: string } = {}): Promise<boolean> {
    checkName(camera, 'camera');
    const actor = options.actor === undefined ? this.actor : checkName(options.actor, 'options.actor');
    return this.write(async (tx) => {
      // Lock the camera first: a put under way commits before the fingerprint is looked up.
      const [cam] = await tx.query<{ id: number }>('SELECT id FROM cameras WHERE name = $1 FOR UPDATE', [
        camera,
      ]);
      if (cam === undefined) return false;
      const [row] = await tx.query<{ data_sha256: string }>(
        'DELETE FROM fingerprints WHERE camera_id = $1 RETURNING data_sha256',
        [cam.id],
      );
      if (row === undefined) return false;
      await appendAuditTx(tx, {
        actor,
        action: 'fingerprint.delete',
        subject: `camera:${camera}`,
        details: { dataSha256: row.data_sha256 },
      });
      return true;
    });
  }

  async listCameras(): Promise<CameraRecord[]> {
    const rows = await this.query<CameraRowDb>('SELECT name, model, device, notes, created_at FROM cameras');
    return rows.map(toCameraRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  // ── images ────────────────────────────────────────────────────────────────

  async upsertImage(input: ImageInput): Promise<ImageRecord> {
    const image = normalizeImage(input, 'image');
    return this.write(async (tx) => {
      await ensureImages(tx, [image]);
      const [row] = await tx.query<ImageRowDb>(`SELECT ${IMAGE_COLUMNS} FROM images i WHERE i.sha256 = $1`, [
        image.sha256,
      ]);
      return toImageRecord(row);
    });
  }

  async getImage(sha256: string): Promise<ImageRecord | undefined> {
    checkSha256(sha256, 'sha256');
    const [row] = await this.query<ImageRowDb>(`SELECT ${IMAGE_COLUMNS} FROM images i WHERE i.sha256 = $1`, [
      sha256,
    ]);
    return row && toImageRecord(row);
  }

  // ── matches ───────────────────────────────────────────────────────────────

  async recordMatch(input: MatchInput): Promise<MatchRecord> {
    const m = normalizeMatch(input);
    const actor = m.actor ?? this.actor;
    return this.write(async (tx) => {
      await ensureImages(tx, [m.image]);
      const [{ id }] = await tx.query<{ id: number }>(
        `INSERT INTO matches (image_id, camera, pce, ncc, p_false_alarm, shift_y, shift_x, rotation, decision, threshold,
                              params, created_at)
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ${NOW} FROM images WHERE sha256 = $1
         RETURNING id`,
        [
          m.image.sha256,
          m.camera,
          m.pce,
          m.ncc,
          m.pFalseAlarm,
          m.shiftY,
          m.shiftX,
          m.rotation,
          m.decision,
          m.threshold,
          m.params,
        ],
      );
      await appendAuditTx(tx, {
        actor,
        action: 'match.record',
        subject: `image:${m.image.sha256}`,
        details: {
          match: id,
          camera: m.camera,
          pce: m.pce,
          ncc: m.ncc,
          pFalseAlarm: m.pFalseAlarm,
          decision: m.decision,
          threshold: m.threshold,
        },
      });
      const [row] = await tx.query<MatchRowDb>(
        `SELECT ${MATCH_COLUMNS} FROM matches m JOIN images i ON i.id = m.image_id WHERE m.id = $1`,
        [id],
      );
      return toMatchRecord(row);
    });
  }

  async listMatches(filter?: MatchFilter): Promise<MatchRecord[]> {
    const f = normalizeMatchFilter(filter);
    const where: string[] = [];
    const params: Params = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.camera !== undefined) add('m.camera = ?', f.camera);
    if (f.imageSha256 !== undefined) add('i.sha256 = ?', f.imageSha256);
    if (f.decision !== undefined) add('m.decision = ?', f.decision);
    if (f.afterId !== undefined) add('m.id > ?', f.afterId);
    params.push(f.limit ?? null);
    const text =
      `SELECT ${MATCH_COLUMNS} FROM matches m JOIN images i ON i.id = m.image_id` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY m.id LIMIT $${params.length}`;
    return (await this.query<MatchRowDb>(text, params)).map(toMatchRecord);
  }

  // ── jobs ──────────────────────────────────────────────────────────────────

  async createJob(input: JobInput): Promise<JobRecord> {
    const job = normalizeJobInput(input);
    const [row] = await this.query<JobRowDb>(
      `INSERT INTO jobs (id, kind, status, progress, params, result, error, worker, backend, created_at, updated_at)
       VALUES ($1, $2, 'queued', 0, $3, NULL, NULL, $4, $5, ${NOW}, ${NOW})
       ON CONFLICT (id) DO NOTHING RETURNING ${JOB_COLUMNS}`,
      [job.id, job.kind, job.params, job.worker, job.backend],
    );
    if (row === undefined) throw new InputError(`job ${job.id} already exists`);
    return toJobRecord(row);
  }

  async updateJob(id: string, patch: JobPatch): Promise<JobRecord> {
    checkName(id, 'id');
    const p = normalizeJobPatch(patch);
    // One statement: absent fields keep their values, null clears result or error.
    const [row] = await this.query<JobRowDb>(
      `UPDATE jobs SET status = coalesce($2, status), progress = coalesce($3, progress),
         result = CASE WHEN $4::boolean THEN $5::json ELSE result END,
         error = CASE WHEN $6::boolean THEN $7::text ELSE error END,
         worker = CASE WHEN $8::boolean THEN $9::text ELSE worker END,
         updated_at = ${NOW}
       WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
      [
        id,
        p.status ?? null,
        p.progress ?? null,
        p.result !== undefined,
        p.result ?? null,
        p.error !== undefined,
        p.error ?? null,
        p.worker !== undefined,
        p.worker ?? null,
      ],
    );
    if (row === undefined) throw new InputError(`job ${id} does not exist`);
    return toJobRecord(row);
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    checkName(id, 'id');
    const [row] = await this.query<JobRowDb>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return row && toJobRecord(row);
  }

  async listJobs(filter?: JobFilter): Promise<JobRecord[]> {
    const f = normalizeJobFilter(filter);
    const rows = await this.query<JobRowDb>(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2)
       ORDER BY created_at, id COLLATE "C" LIMIT $3`,
      [f.status ?? null, f.kind ?? null, f.limit ?? null],
    );
    return rows.map(toJobRecord);
  }

  // ── data sets ─────────────────────────────────────────────────────────────

  async putDataset(input: DatasetInput): Promise<DatasetRecord> {
    const ds = normalizeDataset(input);
    const actor = ds.actor ?? this.actor;
    const values = [
      ds.name,
      ds.path,
      ds.manifestSha256,
      ds.input,
      ds.crop,
      ds.classes,
      ds.counts.train,
      ds.counts.val,
      ds.counts.test,
      ds.images.train,
      ds.images.val,
      ds.images.test,
      ds.params,
    ];
    return this.write(async (tx) => {
      const [previous] = await tx.query<{ manifest_sha256: string }>(
        'SELECT manifest_sha256 FROM datasets WHERE name = $1 FOR UPDATE',
        [ds.name],
      );
      let rows: DatasetRowDb[];
      if (previous) {
        rows = await tx.query<DatasetRowDb>(
          `UPDATE datasets SET path = $2, manifest_sha256 = $3, input = $4, crop = $5, classes = $6, train_crops = $7,
             val_crops = $8, test_crops = $9, train_images = $10, val_images = $11, test_images = $12, params = $13,
             created_at = ${NOW}
           WHERE name = $1 RETURNING ${DATASET_COLUMNS}`,
          values,
        );
      } else {
        rows = await tx.query<DatasetRowDb>(
          `INSERT INTO datasets (name, path, manifest_sha256, input, crop, classes, train_crops, val_crops, test_crops,
                                 train_images, val_images, test_images, params, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ${NOW})
           ON CONFLICT (name) DO NOTHING RETURNING ${DATASET_COLUMNS}`,
          values,
        );
        // Another writer created it since the look-up: start again, to replace it knowingly.
        if (rows.length === 0) throw new RetryWrite(`data set ${ds.name} was created by two writers at once`);
      }
      await appendAuditTx(tx, {
        actor,
        action: 'dataset.put',
        subject: `dataset:${ds.name}`,
        details: {
          path: ds.path,
          manifestSha256: ds.manifestSha256,
          input: ds.input,
          crop: ds.crop,
          classes: ds.classNames,
          counts: { ...ds.counts },
          images: { ...ds.images },
          replaced: previous ? previous.manifest_sha256 : null,
        },
      });
      return toDatasetRecord(rows[0]);
    });
  }

  async getDataset(name: string): Promise<DatasetRecord | undefined> {
    checkName(name, 'name');
    const [row] = await this.query<DatasetRowDb>(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE name = $1`, [
      name,
    ]);
    return row && toDatasetRecord(row);
  }

  async listDatasets(): Promise<DatasetRecord[]> {
    const rows = await this.query<DatasetRowDb>(`SELECT ${DATASET_COLUMNS} FROM datasets`);
    return rows.map(toDatasetRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  async deleteDataset(name: string, options: { actor?: string } = {}): Promise<boolean> {
    checkName(name, 'name');
    const actor = options.actor === undefined ? this.actor : checkName(options.actor, 'options.actor');
    return this.write(async (tx) => {
      const [row] = await tx.query<{ manifest_sha256: string }>(
        'DELETE FROM datasets WHERE name = $1 RETURNING manifest_sha256',
        [name],
      );
      if (row === undefined) return false;
      await appendAuditTx(tx, {
        actor,
        action: 'dataset.delete',
        subject: `dataset:${name}`,
        details: { manifestSha256: row.manifest_sha256 },
      });
      return true;
    });
  }

  // ── models ────────────────────────────────────────────────────────────────

  async putModel(input: ModelInput): Promise<ModelRecord> {
    const m = normalizeModel(input);
    const actor = m.actor ?? this.actor;
    const values = [
      m.name,
      m.path,
      m.dataset,
      m.network,
      m.status,
      m.config,
      m.epochs,
      m.bestValAccuracy,
      m.curves,
      m.metrics,
      m.error,
      m.owner,
    ];
    return this.write(async (tx) => {
      const [previous] = await tx.query<{ created_at: string }>(
        'SELECT created_at FROM models WHERE name = $1 FOR UPDATE',
        [m.name],
      );
      let rows: ModelRowDb[];
      if (previous) {
        rows = await tx.query<ModelRowDb>(
          `UPDATE models SET path = $2, dataset = $3, network = $4, status = $5, config = $6, epochs = $7,
             best_val_accuracy = $8, curves = $9, metrics = $10, error = $11, owner = $12,
             created_at = ${NOW}, updated_at = ${NOW}
           WHERE name = $1 RETURNING ${MODEL_COLUMNS}`,
          values,
        );
      } else {
        rows = await tx.query<ModelRowDb>(
          `INSERT INTO models (name, path, dataset, network, status, config, epochs, best_val_accuracy, curves, metrics,
                               error, owner, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${NOW}, ${NOW})
           ON CONFLICT (name) DO NOTHING RETURNING ${MODEL_COLUMNS}`,
          values,
        );
        if (rows.length === 0) throw new RetryWrite(`model ${m.name} was created by two writers at once`);
      }
      await appendAuditTx(tx, {
        actor,
        action: 'model.put',
        subject: `model:${m.name}`,
        details: {
          path: m.path,
          dataset: m.dataset,
          network: m.network,
          status: m.status,
          configSha256: sha256Hex(m.config),
          epochs: m.epochs,
          bestValAccuracy: m.bestValAccuracy,
          owner: m.owner ?? undefined,
          replaced: previous ? previous.created_at : null,
        },
      });
      return toModelRecord(rows[0]);
    });
  }

  async updateModel(
    name: string,
    patch: ModelPatch,
    options: { actor?: string; expect?: ModelExpectation } = {},
  ): Promise<ModelRecord> {
    checkName(name, 'name');
    const p = normalizeModelPatch(patch);
    const actor = options.actor === undefined ? this.actor : checkName(options.actor, 'options.actor');
    const expect = normalizeModelExpectation(options.expect);
    return this.write(async (tx) => {
      if (expect) {
        // The row locked until commit: what is checked is what gets changed.
        const [stored] = await tx.query<{ status: string; owner: string | null }>(
          'SELECT status, owner FROM models WHERE name = $1 FOR UPDATE',
          [name],
        );
        const unmet = stored && unmetExpectation(name, stored, expect);
        if (unmet) throw unmet;
      }
      // One statement: absent fields keep their values, null clears a nullable one.
      const [row] = await tx.query<ModelRowDb>(
        `UPDATE models SET status = coalesce($2, status), epochs = coalesce($3, epochs),
           best_val_accuracy = CASE WHEN $4::boolean THEN $5::double precision ELSE best_val_accuracy END,
           curves = coalesce($6, curves),
           metrics = CASE WHEN $7::boolean THEN $8::json ELSE metrics END,
           error = CASE WHEN $9::boolean THEN $10::text ELSE error END,
           owner = CASE WHEN $11::boolean THEN $12::text ELSE owner END,
           updated_at = ${NOW}
         WHERE name = $1 RETURNING ${MODEL_COLUMNS}`,
        [
          name,
          p.status ?? null,
          p.epochs ?? null,
          p.bestValAccuracy !== undefined,
          p.bestValAccuracy ?? null,
          p.curves ?? null,
          p.metrics !== undefined,
          p.metrics ?? null,
          p.error !== undefined,
          p.error ?? null,
          p.owner !== undefined,
          p.owner ?? null,
        ],
      );
      if (row === undefined) throw new InputError(`model ${name} does not exist`);
      // The changed fields; large ones (curves, metrics) by size and hash, so the log stays small.
      await appendAuditTx(tx, {
        actor,
        action: 'model.update',
        subject: `model:${name}`,
        details: {
          status: p.status,
          epochs: p.epochs,
          bestValAccuracy: p.bestValAccuracy,
          curvesLength: p.curvesLength,
          metricsSha256:
            p.metrics === undefined ? undefined : p.metrics === null ? null : sha256Hex(p.metrics),
          error: p.error,
          owner: p.owner,
        },
      });
      return toModelRecord(row);
    });
  }

  async getModel(name: string): Promise<ModelRecord | undefined> {
    checkName(name, 'name');
    const [row] = await this.query<ModelRowDb>(`SELECT ${MODEL_COLUMNS} FROM models WHERE name = $1`, [name]);
    return row && toModelRecord(row);
  }

  async listModels(): Promise<ModelRecord[]> {
    const rows = await this.query<ModelRowDb>(`SELECT ${MODEL_COLUMNS} FROM models`);
    return rows.map(toModelRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  async deleteModel(name: string, options: { actor?: string } = {}): Promise<boolean> {
    checkName(name, 'name');
    const actor = options.actor === undefined ? this.actor : checkName(options.actor, 'options.actor');
    return this.write(async (tx) => {
      const [row] = await tx.query<{ status: string; epochs: number }>(
        'DELETE FROM models WHERE name = $1 RETURNING status, epochs',
        [name],
      );
      if (row === undefined) return false;
      await appendAuditTx(tx, {
        actor,
        action: 'model.delete',
        subject: `model:${name}`,
        details: { status: row.status, epochs: row.epochs },
      });
      return true;
    });
  }

  // ── evidence: JPEG tables, defect maps, intake ─────────────────────────────

  async putJpegTables(input: PutJpegTablesInput): Promise<JpegTablesRecord[]> {
    const t = normalizeJpegTables(input);
    const actor = t.actor ?? this.actor;
    const images = t.sets.flatMap((s) => s.sources);
    return this.write(async (tx) => {
      // The camera row is the library's lock: concurrent adds for one camera take turns.
      const cameraId = await ensureCamera(tx, t.camera, t.model, t.device);
      await ensureImages(tx, images);
      const added: { tablesSha256: string; quality: number | null; sources: string[]; new: boolean }[] = [];
      for (const set of t.sets) {
        const [row] = await tx.query<{ id: number; inserted: boolean }>(
          `INSERT INTO jpeg_tables (camera_id, tables_sha256, quality, tables, created_at, updated_at)
           VALUES ($1, $2, $3, $4, ${NOW}, ${NOW})
           ON CONFLICT (camera_id, tables_sha256) DO UPDATE SET updated_at = excluded.updated_at
           RETURNING id, (xmax = 0) AS inserted`,
          [cameraId, set.tablesSha256, set.quality, set.tables],
        );
        await tx.query(
          `INSERT INTO jpeg_table_sources (table_id, image_id)
           SELECT $1, id FROM images WHERE sha256 = ANY($2::text[]) ORDER BY id ON CONFLICT DO NOTHING`,
          [row.id, set.sources.map((s) => s.sha256)],
        );
        added.push({
          tablesSha256: set.tablesSha256,
          quality: set.quality,
          sources: set.sources.map((s) => s.sha256),
          new: row.inserted,
        });
      }
      await appendAuditTx(tx, {
        actor,
        action: 'jpeg-tables.put',
        subject: `camera:${t.camera}`,
        details: { sets: added },
      });
      const rows = await tx.query<JpegTablesRowDb>(
        `SELECT ${JPEG_TABLES_COLUMNS} FROM jpeg_tables t JOIN cameras c ON c.id = t.camera_id
         WHERE t.camera_id = $1 AND t.tables_sha256 = ANY($2::text[])`,
        [cameraId, t.sets.map((s) => s.tablesSha256)],
      );
      return rows.map(toJpegTablesRecord).sort((a, b) => byCodePoint(a.tablesSha256, b.tablesSha256));
    });
  }

  async listJpegTables(camera?: string): Promise<JpegTablesRecord[]> {
    if (camera !== undefined) checkName(camera, 'camera');
    const rows = await this.query<JpegTablesRowDb>(
      `SELECT ${JPEG_TABLES_COLUMNS} FROM jpeg_tables t JOIN cameras c ON c.id = t.camera_id
       WHERE $1::text IS NULL OR c.name = $1`,
      [camera ?? null],
    );
    return rows
      .map(toJpegTablesRecord)
      .sort((a, b) => byCodePoint(a.camera, b.camera) || byCodePoint(a.tablesSha256, b.tablesSha256));
  }

  async putDefectMap(input: PutDefectMapInput): Promise<DefectMapRecord> {
    const m = normalizeDefectMap(input);
    const actor = m.actor ?? this.actor;
    return this.write(async (tx) => {
      const cameraId = await ensureCamera(tx, m.camera, m.model, m.device);
      const [previous] = await tx.query<{ defects_count: number }>(
        'DELETE FROM defect_maps WHERE camera_id = $1 RETURNING defects_count',
        [cameraId],
      );
      const [inserted] = await tx.query<{ id: number }>(
        `INSERT INTO defect_maps (camera_id, width, height, frames, params, defects, defects_count, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${NOW}) RETURNING id`,
        [cameraId, m.width, m.height, m.frames, m.params, m.defects, m.count],
      );
      if (m.sources.length > 0) {
        await ensureImages(tx, m.sources);
        await tx.query(
          `INSERT INTO defect_map_sources (map_id, image_id)
           SELECT $1, id FROM images WHERE sha256 = ANY($2::text[])`,
          [inserted.id, m.sources.map((s) => s.sha256)],
        );
      }
      await appendAuditTx(tx, {
        actor,
        action: 'defect-map.put',
        subject: `camera:${m.camera}`,
        details: {
          width: m.width,
          height: m.height,
          frames: m.frames,
          defects: m.count,
          defectsSha256: sha256Hex(m.defects),
          sources: m.sources.map((s) => s.sha256),
          replaced: previous ? previous.defects_count : null,
        },
      });
      const [row] = await tx.query<DefectMapRowDb>(
        `SELECT ${DEFECT_MAP_COLUMNS} FROM defect_maps d JOIN cameras c ON c.id = d.camera_id WHERE d.id = $1`,
        [inserted.id],
      );
      return toDefectMapRecord(row);
    });
  }

  async getDefectMap(camera: string): Promise<DefectMapRecord | undefined> {
    checkName(camera, 'camera');
    const [row] = await this.query<DefectMapRowDb>(
      `SELECT ${DEFECT_MAP_COLUMNS} FROM defect_maps d JOIN cameras c ON c.id = d.camera_id WHERE c.name = $1`,
      [camera],
    );
    return row && toDefectMapRecord(row);
  }

  async listDefectMaps(): Promise<DefectMapRecord[]> {
    const rows = await this.query<DefectMapRowDb>(
      `SELECT ${DEFECT_MAP_COLUMNS} FROM defect_maps d JOIN cameras c ON c.id = d.camera_id`,
    );
    return rows.map(toDefectMapRecord).sort((a, b) => byCodePoint(a.camera, b.camera));
  }

  async recordEvidence(input: EvidenceInput): Promise<AuditEntry> {
    const e = normalizeEvidence(input);
    const actor = e.actor ?? this.actor;
    return this.write(async (tx) => {
      await ensureImages(tx, [e.image]);
      return appendAuditTx(tx, {
        actor,
        action: e.action,
        subject: `image:${e.image.sha256}`,
        details: { path: e.image.path, ...e.details },
      });
    });
  }

  // ── cases ─────────────────────────────────────────────────────────────────

  async putCase(input: CaseInput): Promise<CaseRecord> {
    const c = normalizeCase(input);
    const actor = c.actor ?? this.actor;
    const given = caseFields(c);
    return this.write(async (tx) => {
      // The case row is the case's lock: concurrent changes to one case take turns.
      const [previous] = await tx.query<CaseRowDb & { id: number }>(
        `SELECT k.id, ${CASE_COLUMNS} FROM cases k WHERE k.name = $1 FOR UPDATE`,
        [c.name],
      );
      if (previous === undefined) {
        const rows = await tx.query<CaseRowDb>(
          `INSERT INTO cases AS k (name, title, question, examiner, cameras, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, ${NOW}, ${NOW})
           ON CONFLICT (name) DO NOTHING RETURNING ${CASE_COLUMNS}`,
          [c.name, c.title ?? '', c.question ?? '', c.examiner ?? '', c.cameras ?? '[]'],
        );
        // Another writer created it since the look-up: start again, to update it knowingly.
        if (rows.length === 0) throw new RetryWrite(`case ${c.name} was created by two writers at once`);
        const created = toCaseRecord(rows[0]);
        await appendAuditTx(tx, {
          actor,
          action: 'case.create',
          subject: `case:${c.name}`,
          details: {
            title: created.title,
            question: created.question,
            examiner: created.examiner,
            cameras: created.cameras,
          },
        });
        return created;
      }
      const before = toCaseRecord(previous);
      if (Object.keys(given).length === 0) return before;
      const [row] = await tx.query<CaseRowDb>(
        `UPDATE cases AS k SET title = coalesce($2, title), question = coalesce($3, question),
           examiner = coalesce($4, examiner), cameras = coalesce($5::json, cameras), updated_at = ${NOW}
         WHERE id = $1 RETURNING ${CASE_COLUMNS}`,
        [previous.id, c.title ?? null, c.question ?? null, c.examiner ?? null, c.cameras ?? null],
      );
      const was: Record<string, unknown> = {};
      for (const key of Object.keys(given)) was[key] = before[key as keyof typeof given];
      await appendAuditTx(tx, {
        actor,
        action: 'case.update',
        subject: `case:${c.name}`,
        details: { ...given, previous: was },
      });
      return toCaseRecord(row);
    });
  }

  async getCase(name: string): Promise<CaseRecord | undefined> {
    checkName(name, 'name');
    const [row] = await this.query<CaseRowDb>(`SELECT ${CASE_COLUMNS} FROM cases k WHERE k.name = $1`, [
      name,
    ]);
    return row && toCaseRecord(row);
  }

  async listCases(): Promise<CaseRecord[]> {
    const rows = await this.query<CaseRowDb>(`SELECT ${CASE_COLUMNS} FROM cases k`);
    return rows.map(toCaseRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  async addCaseFiles(
    caseName: string,
    files: CaseFileInput[],
    options?: { actor?: string },
  ): Promise<CaseFile[]> {
    checkName(caseName, 'caseName');
    const rows = normalizeCaseFiles(files);
    const actor = optionalActor(options) ?? this.actor;
    return this.write(async (tx) => {
      const caseId = await lockCase(tx, caseName);
      if (rows.length > 0)
        await ensureImages(
          tx,
          rows.map((f) => f.image),
        );
      let added = 0;
      for (const f of rows) {
        const inserted = await tx.query<{ id: number }>(
          `INSERT INTO case_files (case_id, image_id, path, role, added_at)
           SELECT $1, id, $3, $4, ${NOW} FROM images WHERE sha256 = $2
           ON CONFLICT (case_id, image_id) DO NOTHING RETURNING id`,
          [caseId, f.image.sha256, f.image.path, f.role],
        );
        if (inserted.length === 0) continue;
        added++;
        await appendAuditTx(tx, {
          actor,
          action: 'case.add-file',
          subject: `case:${caseName}`,
          details: { sha256: f.image.sha256, role: f.role, path: f.image.path },
        });
      }
      if (added > 0) await tx.query(`UPDATE cases SET updated_at = ${NOW} WHERE id = $1`, [caseId]);
      const stored = await tx.query<CaseFileRowDb>(
        `SELECT ${CASE_FILE_COLUMNS} FROM case_files f JOIN cases k ON k.id = f.case_id
           JOIN images i ON i.id = f.image_id
         WHERE f.case_id = $1 AND i.sha256 = ANY($2::text[])`,
        [caseId, rows.map((f) => f.image.sha256)],
      );
      const bySha = new Map(stored.map((r) => [r.sha256, toCaseFile(r)]));
      return rows.map((f) => bySha.get(f.image.sha256) as CaseFile);
    });
  }

  async listCaseFiles(caseName: string): Promise<CaseFile[]> {
    checkName(caseName, 'caseName');
    await this.requireCase(caseName);
    const rows = await this.query<CaseFileRowDb>(
      `SELECT ${CASE_FILE_COLUMNS} FROM case_files f JOIN cases k ON k.id = f.case_id
         JOIN images i ON i.id = f.image_id
       WHERE k.name = $1 ORDER BY f.id`,
      [caseName],
    );
    return rows.map(toCaseFile);
  }

  async addCaseNote(caseName: string, text: string, options?: { actor?: string }): Promise<CaseNote> {
    checkName(caseName, 'caseName');
    const note = normalizeCaseNote(text);
    const actor = optionalActor(options) ?? this.actor;
    return this.write(async (tx) => {
      const caseId = await lockCase(tx, caseName);
      const [row] = await tx.query<CaseNoteRowDb>(
        `INSERT INTO case_notes AS n (case_id, text, actor, created_at) VALUES ($1, $2, $3, ${NOW})
         RETURNING n.id, $4::text AS case_name, n.text, n.actor, n.created_at`,
        [caseId, note, actor, caseName],
      );
      await tx.query(`UPDATE cases SET updated_at = ${NOW} WHERE id = $1`, [caseId]);
      await appendAuditTx(tx, {
        actor,
        action: 'case.note',
        subject: `case:${caseName}`,
        details: { note: row.id, text: note },
      });
      return toCaseNote(row);
    });
  }

  async listCaseNotes(caseName: string): Promise<CaseNote[]> {
    checkName(caseName, 'caseName');
    await this.requireCase(caseName);
    const rows = await this.query<CaseNoteRowDb>(
      `SELECT ${CASE_NOTE_COLUMNS} FROM case_notes n JOIN cases k ON k.id = n.case_id
       WHERE k.name = $1 ORDER BY n.id`,
      [caseName],
    );
    return rows.map(toCaseNote);
  }

  /** InputError when the case does not exist. */
  private async requireCase(name: string): Promise<void> {
    const [row] = await this.query<{ id: number }>('SELECT id FROM cases WHERE name = $1', [name]);
    if (row === undefined) throw new InputError(`case ${name} does not exist`);
  }

  // ── audit log ─────────────────────────────────────────────────────────────

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const entry = withActor(input, this.actor);
    normalizeAudit(entry); // reject bad input before taking the lock
    return this.write((tx) => appendAuditTx(tx, entry));
  }

  async listAudit(filter?: AuditFilter): Promise<AuditEntry[]> {
    const fromSeq =
      filter?.fromSeq === undefined
        ? 1
        : checkInteger(filter.fromSeq, 'filter.fromSeq', 1, Number.MAX_SAFE_INTEGER);
    const limit = checkLimit(filter?.limit, 'filter.limit');
    const rows = await this.query<AuditRowDb>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [fromSeq, limit ?? null],
    );
    return rows.map(toAuditEntry);
  }

  async verifyAudit(): Promise<AuditVerification> {
    this.check();
    // A cursor reads one snapshot of the log, in batches: memory stays bounded however long it is.
    return inTransaction(this.pool, 'BEGIN READ ONLY', 'ROLLBACK', async (c) => {
      await c.query(
        `DECLARE audit_scan NO SCROLL CURSOR FOR SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq`,
      );
      const verifier = new ChainVerifier();
      let going = true;
      while (going) {
        const { rows } = await c.query<AuditRowDb>(`FETCH ${AUDIT_BATCH} FROM audit_scan`);
        if (rows.length === 0) break;
        for (const r of rows) {
          going = verifier.add(toStoredAuditRow(r));
          if (!going) break;
        }
      }
      return verifier.result();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Inserts the images whose SHA-256 is new, in SHA-256 order (so that two writers inserting
 * overlapping sets wait for each other in one order, never in a cycle). An image another writer
 * is inserting is waited for; later statements see it.
 */
async function ensureImages(tx: Tx, images: readonly ImageRow[]): Promise<void> {
  const sorted = [...images].sort((a, b) => byCodePoint(a.sha256, b.sha256));
  await tx.query(
    `INSERT INTO images (sha256, path, width, height, format, orientation, exif, first_seen)
     SELECT s, p, w, h, f, o, e::json, ${NOW}
     FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[], $5::text[], $6::smallint[], $7::text[])
       WITH ORDINALITY AS t (s, p, w, h, f, o, e, n)
     ORDER BY n
     ON CONFLICT (sha256) DO NOTHING`,
    [
      sorted.map((i) => i.sha256),
      sorted.map((i) => i.path),
      sorted.map((i) => i.width),
      sorted.map((i) => i.height),
      sorted.map((i) => i.format),
      sorted.map((i) => i.orientation),
      sorted.map((i) => i.exif),
    ],
  );
}

/** Locks a case's row until commit (its files and notes change one writer at a time); its id. */
async function lockCase(tx: Tx, name: string): Promise<number> {
  const [row] = await tx.query<{ id: number }>('SELECT id FROM cases WHERE name = $1 FOR UPDATE', [name]);
  if (row === undefined) throw new InputError(`case ${name} does not exist`);
  return row.id;
}

/** Creates the camera row when new (model and device replaced when given) and locks it; its id. */
async function ensureCamera(
  tx: Tx,
  name: string,
  model: string | null,
  device: string | null,
): Promise<number> {
  const [camera] = await tx.query<{ id: number }>(
    `INSERT INTO cameras (name, model, device, created_at) VALUES ($1, $2, $3, ${NOW})
     ON CONFLICT (name) DO UPDATE SET model = coalesce(excluded.model, cameras.model),
                                      device = coalesce(excluded.device, cameras.device)
     RETURNING id`,
    [name, model, device],
  );
  return camera.id;
}

/**
 * Appends one entry after the chain's head, inside a write transaction: takes the audit lock
 * (held until commit), then reads the head, which no one else can now move.
 */
async function appendAuditTx(tx: Tx, input: AuditInput): Promise<AuditEntry> {
  const a = normalizeAudit(input);
  await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, AUDIT_LOCK]);
  // A new statement: it sees every entry committed before the lock was granted.
  const [head] = await tx.query<{ now: string; seq: number | null; hash: string | null }>(
    `SELECT ${NOW} AS now, h.seq, h.hash
     FROM (SELECT 1) AS one LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS h ON true`,
  );
  const seq = head.seq === null ? 1 : head.seq + 1;
  const prevHash = head.hash ?? GENESIS_HASH;
  const fields = {
    seq,
    ts: head.now,
    actor: a.actor,
    action: a.action,
    subject: a.subject,
    details: a.details,
  };
  const hash = auditHash(prevHash, fields);
  await tx.query(
    `INSERT INTO audit_log (seq, ts, actor, action, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [seq, head.now, a.actor, a.action, a.subject, canonicalJson(a.details, 'audit.details'), prevHash, hash],
  );
  return { ...fields, prevHash, hash };
}

/** Checks a database URL's form (not whether the server answers); returns it. `name` says where it came from. */
export function checkDatabaseUrl(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InputError(expected('a postgres:// or postgresql:// URL', name, value));
  }
  // libpq's forms, which WHATWG URLs do not all accept (postgresql://user@/db?host=/socket/dir):
  // node-postgres's own parser reads the rest.
  if (!/^postgres(?:ql)?:\/\//i.test(value)) {
    throw new InputError(
      `Expected a postgres:// or postgresql:// URL (e.g. postgresql://user@host:5432/camprint) for ${name} but received "${redactUrl(value)}"`,
    );
  }
  try {
    describePostgresUrl(value);
  } catch (err) {
    throw new InputError(
      `${name}: cannot read the URL "${redactUrl(value)}" (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  return value;
}
