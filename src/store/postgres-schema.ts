/**
 * PostgreSQL schema migrations, in order: the same versions and names as SQLITE_MIGRATIONS, in
 * PostgreSQL's dialect. Never edit one that has shipped: add the next version (to both lists).
 *
 * Types, and why:
 * - Times are timestamptz (the store writes millisecond UTC instants and reads them back as ISO
 *   8601 text), so a lab can query them by range; except audit_log.ts, which is the exact ISO
 *   text the entry's hash covers, so the chain can be recomputed from the rows as stored.
 * - JSON columns are json, not jsonb: json keeps the canonical text byte for byte (jsonb would
 *   reorder keys and rewrite numbers) and still refuses text that is not JSON.
 * - Blobs are bytea with STORAGE EXTERNAL: float32 noise does not compress, so PostgreSQL
 *   does not try, and a slice of a blob reads only the TOAST chunks it covers.
 * - Row ids are bigint identity columns; counts that may pass 2^31 are bigint.
 *
 * The audit log is append-only (triggers refuse UPDATE, DELETE and TRUNCATE) and a new entry must
 * extend the chain; the chain trigger takes the same advisory lock as the store's writers
 * (AUDIT_LOCK), so even an INSERT from outside camprint cannot interleave with theirs.
 */
import { GENESIS_HASH } from './audit.js';
import type { Migration } from './migrations.js';

/** First key of camprint's advisory locks (two-int form): "camp" in ASCII. */
export const LOCK_CLASS = 0x63616d70;
/** Second key: the audit chain (held from reading the chain's head until commit). */
export const AUDIT_LOCK = 1;
/** Second key: schema migrations (held while a process migrates). */
export const MIGRATION_LOCK = 2;

const initial = `
CREATE TABLE cameras (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  model      text,
  device     text,
  notes      text,
  created_at timestamptz NOT NULL
);

CREATE TABLE images (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sha256      text NOT NULL UNIQUE CHECK (length(sha256) = 64),
  path        text NOT NULL,
  width       integer NOT NULL CHECK (width > 0),
  height      integer NOT NULL CHECK (height > 0),
  format      text NOT NULL,
  orientation smallint NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
  exif        json,
  first_seen  timestamptz NOT NULL
);

-- One current fingerprint per camera. data: float32 little-endian, row-major (height, width).
-- A row's data never changes: a new fingerprint is a new row (readers rely on it to read a large
-- blob in slices by row id without a transaction).
CREATE TABLE fingerprints (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id   bigint NOT NULL UNIQUE REFERENCES cameras (id),
  width       integer NOT NULL CHECK (width > 0),
  height      integer NOT NULL CHECK (height > 0),
  images      integer NOT NULL CHECK (images >= 0),
  quality     json NOT NULL,
  params      json NOT NULL,
  data_sha256 text NOT NULL CHECK (length(data_sha256) = 64),
  created_at  timestamptz NOT NULL,
  digest      bytea CHECK (length(digest) % 8 = 0),
  data        bytea NOT NULL CHECK (length(data)::bigint = width::bigint * height * 4)
);
ALTER TABLE fingerprints ALTER COLUMN data SET STORAGE EXTERNAL, ALTER COLUMN digest SET STORAGE EXTERNAL;

CREATE TABLE fingerprint_sources (
  fingerprint_id bigint NOT NULL REFERENCES fingerprints (id) ON DELETE CASCADE,
  image_id       bigint NOT NULL REFERENCES images (id),
  PRIMARY KEY (fingerprint_id, image_id)
);
CREATE INDEX fingerprint_sources_image ON fingerprint_sources (image_id);

-- camera is the name as text: a match result outlives the fingerprint it was made with.
CREATE TABLE matches (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  image_id      bigint NOT NULL REFERENCES images (id),
  camera        text NOT NULL,
  pce           double precision,
  ncc           double precision,
  p_false_alarm double precision CHECK (p_false_alarm BETWEEN 0 AND 1),
  shift_y       integer NOT NULL DEFAULT 0,
  shift_x       integer NOT NULL DEFAULT 0,
  rotation      smallint NOT NULL DEFAULT 0 CHECK (rotation IN (0, 90, 180, 270)),
  decision      text NOT NULL,
  threshold     double precision NOT NULL,
  params        json NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX matches_camera ON matches (camera, id);
CREATE INDEX matches_image ON matches (image_id, id);

CREATE TABLE jobs (
  id         text PRIMARY KEY,
  kind       text NOT NULL,
  status     text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  progress   double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  params     json NOT NULL,
  result     json,
  error      text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);

-- Append-only, hash-chained (see audit.ts). seq is assigned by the writer under the audit lock.
CREATE TABLE audit_log (
  seq       bigint PRIMARY KEY,
  ts        text NOT NULL CHECK (ts ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$'),
  actor     text NOT NULL,
  action    text NOT NULL,
  subject   text NOT NULL,
  details   json NOT NULL,
  prev_hash text NOT NULL CHECK (length(prev_hash) = 64),
  hash      text NOT NULL UNIQUE CHECK (length(hash) = 64)
);

CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

-- A new entry must extend the chain: the next seq, linked to the last hash. The lock makes the
-- check and the insert one step for every inserter; each statement below reads the latest commits.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq  bigint;
  last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, ${AUDIT_LOCK});
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1
     OR NEW.prev_hash IS DISTINCT FROM coalesce(last_hash, '${GENESIS_HASH}') THEN
    RAISE EXCEPTION 'audit_log: a new entry must follow the last one (next seq, prev_hash = last hash)';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
`;

// Deep-learning data sets and models (docs/dl-format.md): what the store keeps is a summary; the
// folders hold the data. models.dataset is the name as text: a model outlives its data set's record.
const datasetsAndModels = `
CREATE TABLE datasets (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL UNIQUE,
  path            text NOT NULL,
  manifest_sha256 text NOT NULL CHECK (length(manifest_sha256) = 64),
  input           text NOT NULL,
  crop            integer NOT NULL CHECK (crop > 0),
  classes         json NOT NULL,
  train_crops     bigint NOT NULL CHECK (train_crops >= 0),
  val_crops       bigint NOT NULL CHECK (val_crops >= 0),
  test_crops      bigint NOT NULL CHECK (test_crops >= 0),
  train_images    bigint NOT NULL CHECK (train_images >= 0),
  val_images      bigint NOT NULL CHECK (val_images >= 0),
  test_images     bigint NOT NULL CHECK (test_images >= 0),
  params          json NOT NULL,
  created_at      timestamptz NOT NULL
);

CREATE TABLE models (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name              text NOT NULL UNIQUE,
  path              text NOT NULL,
  dataset           text,
  network           text NOT NULL,
  status            text NOT NULL CHECK (status IN ('training', 'stopped', 'failed', 'done')),
  config            json NOT NULL,
  epochs            bigint NOT NULL CHECK (epochs >= 0),
  best_val_accuracy double precision CHECK (best_val_accuracy BETWEEN 0 AND 1),
  curves            json NOT NULL,
  metrics           json,
  error             text,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE INDEX models_dataset ON models (dataset);
`;

// Evidence (evidence/): each camera's library of JPEG tables from its reference images (a set of
// tables once per camera, with the images that showed it) and its defective-pixel map.
const evidence = `
CREATE TABLE jpeg_tables (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id     bigint NOT NULL REFERENCES cameras (id),
  tables_sha256 text NOT NULL CHECK (length(tables_sha256) = 64),
  quality       smallint CHECK (quality BETWEEN 1 AND 100),
  tables        json NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  UNIQUE (camera_id, tables_sha256)
);
CREATE INDEX jpeg_tables_sha256 ON jpeg_tables (tables_sha256);

CREATE TABLE jpeg_table_sources (
  table_id bigint NOT NULL REFERENCES jpeg_tables (id) ON DELETE CASCADE,
  image_id bigint NOT NULL REFERENCES images (id),
  PRIMARY KEY (table_id, image_id)
);

-- One current map per camera; defects: canonical JSON array of {x, y, kind, score, hits}.
CREATE TABLE defect_maps (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera_id     bigint NOT NULL UNIQUE REFERENCES cameras (id),
  width         integer NOT NULL CHECK (width > 0),
  height        integer NOT NULL CHECK (height > 0),
  frames        integer NOT NULL CHECK (frames > 0),
  params        json NOT NULL,
  defects       json NOT NULL,
  defects_count integer NOT NULL CHECK (defects_count >= 0),
  created_at    timestamptz NOT NULL
);

CREATE TABLE defect_map_sources (
  map_id   bigint NOT NULL REFERENCES defect_maps (id) ON DELETE CASCADE,
  image_id bigint NOT NULL REFERENCES images (id),
  PRIMARY KEY (map_id, image_id)
);
CREATE INDEX defect_map_sources_image ON defect_map_sources (image_id);
`;

// Cases (cases/): the question, the files examined (each once per case, by image, in the order
// added) and the examiner's notes. cameras: canonical JSON array of fingerprint names.
const cases = `
CREATE TABLE cases (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  title      text NOT NULL,
  question   text NOT NULL,
  examiner   text NOT NULL,
  cameras    json NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE case_files (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id  bigint NOT NULL REFERENCES cases (id),
  image_id bigint NOT NULL REFERENCES images (id),
  path     text NOT NULL,
  role     text NOT NULL CHECK (role IN ('questioned', 'reference')),
  added_at timestamptz NOT NULL,
  UNIQUE (case_id, image_id)
);
CREATE INDEX case_files_image ON case_files (image_id);

CREATE TABLE case_notes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id    bigint NOT NULL REFERENCES cases (id),
  text       text NOT NULL,
  actor      text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);
`;

// Who runs what (util/process-owner.ts), so that a job or a training whose process was killed can
// be told from one still running: jobs.worker and jobs.backend; models.owner, and the model status
// 'interrupted' (the CHECK made in version 2 got PostgreSQL's default name, models_status_check).
const owners = `
ALTER TABLE jobs
  ADD COLUMN worker text,
  ADD COLUMN backend text CHECK (backend IN ('in-process', 'redis'));

ALTER TABLE models
  DROP CONSTRAINT models_status_check,
  ADD CONSTRAINT models_status_check CHECK (status IN ('training', 'stopped', 'interrupted', 'failed', 'done')),
  ADD COLUMN owner text;
`;

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: initial },
  { version: 2, name: 'datasets and models', up: datasetsAndModels },
  { version: 3, name: 'evidence', up: evidence },
  { version: 4, name: 'cases', up: cases },
  { version: 5, name: 'owners', up: owners },
];
