/**
 * SQLite schema migrations, in order. Never edit one that has shipped: add the next version.
 * A PostgreSQL backend keeps the same versions and names with its own DDL.
 *
 * Tables are STRICT (SQLite ≥ 3.37): a value of the wrong type is refused rather than stored.
 * Timestamps are ISO 8601 UTC text; JSON columns hold canonical JSON text.
 */
import type { Migration } from './migrations.js';
import { GENESIS_HASH } from './audit.js';

const initial = `
CREATE TABLE cameras (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  model      TEXT,
  device     TEXT,
  notes      TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE images (
  id          INTEGER PRIMARY KEY,
  sha256      TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
  path        TEXT NOT NULL,
  width       INTEGER NOT NULL CHECK (width > 0),
  height      INTEGER NOT NULL CHECK (height > 0),
  format      TEXT NOT NULL,
  orientation INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
  exif        TEXT,
  first_seen  TEXT NOT NULL
) STRICT;

-- One current fingerprint per camera. data: float32 little-endian, row-major (height, width).
-- data comes last: SQLite reads a row's columns in order, and the columns after a large blob
-- would cost a walk through its overflow pages on every listing.
CREATE TABLE fingerprints (
  id          INTEGER PRIMARY KEY,
  camera_id   INTEGER NOT NULL UNIQUE REFERENCES cameras (id),
  width       INTEGER NOT NULL CHECK (width > 0),
  height      INTEGER NOT NULL CHECK (height > 0),
  images      INTEGER NOT NULL CHECK (images >= 0),
  quality     TEXT NOT NULL,
  params      TEXT NOT NULL,
  data_sha256 TEXT NOT NULL CHECK (length(data_sha256) = 64),
  created_at  TEXT NOT NULL,
  digest      BLOB,
  data        BLOB NOT NULL CHECK (length(data) = width * height * 4)
) STRICT;

CREATE TABLE fingerprint_sources (
  fingerprint_id INTEGER NOT NULL REFERENCES fingerprints (id) ON DELETE CASCADE,
  image_id       INTEGER NOT NULL REFERENCES images (id),
  PRIMARY KEY (fingerprint_id, image_id)
) STRICT;
CREATE INDEX fingerprint_sources_image ON fingerprint_sources (image_id);

-- camera is the name as text: a match result outlives the fingerprint it was made with.
CREATE TABLE matches (
  id            INTEGER PRIMARY KEY,
  image_id      INTEGER NOT NULL REFERENCES images (id),
  camera        TEXT NOT NULL,
  pce           REAL,
  ncc           REAL,
  p_false_alarm REAL CHECK (p_false_alarm BETWEEN 0 AND 1),
  shift_y       INTEGER NOT NULL DEFAULT 0,
  shift_x       INTEGER NOT NULL DEFAULT 0,
  rotation      INTEGER NOT NULL DEFAULT 0 CHECK (rotation IN (0, 90, 180, 270)),
  decision      TEXT NOT NULL,
  threshold     REAL NOT NULL,
  params        TEXT NOT NULL,
  created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX matches_camera ON matches (camera, id);
CREATE INDEX matches_image ON matches (image_id, id);

CREATE TABLE jobs (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  progress   REAL NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  params     TEXT NOT NULL,
  result     TEXT,
  error      TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_status ON jobs (status, created_at);

-- Append-only, hash-chained (see audit.ts). seq is assigned by the writer inside its transaction.
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  ts        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  subject   TEXT NOT NULL,
  details   TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;

-- A new entry must extend the chain: the next seq, linked to the last hash.
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_log), 0) + 1
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}')
BEGIN
  SELECT RAISE(ABORT, 'audit_log: a new entry must follow the last one (next seq, prev_hash = last hash)');
END;
`;

// Deep-learning data sets and models (docs/dl-format.md): what the store keeps is a summary; the
// folders hold the data. models.dataset is the name as text: a model outlives its data set's record.
const datasetsAndModels = `
CREATE TABLE datasets (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  path            TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
  input           TEXT NOT NULL,
  crop            INTEGER NOT NULL CHECK (crop > 0),
  classes         TEXT NOT NULL,
  train_crops     INTEGER NOT NULL CHECK (train_crops >= 0),
  val_crops       INTEGER NOT NULL CHECK (val_crops >= 0),
  test_crops      INTEGER NOT NULL CHECK (test_crops >= 0),
  train_images    INTEGER NOT NULL CHECK (train_images >= 0),
  val_images      INTEGER NOT NULL CHECK (val_images >= 0),
  test_images     INTEGER NOT NULL CHECK (test_images >= 0),
  params          TEXT NOT NULL,
  created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE models (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  path              TEXT NOT NULL,
  dataset           TEXT,
  network           TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('training', 'stopped', 'failed', 'done')),
  config            TEXT NOT NULL,
  epochs            INTEGER NOT NULL CHECK (epochs >= 0),
  best_val_accuracy REAL CHECK (best_val_accuracy BETWEEN 0 AND 1),
  curves            TEXT NOT NULL,
  metrics           TEXT,
  error             TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX models_dataset ON models (dataset);
`;

// Evidence (evidence/): each camera's library of JPEG tables from its reference images (a set of
// tables once per camera, with the images that showed it) and its defective-pixel map.
const evidence = `
CREATE TABLE jpeg_tables (
  id            INTEGER PRIMARY KEY,
  camera_id     INTEGER NOT NULL REFERENCES cameras (id),
  tables_sha256 TEXT NOT NULL CHECK (length(tables_sha256) = 64),
  quality       INTEGER CHECK (quality BETWEEN 1 AND 100),
  tables        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (camera_id, tables_sha256)
) STRICT;
CREATE INDEX jpeg_tables_sha256 ON jpeg_tables (tables_sha256);

CREATE TABLE jpeg_table_sources (
  table_id INTEGER NOT NULL REFERENCES jpeg_tables (id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL REFERENCES images (id),
  PRIMARY KEY (table_id, image_id)
) STRICT;

-- One current map per camera; defects: canonical JSON array of {x, y, kind, score, hits}.
CREATE TABLE defect_maps (
  id            INTEGER PRIMARY KEY,
  camera_id     INTEGER NOT NULL UNIQUE REFERENCES cameras (id),
  width         INTEGER NOT NULL CHECK (width > 0),
  height        INTEGER NOT NULL CHECK (height > 0),
  frames        INTEGER NOT NULL CHECK (frames > 0),
  params        TEXT NOT NULL,
  defects       TEXT NOT NULL,
  defects_count INTEGER NOT NULL CHECK (defects_count >= 0),
  created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE defect_map_sources (
  map_id   INTEGER NOT NULL REFERENCES defect_maps (id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL REFERENCES images (id),
  PRIMARY KEY (map_id, image_id)
) STRICT;
CREATE INDEX defect_map_sources_image ON defect_map_sources (image_id);
`;

// Cases (cases/): the question, the files examined (each once per case, by image, in the order
// added) and the examiner's notes. cameras: canonical JSON array of fingerprint names.
const cases = `
CREATE TABLE cases (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  title      TEXT NOT NULL,
  question   TEXT NOT NULL,
  examiner   TEXT NOT NULL,
  cameras    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE case_files (
  id       INTEGER PRIMARY KEY,
  case_id  INTEGER NOT NULL REFERENCES cases (id),
  image_id INTEGER NOT NULL REFERENCES images (id),
  path     TEXT NOT NULL,
  role     TEXT NOT NULL CHECK (role IN ('questioned', 'reference')),
  added_at TEXT NOT NULL,
  UNIQUE (case_id, image_id)
) STRICT;
CREATE INDEX case_files_image ON case_files (image_id);

CREATE TABLE case_notes (
  id         INTEGER PRIMARY KEY,
  case_id    INTEGER NOT NULL REFERENCES cases (id),
  text       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_notes_case ON case_notes (case_id, id);
`;

// Who runs what (util/process-owner.ts), so that a job or a training whose process was killed can
// be told from one still running: jobs.worker and jobs.backend; models.owner, and the model status
// 'interrupted'. SQLite cannot change a CHECK constraint in place: models is rebuilt (no table
// refers to it), its rows and ids kept.
const owners = `
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN backend TEXT CHECK (backend IN ('in-process', 'redis'));

CREATE TABLE models_v5 (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  path              TEXT NOT NULL,
  dataset           TEXT,
  network           TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('training', 'stopped', 'interrupted', 'failed', 'done')),
  config            TEXT NOT NULL,
  epochs            INTEGER NOT NULL CHECK (epochs >= 0),
  best_val_accuracy REAL CHECK (best_val_accuracy BETWEEN 0 AND 1),
  curves            TEXT NOT NULL,
  metrics           TEXT,
  error             TEXT,
  owner             TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
) STRICT;
INSERT INTO models_v5 (id, name, path, dataset, network, status, config, epochs, best_val_accuracy, curves,
                       metrics, error, owner, created_at, updated_at)
  SELECT id, name, path, dataset, network, status, config, epochs, best_val_accuracy, curves,
         metrics, error, NULL, created_at, updated_at
  FROM models;
DROP TABLE models;
ALTER TABLE models_v5 RENAME TO models;
CREATE INDEX models_dataset ON models (dataset);
`;

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: initial },
  { version: 2, name: 'datasets and models', up: datasetsAndModels },
  { version: 3, name: 'evidence', up: evidence },
  { version: 4, name: 'cases', up: cases },
  { version: 5, name: 'owners', up: owners },
];
