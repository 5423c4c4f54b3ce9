/**
 * The SQLite Store (better-sqlite3 v12; v13 crashes on Node 20). One file, `<dataDir>/camprint.db`.
 *
 * Settings, and why:
 * - journal_mode=WAL: readers never block the writer and the writer never blocks readers; several
 *   processes (CLI, server, workers) can share the file.
 * - busy_timeout (10 s by default): a writer waits for another process's write transaction
 *   instead of failing at once with SQLITE_BUSY.
 * - Every write is one `BEGIN IMMEDIATE` transaction: the write lock is taken at the start, so two
 *   processes' read-then-write sequences (the audit chain's head, a job's state) never interleave,
 *   and waiting happens in the busy handler, never as a deadlock-induced SQLITE_BUSY mid-way.
 * - synchronous=FULL: each commit is on disk (WAL fsync'd) before the call returns. NORMAL is also
 *   corruption-safe in WAL mode, but the last commits can vanish after a power loss; a forensic
 *   record (an audit entry, a match that was reported) must not. An fsync per write costs
 *   milliseconds, nothing next to computing a fingerprint.
 * - foreign_keys=ON: fingerprint sources and matches always point at existing rows.
 *
 * better-sqlite3 is synchronous: each async method does its work in one go (the Promise only
 * carries the result), so a call never yields while it holds a transaction.
 */
import Database from 'better-sqlite3';
import { InputError } from '../util/errors.js';
import { GENESIS_HASH, auditHash, verifyChain, type StoredAuditRow } from './audit.js';
import { bytesToDigest, bytesToFloat32 } from './blob.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import {
  checkMigrationList,
  pendingMigrations,
  type AppliedMigration,
  type Migration,
} from './migrations.js';
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
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
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
  isoNow,
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

export interface SqliteStoreOptions {
  /** The database file. Its directory must exist. */
  file: string;
  /** Actor recorded in the audit log when a call names none. */
  actor: string;
  /** How long a writer waits for another's lock, in ms. */
  busyTimeoutMs: number;
  /**
   * The schema to bring the database to: all of SQLITE_MIGRATIONS when absent. Tests give the
   * first few to make a database as an older camprint left it.
   */
  migrations?: readonly Migration[];
}

/** Opens (creating when absent) the database file, sets it up and brings its schema up to date. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const { file } = options;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs });
    db.pragma(`busy_timeout = ${Math.round(options.busyTimeoutMs)}`);
    refuseForeign(db, file); // before WAL mode, which would change the file
    const mode = switchToWal(db, options.busyTimeoutMs);
    if (mode !== 'wal') {
      throw new InputError(`${file}: cannot switch the database to WAL mode (it stays in ${mode} mode)`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, file, options.migrations ?? SQLITE_MIGRATIONS);
    return new SqliteStore(db, options);
  } catch (err) {
    db?.close();
    const storage = storageError(err, file);
    if (storage) throw storage;
    if (err instanceof Database.SqliteError) {
      if (err.code === 'SQLITE_NOTADB' || err.code === 'SQLITE_CORRUPT') {
        throw new InputError(`${file}: not a camprint database, or a corrupt one (${err.message})`);
      }
      if (err.code.startsWith('SQLITE_CANTOPEN') || err.code.startsWith('SQLITE_READONLY')) {
        throw new InputError(`${file}: cannot open the database for writing (${err.message})`);
      }
    }
    throw err;
  }
}

/**
 * A write the file system refused — the disk (or a quota, or a file-size limit) is full, or an
 * I/O error — as an InputError naming the database: the transaction was rolled back, the
 * database is as it was before the call.
 */
function storageError(err: unknown, file: string): InputError | undefined {
  if (!(err instanceof Database.SqliteError)) return undefined;
  if (err.code === 'SQLITE_FULL')
    return new InputError(
      `${file}: the disk is full (${err.message}); nothing was written, free some space and try again`,
    );
  if (err.code.startsWith('SQLITE_IOERR'))
    return new InputError(
      `${file}: cannot write the database (${err.code}: ${err.message}); nothing was written`,
    );
  return undefined;
}

/**
 * Sets WAL mode, retrying while another process holds the lock. Changing the journal mode needs
 * an exclusive lock, and SQLite answers SQLITE_BUSY at once, without the busy handler, when two
 * connections would otherwise deadlock escalating their locks (several processes opening a new
 * database together): so the wait is done here, with jitter, up to the busy timeout.
 */
function switchToWal(db: Database.Database, timeoutMs: number): string {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return db.pragma('journal_mode = WAL', { simple: true }) as string;
    } catch (err) {
      if (!(err instanceof Database.SqliteError) || err.code !== 'SQLITE_BUSY' || Date.now() >= deadline)
        throw err;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

/** Refuses a database that has tables but no schema_migrations: someone else's, left as it is. */
function refuseForeign(db: Database.Database, file: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
    name: string;
  }[];
  if (tables.length > 0 && !tables.some((t) => t.name === 'schema_migrations')) {
    throw new InputError(
      `${file}: not a camprint database (it has a table "${tables[0].name}" but no schema_migrations); it was left untouched`,
    );
  }
}

/**
 * Applies the pending migrations, each in its own BEGIN IMMEDIATE transaction with its
 * schema_migrations row. Several processes opening a new database at once are serialised by the
 * write lock; each re-reads the version under the lock, so a migration runs exactly once.
 */
function migrate(db: Database.Database, file: string, migrations: readonly Migration[]): void {
  checkMigrationList(migrations);
  const hasTable = () =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !==
    undefined;
  if (!hasTable()) {
    db.transaction(() => {
      refuseForeign(db, file);
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT',
      );
    }).immediate();
  }
  const applied = () =>
    db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as AppliedMigration[];
  for (const m of pendingMigrations(migrations, applied(), file)) {
    db.transaction(() => {
      if (!pendingMigrations(migrations, applied(), file).some((p) => p.version === m.version)) return;
      db.exec(m.up);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        isoNow(),
      );
    }).immediate();
  }
}

class SqliteStore implements Store {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly file: string;
  private readonly actor: string;

  constructor(
    private readonly conn: Database.Database,
    options: SqliteStoreOptions,
  ) {
    this.file = options.file;
    this.actor = options.actor;
  }

  private get db(): Database.Database {
    if (!this.conn.open) throw new Error(`store ${this.file} is closed`);
    return this.conn;
  }

  /** A prepared statement, cached by its text. */
  private sql(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (s === undefined) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  /** Runs fn in one BEGIN IMMEDIATE transaction: committed when it returns, rolled back when it throws. */
  private write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw storageError(err, this.file) ?? err;
    }
  }

  async info(): Promise<StoreInfo> {
    const row = this.sql('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
    return { backend: 'sqlite', location: this.file, schemaVersion: row.v ?? 0 };
  }

  // ── fingerprints ──────────────────────────────────────────────────────────

  async putFingerprint(input: PutFingerprintInput): Promise<FingerprintRecord> {
    const fp = normalizeFingerprint(input);
    const actor = fp.actor ?? this.actor;
    // fp.bytes may view the caller's array: everything below runs without yielding.
    return this.write(() => {
      const now = isoNow();
      const camera = this.sql(
        `INSERT INTO cameras (name, model, device, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET model = coalesce(excluded.model, cameras.model),
                                          device = coalesce(excluded.device, cameras.device)
         RETURNING id`,
      ).get(fp.camera, fp.model, fp.device, now) as { id: number };
      const previous = this.sql('SELECT id, data_sha256 FROM fingerprints WHERE camera_id = ?').get(
        camera.id,
      ) as { id: number; data_sha256: string } | undefined;
      if (previous) this.sql('DELETE FROM fingerprints WHERE id = ?').run(previous.id);
      const inserted = this.sql(
        `INSERT INTO fingerprints (camera_id, width, height, images, quality, params, data, data_sha256, digest, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      ).get(
        camera.id,
        fp.width,
        fp.height,
        fp.images,
        fp.quality,
        fp.params,
        fp.bytes,
        fp.dataSha256,
        fp.digest,
        now,
      ) as {
        id: number;
      };
      const addSource = this.sql('INSERT INTO fingerprint_sources (fingerprint_id, image_id) VALUES (?, ?)');
      for (const source of fp.sources) addSource.run(inserted.id, this.ensureImage(source, now));
      this.appendAuditTx(
        {
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
        },
        now,
      );
      return this.fingerprintRecord(fp.camera) as FingerprintRecord;
    });
  }

  async getFingerprint(camera: string): Promise<StoredFingerprint | undefined> {
    checkName(camera, 'camera');
    const row = this.sql(
      `SELECT ${FINGERPRINT_COLUMNS}, f.data FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = ?`,
    ).get(camera) as (FingerprintRowDb & { data: Buffer }) | undefined;
    if (row === undefined) return undefined;
    const record = toFingerprintRecord(row);
    const data = bytesToFloat32(
      row.data,
      row.width * row.height,
      `fingerprint ${camera} (${row.width}×${row.height})`,
    );
    const sha = sha256Hex(row.data);
    if (sha !== row.data_sha256) {
      throw new InputError(
        `fingerprint ${camera}: stored data has SHA-256 ${sha} but ${row.data_sha256} was recorded; the database is corrupt`,
      );
    }
    return { record, data };
  }

  private fingerprintRecord(camera: string): FingerprintRecord | undefined {
    const row = this.sql(
      `SELECT ${FINGERPRINT_COLUMNS} FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = ?`,
    ).get(camera) as FingerprintRowDb | undefined;
    return row && toFingerprintRecord(row);
  }

  async getFingerprintRecord(camera: string): Promise<FingerprintRecord | undefined> {
    return this.fingerprintRecord(checkName(camera, 'camera'));
  }

  async listFingerprints(): Promise<FingerprintRecord[]> {
    const rows = this.sql(
      `SELECT ${FINGERPRINT_COLUMNS} FROM fingerprints f JOIN cameras c ON c.id = f.camera_id`,
    ).all() as FingerprintRowDb[];
    return rows.map(toFingerprintRecord).sort((a, b) => byCodePoint(a.camera, b.camera));
  }

  async listFingerprintSources(camera: string): Promise<ImageRecord[]> {
    checkName(camera, 'camera');
    const rows = this.sql(
      `SELECT ${IMAGE_COLUMNS} FROM fingerprint_sources s
         JOIN fingerprints f ON f.id = s.fingerprint_id
         JOIN cameras c ON c.id = f.camera_id
         JOIN images i ON i.id = s.image_id
       WHERE c.name = ?`,
    ).all(camera) as ImageRowDb[];
    return rows.map(toImageRecord).sort((a, b) => byCodePoint(a.sha256, b.sha256));
  }

  async putDigest(camera: string, dataSha256: string, digest: FingerprintDigest): Promise<void> {
    checkName(camera, 'camera');
    checkSha256(dataSha256, 'dataSha256');
    this.write(() => {
      const row = this.sql(
        'SELECT f.id, f.width, f.height, f.data_sha256 FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = ?',
      ).get(camera) as { id: number; width: number; height: number; data_sha256: string } | undefined;
      if (row === undefined) throw new InputError(`camera ${camera}: no fingerprint to store a digest for`);
      if (row.data_sha256 !== dataSha256) {
        throw new InputError(
          `camera ${camera}: the fingerprint is now ${row.data_sha256}, not ${dataSha256}; the digest was made from a replaced fingerprint`,
        );
      }
      const blob = checkDigest(digest, row.width, row.height, 'digest');
      this.sql('UPDATE fingerprints SET digest = ? WHERE id = ?').run(blob, row.id);
    });
  }

  async *scanDigests(options: DigestScanOptions = {}): AsyncIterable<DigestEntry[]> {
    const { batchSize, width, height, shards, shard } = normalizeDigestScan(options);
    // Keyset paging by row id: each batch is its own statement, so the connection is free
    // between batches (better-sqlite3 cannot run other statements while an iterator is open).
    const page = this.sql(
      `SELECT f.id, c.name AS camera, f.width, f.height, f.data_sha256, f.digest FROM fingerprints f
         JOIN cameras c ON c.id = f.camera_id
       WHERE f.id > ? AND f.digest IS NOT NULL AND (? IS NULL OR f.width = ?) AND (? IS NULL OR f.height = ?)
         AND f.id % ? = ?
       ORDER BY f.id LIMIT ?`,
    );
    let after = 0;
    for (;;) {
      const rows = page.all(after, width, width, height, height, shards, shard, batchSize) as {
        id: number;
        camera: string;
        width: number;
        height: number;
        data_sha256: string;
        digest: Buffer;
      }[];
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
    return this.write(() => {
      const row = this.sql(
        'SELECT f.id, f.data_sha256 FROM fingerprints f JOIN cameras c ON c.id = f.camera_id WHERE c.name = ?',
      ).get(camera) as { id: number; data_sha256: string } | undefined;
      if (row === undefined) return false;
      this.sql('DELETE FROM fingerprints WHERE id = ?').run(row.id);
      this.appendAuditTx(
        {
          actor,
          action: 'fingerprint.delete',
          subject: `camera:${camera}`,
          details: { dataSha256: row.data_sha256 },
        },
        isoNow(),
      );
      return true;
    });
  }

  async listCameras(): Promise<CameraRecord[]> {
    const rows = this.sql(
      'SELECT name, model, device, notes, created_at FROM cameras',
    ).all() as CameraRowDb[];
    return rows.map(toCameraRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  // ── images ────────────────────────────────────────────────────────────────

  /** Inserts the image when its SHA-256 is new (inside a write transaction); returns its row id. */
  private ensureImage(image: ImageRow, now: string): number {
    this.sql(
      `INSERT INTO images (sha256, path, width, height, format, orientation, exif, first_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
    ).run(
      image.sha256,
      image.path,
      image.width,
      image.height,
      image.format,
      image.orientation,
      image.exif,
      now,
    );
    return (this.sql('SELECT id FROM images WHERE sha256 = ?').get(image.sha256) as { id: number }).id;
  }

  private imageRecord(sha256: string): ImageRecord | undefined {
    const row = this.sql(`SELECT ${IMAGE_COLUMNS} FROM images i WHERE i.sha256 = ?`).get(sha256) as
      ImageRowDb | undefined;
    return row && toImageRecord(row);
  }

  async upsertImage(input: ImageInput): Promise<ImageRecord> {
    const image = normalizeImage(input, 'image');
    return this.write(() => {
      this.ensureImage(image, isoNow());
      return this.imageRecord(image.sha256) as ImageRecord;
    });
  }

  async getImage(sha256: string): Promise<ImageRecord | undefined> {
    return this.imageRecord(checkSha256(sha256, 'sha256'));
  }

  // ── matches ───────────────────────────────────────────────────────────────

  async recordMatch(input: MatchInput): Promise<MatchRecord> {
    const m = normalizeMatch(input);
    const actor = m.actor ?? this.actor;
    return this.write(() => {
      const now = isoNow();
      const imageId = this.ensureImage(m.image, now);
      const { id } = this.sql(
        `INSERT INTO matches (image_id, camera, pce, ncc, p_false_alarm, shift_y, shift_x, rotation, decision, threshold,
                              params, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      ).get(
        imageId,
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
        now,
      ) as { id: number };
      this.appendAuditTx(
        {
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
        },
        now,
      );
      const row = this.sql(
        `SELECT ${MATCH_COLUMNS} FROM matches m JOIN images i ON i.id = m.image_id WHERE m.id = ?`,
      ).get(id) as MatchRowDb;
      return toMatchRecord(row);
    });
  }

  async listMatches(filter?: MatchFilter): Promise<MatchRecord[]> {
    const f = normalizeMatchFilter(filter);
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.camera !== undefined) {
      where.push('m.camera = ?');
      params.push(f.camera);
    }
    if (f.imageSha256 !== undefined) {
      where.push('i.sha256 = ?');
      params.push(f.imageSha256);
    }
    if (f.decision !== undefined) {
      where.push('m.decision = ?');
      params.push(f.decision);
    }
    if (f.afterId !== undefined) {
      where.push('m.id > ?');
      params.push(f.afterId);
    }
    const text =
      `SELECT ${MATCH_COLUMNS} FROM matches m JOIN images i ON i.id = m.image_id` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY m.id' +
      (f.limit !== undefined ? ' LIMIT ?' : '');
    if (f.limit !== undefined) params.push(f.limit);
    return (this.sql(text).all(...params) as MatchRowDb[]).map(toMatchRecord);
  }

  // ── jobs ──────────────────────────────────────────────────────────────────

  private jobRecord(id: string): JobRecord | undefined {
    const row = this.sql(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRowDb | undefined;
    return row && toJobRecord(row);
  }

  async createJob(input: JobInput): Promise<JobRecord> {
    const job = normalizeJobInput(input);
    return this.write(() => {
      if (this.jobRecord(job.id) !== undefined) throw new InputError(`job ${job.id} already exists`);
      const now = isoNow();
      this.sql(
        `INSERT INTO jobs (id, kind, status, progress, params, result, error, worker, backend, created_at, updated_at)
         VALUES (?, ?, 'queued', 0, ?, NULL, NULL, ?, ?, ?, ?)`,
      ).run(job.id, job.kind, job.params, job.worker, job.backend, now, now);
      return this.jobRecord(job.id) as JobRecord;
    });
  }

  async updateJob(id: string, patch: JobPatch): Promise<JobRecord> {
    checkName(id, 'id');
    const p = normalizeJobPatch(patch);
    return this.write(() => {
      const row = this.sql(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRowDb | undefined;
      if (row === undefined) throw new InputError(`job ${id} does not exist`);
      this.sql(
        'UPDATE jobs SET status = ?, progress = ?, result = ?, error = ?, worker = ?, updated_at = ? WHERE id = ?',
      ).run(
        p.status ?? row.status,
        p.progress ?? row.progress,
        p.result === undefined ? row.result : p.result,
        p.error === undefined ? row.error : p.error,
        p.worker === undefined ? row.worker : p.worker,
        isoNow(),
        id,
      );
      return this.jobRecord(id) as JobRecord;
    });
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    return this.jobRecord(checkName(id, 'id'));
  }

  async listJobs(filter?: JobFilter): Promise<JobRecord[]> {
    const f = normalizeJobFilter(filter);
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.status !== undefined) {
      where.push('status = ?');
      params.push(f.status);
    }
    if (f.kind !== undefined) {
      where.push('kind = ?');
      params.push(f.kind);
    }
    const text =
      `SELECT ${JOB_COLUMNS} FROM jobs` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY created_at, id' +
      (f.limit !== undefined ? ' LIMIT ?' : '');
    if (f.limit !== undefined) params.push(f.limit);
    return (this.sql(text).all(...params) as JobRowDb[]).map(toJobRecord);
  }

  // ── data sets ─────────────────────────────────────────────────────────────

  private datasetRecord(name: string): DatasetRecord | undefined {
    const row = this.sql(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE name = ?`).get(name) as
      DatasetRowDb | undefined;
    return row && toDatasetRecord(row);
  }

  async putDataset(input: DatasetInput): Promise<DatasetRecord> {
    const ds = normalizeDataset(input);
    const actor = ds.actor ?? this.actor;
    return this.write(() => {
      const now = isoNow();
      const previous = this.sql('SELECT manifest_sha256 FROM datasets WHERE name = ?').get(ds.name) as
        { manifest_sha256: string } | undefined;
      this.sql(
        `INSERT INTO datasets (name, path, manifest_sha256, input, crop, classes, train_crops, val_crops, test_crops,
                               train_images, val_images, test_images, params, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET path = excluded.path, manifest_sha256 = excluded.manifest_sha256,
           input = excluded.input, crop = excluded.crop, classes = excluded.classes,
           train_crops = excluded.train_crops, val_crops = excluded.val_crops, test_crops = excluded.test_crops,
           train_images = excluded.train_images, val_images = excluded.val_images,
           test_images = excluded.test_images, params = excluded.params, created_at = excluded.created_at`,
      ).run(
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
        now,
      );
      this.appendAuditTx(
        {
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
        },
        now,
      );
      return this.datasetRecord(ds.name) as DatasetRecord;
    });
  }

  async getDataset(name: string): Promise<DatasetRecord | undefined> {
    return this.datasetRecord(checkName(name, 'name'));
  }

  async listDatasets(): Promise<DatasetRecord[]> {
    const rows = this.sql(`SELECT ${DATASET_COLUMNS} FROM datasets`).all() as DatasetRowDb[];
    return rows.map(toDatasetRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  async deleteDataset(name: string, options: { actor?: string } = {}): Promise<boolean> {
    checkName(name, 'name');
    const actor = options.actor === undefined ? this.actor : checkName(options.actor, 'options.actor');
    return this.write(() => {
      const row = this.sql('SELECT id, manifest_sha256 FROM datasets WHERE name = ?').get(name) as
        { id: number; manifest_sha256: string } | undefined;
      if (row === undefined) return false;
      this.sql('DELETE FROM datasets WHERE id = ?').run(row.id);
      this.appendAuditTx(
        {
          actor,
          action: 'dataset.delete',
          subject: `dataset:${name}`,
          details: { manifestSha256: row.manifest_sha256 },
        },
        isoNow(),
      );
      return true;
    });
  }

  // ── models ────────────────────────────────────────────────────────────────

  private modelRecord(name: string): ModelRecord | undefined {
    const row = this.sql(`SELECT ${MODEL_COLUMNS} FROM models WHERE name = ?`).get(name) as
      ModelRowDb | undefined;
    return row && toModelRecord(row);
  }

  async putModel(input: ModelInput): Promise<ModelRecord> {
    const m = normalizeModel(input);
    const actor = m.actor ?? this.actor;
    return this.write(() => {
      const now = isoNow();
      const previous = this.sql('SELECT created_at FROM models WHERE name = ?').get(m.name) as
        { created_at: string } | undefined;
      this.sql(
        `INSERT INTO models (name, path, dataset, network, status, config, epochs, best_val_accuracy, curves, metrics,
                             error, owner, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET path = excluded.path, dataset = excluded.dataset,
           network = excluded.network, status = excluded.status, config = excluded.config,
           epochs = excluded.epochs, best_val_accuracy = excluded.best_val_accuracy, curves = excluded.curves,
           metrics = excluded.metrics, error = excluded.error, owner = excluded.owner,
           created_at = excluded.created_at, updated_at = excluded.updated_at`,
      ).run(
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
        now,
        now,
      );
      this.appendAuditTx(
        {
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
        },
        now,
      );
      return this.modelRecord(m.name) as ModelRecord;
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
    return this.write(() => {
      const row = this.sql(`SELECT ${MODEL_COLUMNS} FROM models WHERE name = ?`).get(name) as
        ModelRowDb | undefined;
      if (row === undefined) throw new InputError(`model ${name} does not exist`);
      const unmet = unmetExpectation(name, row, expect);
      if (unmet) throw unmet;
      const now = isoNow();
      this.sql(
        `UPDATE models SET status = ?, epochs = ?, best_val_accuracy = ?, curves = ?, metrics = ?, error = ?,
                           owner = ?, updated_at = ?
         WHERE name = ?`,
      ).run(
        p.status ?? row.status,
        p.epochs ?? row.epochs,
        p.bestValAccuracy === undefined ? row.best_val_accuracy : p.bestValAccuracy,
        p.curves ?? row.curves,
        p.metrics === undefined ? row.metrics : p.metrics,
        p.error === undefined ? row.error : p.error,
        p.owner === undefined ? row.owner : p.owner,
        now,
        name,
      );
      // The changed fields; large ones (curves, metrics) by size and hash, so the log stays small.
      this.appendAuditTx(
        {
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
        },
        now,
      );
      return this.modelRecord(name) as ModelRecord;
    });
  }

  async getModel(name: string): Promise<ModelRecord | undefined> {
    return this.modelRecord(checkName(name, 'name'));
  }

  async listModels(): Promise<ModelRecord[]> {
    const rows = this.sql(`SELECT ${MODEL_COLUMNS} FROM models`).all() as ModelRowDb[];
    return rows.map(toModelRecord).sort((a, b) => byCodePoint(a.name, b.name));
  }

  async deleteModel(name: string, options: { actor?: string } = {}): Promise<boolean> {
    checkName(name, 'name');
    const actor = options.actor === undefined ? this.actor : checkName(options.actor, 'options.actor');
    return this.write(() => {
      const row = this.sql('SELECT id, status, epochs FROM models WHERE name = ?').get(name) as
        { id: number; status: string; epochs: number } | undefined;
      if (row === undefined) return false;
      this.sql('DELETE FROM models WHERE id = ?').run(row.id);
      this.appendAuditTx(
        {
          actor,
          action: 'model.delete',
          subject: `model:${name}`,
          details: { status: row.status, epochs: row.epochs },
        },
        isoNow(),
      );
      return true;
    });
  }

  // ── evidence: JPEG tables, defect maps, intake ─────────────────────────────

  /** Creates the camera row when new (model and device replaced when given); its id. */
  private ensureCamera(name: string, model: string | null, device: string | null, now: string): number {
    return (
      this.sql(
        `INSERT INTO cameras (name, model, device, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET model = coalesce(excluded.model, cameras.model),
                                          device = coalesce(excluded.device, cameras.device)
         RETURNING id`,
      ).get(name, model, device, now) as { id: number }
    ).id;
  }

  async putJpegTables(input: PutJpegTablesInput): Promise<JpegTablesRecord[]> {
    const t = normalizeJpegTables(input);
    const actor = t.actor ?? this.actor;
    return this.write(() => {
      const now = isoNow();
      const cameraId = this.ensureCamera(t.camera, t.model, t.device, now);
      const added: { tablesSha256: string; quality: number | null; sources: string[]; new: boolean }[] = [];
      for (const set of t.sets) {
        const existing = this.sql('SELECT id FROM jpeg_tables WHERE camera_id = ? AND tables_sha256 = ?').get(
          cameraId,
          set.tablesSha256,
        ) as { id: number } | undefined;
        const id =
          existing?.id ??
          (
            this.sql(
              `INSERT INTO jpeg_tables (camera_id, tables_sha256, quality, tables, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
            ).get(cameraId, set.tablesSha256, set.quality, set.tables, now, now) as { id: number }
          ).id;
        const link = this.sql(
          'INSERT INTO jpeg_table_sources (table_id, image_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
        );
        for (const source of set.sources) link.run(id, this.ensureImage(source, now));
        if (existing) this.sql('UPDATE jpeg_tables SET updated_at = ? WHERE id = ?').run(now, id);
        added.push({
          tablesSha256: set.tablesSha256,
          quality: set.quality,
          sources: set.sources.map((s) => s.sha256),
          new: existing === undefined,
        });
      }
      this.appendAuditTx(
        { actor, action: 'jpeg-tables.put', subject: `camera:${t.camera}`, details: { sets: added } },
        now,
      );
      const rows = this.sql(
        `SELECT ${JPEG_TABLES_COLUMNS} FROM jpeg_tables t JOIN cameras c ON c.id = t.camera_id
         WHERE t.camera_id = ?`,
      ).all(cameraId) as JpegTablesRowDb[];
      const wanted = new Set(t.sets.map((s) => s.tablesSha256));
      return rows
        .map(toJpegTablesRecord)
        .filter((r) => wanted.has(r.tablesSha256))
        .sort((a, b) => byCodePoint(a.tablesSha256, b.tablesSha256));
    });
  }

  async listJpegTables(camera?: string): Promise<JpegTablesRecord[]> {
    if (camera !== undefined) checkName(camera, 'camera');
    const rows = this.sql(
      `SELECT ${JPEG_TABLES_COLUMNS} FROM jpeg_tables t JOIN cameras c ON c.id = t.camera_id
       WHERE ? IS NULL OR c.name = ?`,
    ).all(camera ?? null, camera ?? null) as JpegTablesRowDb[];
    return rows
      .map(toJpegTablesRecord)
      .sort((a, b) => byCodePoint(a.camera, b.camera) || byCodePoint(a.tablesSha256, b.tablesSha256));
  }

  async putDefectMap(input: PutDefectMapInput): Promise<DefectMapRecord> {
    const m = normalizeDefectMap(input);
    const actor = m.actor ?? this.actor;
    return this.write(() => {
      const now = isoNow();
      const cameraId = this.ensureCamera(m.camera, m.model, m.device, now);
      const previous = this.sql('SELECT id, defects_count FROM defect_maps WHERE camera_id = ?').get(
        cameraId,
      ) as { id: number; defects_count: number } | undefined;
      if (previous) this.sql('DELETE FROM defect_maps WHERE id = ?').run(previous.id);
      const inserted = this.sql(
        `INSERT INTO defect_maps (camera_id, width, height, frames, params, defects, defects_count, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      ).get(cameraId, m.width, m.height, m.frames, m.params, m.defects, m.count, now) as { id: number };
      const link = this.sql('INSERT INTO defect_map_sources (map_id, image_id) VALUES (?, ?)');
      for (const source of m.sources) link.run(inserted.id, this.ensureImage(source, now));
      this.appendAuditTx(
        {
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
        },
        now,
      );
      return this.defectMap(m.camera) as DefectMapRecord;
    });
  }

  private defectMap(camera: string): DefectMapRecord | undefined {
    const row = this.sql(
      `SELECT ${DEFECT_MAP_COLUMNS} FROM defect_maps d JOIN cameras c ON c.id = d.camera_id WHERE c.name = ?`,
    ).get(camera) as DefectMapRowDb | undefined;
    return row && toDefectMapRecord(row);
  }

  async getDefectMap(camera: string): Promise<DefectMapRecord | undefined> {
    return this.defectMap(checkName(camera, 'camera'));
  }

  async listDefectMaps(): Promise<DefectMapRecord[]> {
    const rows = this.sql(
      `SELECT ${DEFECT_MAP_COLUMNS} FROM defect_maps d JOIN cameras c ON c.id = d.camera_id`,
    ).all() as DefectMapRowDb[];
    return rows.map(toDefectMapRecord).sort((a, b) => byCodePoint(a.camera, b.camera));
  }

  async recordEvidence(input: EvidenceInput): Promise<AuditEntry> {
    const e = normalizeEvidence(input);
    const actor = e.actor ?? this.actor;
    return this.write(() => {
      const now = isoNow();
      this.ensureImage(e.image, now);
      return this.appendAuditTx(
        {
          actor,
          action: e.action,
          subject: `image:${e.image.sha256}`,
          details: { path: e.image.path, ...e.details },
        },
        now,
      );
    });
  }

  // ── cases ─────────────────────────────────────────────────────────────────

  private caseRow(name: string): (CaseRowDb & { id: number }) | undefined {
    return this.sql(`SELECT k.id, ${CASE_COLUMNS} FROM cases k WHERE k.name = ?`).get(name) as
      (CaseRowDb & { id: number }) | undefined;
  }

  /** The case's row id; InputError when it does not exist. */
  private caseId(name: string): number {
    const row = this.caseRow(name);
    if (row === undefined) throw new InputError(`case ${name} does not exist`);
    return row.id;
  }

  async putCase(input: CaseInput): Promise<CaseRecord> {
    const c = normalizeCase(input);
    const actor = c.actor ?? this.actor;
    const given = caseFields(c);
    return this.write(() => {
      const now = isoNow();
      const previous = this.caseRow(c.name);
      if (previous === undefined) {
        this.sql(
          `INSERT INTO cases (name, title, question, examiner, cameras, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(c.name, c.title ?? '', c.question ?? '', c.examiner ?? '', c.cameras ?? '[]', now, now);
        const created = toCaseRecord(this.caseRow(c.name) as CaseRowDb);
        this.appendAuditTx(
          {
            actor,
            action: 'case.create',
            subject: `case:${c.name}`,
            details: {
              title: created.title,
              question: created.question,
              examiner: created.examiner,
              cameras: created.cameras,
            },
          },
          now,
        );
        return created;
      }
      const before = toCaseRecord(previous);
      if (Object.keys(given).length === 0) return before;
      this.sql(
        `UPDATE cases SET title = coalesce(?, title), question = coalesce(?, question),
                          examiner = coalesce(?, examiner), cameras = coalesce(?, cameras), updated_at = ?
         WHERE id = ?`,
      ).run(c.title ?? null, c.question ?? null, c.examiner ?? null, c.cameras ?? null, now, previous.id);
      const was: Record<string, unknown> = {};
      for (const key of Object.keys(given)) was[key] = before[key as keyof typeof given];
      this.appendAuditTx(
        { actor, action: 'case.update', subject: `case:${c.name}`, details: { ...given, previous: was } },
        now,
      );
      return toCaseRecord(this.caseRow(c.name) as CaseRowDb);
    });
  }

  async getCase(name: string): Promise<CaseRecord | undefined> {
    const row = this.caseRow(checkName(name, 'name'));
    return row && toCaseRecord(row);
  }

  async listCases(): Promise<CaseRecord[]> {
    const rows = this.sql(`SELECT ${CASE_COLUMNS} FROM cases k`).all() as CaseRowDb[];
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
    return this.write(() => {
      const caseId = this.caseId(caseName);
      const now = isoNow();
      const insert = this.sql(
        `INSERT INTO case_files (case_id, image_id, path, role, added_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (case_id, image_id) DO NOTHING RETURNING id`,
      );
      let added = 0;
      for (const f of rows) {
        const imageId = this.ensureImage(f.image, now);
        if (insert.get(caseId, imageId, f.image.path, f.role, now) === undefined) continue;
        added++;
        this.appendAuditTx(
          {
            actor,
            action: 'case.add-file',
            subject: `case:${caseName}`,
            details: { sha256: f.image.sha256, role: f.role, path: f.image.path },
          },
          now,
        );
      }
      if (added > 0) this.sql('UPDATE cases SET updated_at = ? WHERE id = ?').run(now, caseId);
      const one = this.sql(
        `SELECT ${CASE_FILE_COLUMNS} FROM case_files f JOIN cases k ON k.id = f.case_id
           JOIN images i ON i.id = f.image_id
         WHERE f.case_id = ? AND i.sha256 = ?`,
      );
      return rows.map((f) => toCaseFile(one.get(caseId, f.image.sha256) as CaseFileRowDb));
    });
  }

  async listCaseFiles(caseName: string): Promise<CaseFile[]> {
    const caseId = this.caseId(checkName(caseName, 'caseName'));
    const rows = this.sql(
      `SELECT ${CASE_FILE_COLUMNS} FROM case_files f JOIN cases k ON k.id = f.case_id
         JOIN images i ON i.id = f.image_id
       WHERE f.case_id = ? ORDER BY f.id`,
    ).all(caseId) as CaseFileRowDb[];
    return rows.map(toCaseFile);
  }

  async addCaseNote(caseName: string, text: string, options?: { actor?: string }): Promise<CaseNote> {
    checkName(caseName, 'caseName');
    const note = normalizeCaseNote(text);
    const actor = optionalActor(options) ?? this.actor;
    return this.write(() => {
      const caseId = this.caseId(caseName);
      const now = isoNow();
      const { id } = this.sql(
        'INSERT INTO case_notes (case_id, text, actor, created_at) VALUES (?, ?, ?, ?) RETURNING id',
      ).get(caseId, note, actor, now) as { id: number };
      this.sql('UPDATE cases SET updated_at = ? WHERE id = ?').run(now, caseId);
      this.appendAuditTx(
        { actor, action: 'case.note', subject: `case:${caseName}`, details: { note: id, text: note } },
        now,
      );
      return { id, case: caseName, text: note, actor, createdAt: now };
    });
  }

  async listCaseNotes(caseName: string): Promise<CaseNote[]> {
    const caseId = this.caseId(checkName(caseName, 'caseName'));
    const rows = this.sql(
      `SELECT ${CASE_NOTE_COLUMNS} FROM case_notes n JOIN cases k ON k.id = n.case_id
       WHERE n.case_id = ? ORDER BY n.id`,
    ).all(caseId) as CaseNoteRowDb[];
    return rows.map(toCaseNote);
  }

  // ── audit log ─────────────────────────────────────────────────────────────

  /** Appends one entry after the current head (inside a write transaction, so the head cannot move). */
  private appendAuditTx(input: AuditInput, ts: string): AuditEntry {
    const a = normalizeAudit(input);
    const head = this.sql('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    const seq = head ? head.seq + 1 : 1;
    const prevHash = head ? head.hash : GENESIS_HASH;
    const fields = { seq, ts, actor: a.actor, action: a.action, subject: a.subject, details: a.details };
    const hash = auditHash(prevHash, fields);
    this.sql(
      `INSERT INTO audit_log (seq, ts, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(seq, ts, a.actor, a.action, a.subject, canonicalJson(a.details, 'audit.details'), prevHash, hash);
    return { ...fields, prevHash, hash };
  }

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const entry = withActor(input, this.actor);
    normalizeAudit(entry); // reject bad input before taking the write lock
    return this.write(() => this.appendAuditTx(entry, isoNow()));
  }

  async listAudit(filter?: AuditFilter): Promise<AuditEntry[]> {
    const fromSeq =
      filter?.fromSeq === undefined
        ? 1
        : checkInteger(filter.fromSeq, 'filter.fromSeq', 1, Number.MAX_SAFE_INTEGER);
    const limit = checkLimit(filter?.limit, 'filter.limit');
    const text =
      `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq` +
      (limit !== undefined ? ' LIMIT ?' : '');
    const params = limit !== undefined ? [fromSeq, limit] : [fromSeq];
    return (this.sql(text).all(...params) as AuditRowDb[]).map(toAuditEntry);
  }

  async verifyAudit(): Promise<AuditVerification> {
    // One SELECT reads one consistent snapshot (WAL), streamed row by row.
    const rows = this.db
      .prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq`)
      .iterate() as IterableIterator<AuditRowDb>;
    function* entries(): Generator<StoredAuditRow> {
      for (const r of rows) yield toStoredAuditRow(r);
    }
    return verifyChain(entries());
  }

  async close(): Promise<void> {
    if (this.conn.open) this.conn.close();
  }
}
