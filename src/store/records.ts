/**
 * Rows as every SQL backend returns them, and the records the Store interface gives back for
 * them (shared by sqlite.ts and postgres.ts). The column lists are plain SQL that both dialects
 * read alike; each backend's driver hands back numbers, text and JSON text in these shapes.
 */
import { InputError } from '../util/errors.js';
import type { StoredAuditRow } from './audit.js';
import type {
  AuditEntry,
  CameraRecord,
  CaseFile,
  CaseFileRole,
  CaseNote,
  CaseRecord,
  DatasetRecord,
  DefectMapRecord,
  DefectPoint,
  FingerprintRecord,
  ImageRecord,
  JobBackend,
  JobRecord,
  JobStatus,
  JpegTablesRecord,
  JsonObject,
  MatchRecord,
  ModelRecord,
  ModelStatus,
  Rotation,
} from './types.js';

/** Rows as the database returns them (snake_case columns). */
export interface FingerprintRowDb {
  camera: string;
  model: string | null;
  device: string | null;
  width: number;
  height: number;
  images: number;
  quality: string;
  params: string;
  data_sha256: string;
  digest_size: number;
  created_at: string;
}
export interface ImageRowDb {
  sha256: string;
  path: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  exif: string | null;
  first_seen: string;
}
export interface CameraRowDb {
  name: string;
  model: string | null;
  device: string | null;
  notes: string | null;
  created_at: string;
}
export interface MatchRowDb {
  id: number;
  image_sha256: string;
  image_path: string;
  camera: string;
  pce: number | null;
  ncc: number | null;
  p_false_alarm: number | null;
  shift_y: number;
  shift_x: number;
  rotation: number;
  decision: string;
  threshold: number;
  params: string;
  created_at: string;
}
export interface JobRowDb {
  id: string;
  kind: string;
  status: string;
  progress: number;
  params: string;
  result: string | null;
  error: string | null;
  worker: string | null;
  backend: string | null;
  created_at: string;
  updated_at: string;
}
export interface DatasetRowDb {
  name: string;
  path: string;
  manifest_sha256: string;
  input: string;
  crop: number;
  classes: string;
  train_crops: number;
  val_crops: number;
  test_crops: number;
  train_images: number;
  val_images: number;
  test_images: number;
  params: string;
  created_at: string;
}
export interface ModelRowDb {
  name: string;
  path: string;
  dataset: string | null;
  network: string;
  status: string;
  config: string;
  epochs: number;
  best_val_accuracy: number | null;
  curves: string;
  metrics: string | null;
  error: string | null;
  owner: string | null;
  created_at: string;
  updated_at: string;
}
export interface AuditRowDb {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
}

// length() of a blob reads its size from the record header (SQLite) or the TOAST pointer (PostgreSQL),
// not the blob's pages.
export const FINGERPRINT_COLUMNS = `c.name AS camera, c.model, c.device, f.width, f.height, f.images, f.quality, f.params,
  f.data_sha256, coalesce(length(f.digest), 0) / 8 AS digest_size, f.created_at`;
export const IMAGE_COLUMNS =
  'i.sha256, i.path, i.width, i.height, i.format, i.orientation, i.exif, i.first_seen';
export const MATCH_COLUMNS = `m.id, i.sha256 AS image_sha256, i.path AS image_path, m.camera, m.pce, m.ncc, m.p_false_alarm,
  m.shift_y, m.shift_x, m.rotation, m.decision, m.threshold, m.params, m.created_at`;
export const JOB_COLUMNS =
  'id, kind, status, progress, params, result, error, worker, backend, created_at, updated_at';
export const DATASET_COLUMNS = `name, path, manifest_sha256, input, crop, classes, train_crops, val_crops, test_crops,
  train_images, val_images, test_images, params, created_at`;
export const MODEL_COLUMNS = `name, path, dataset, network, status, config, epochs, best_val_accuracy, curves, metrics, error,
  owner, created_at, updated_at`;
export const AUDIT_COLUMNS = 'seq, ts, actor, action, subject, details, prev_hash, hash';

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses a JSON object column; a broken one means a corrupt database. */
export function parseObject(text: string, what: string): JsonObject {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as JsonObject;
  } catch {
    // reported below
  }
  throw new InputError(`${what}: the stored JSON is unreadable; the database is corrupt`);
}

/** Parses a JSON array column; a broken one means a corrupt database. */
export function parseArray(text: string, what: string): unknown[] {
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v)) return v;
  } catch {
    // reported below
  }
  throw new InputError(`${what}: the stored JSON is unreadable; the database is corrupt`);
}

export function toFingerprintRecord(r: FingerprintRowDb): FingerprintRecord {
  const rec: FingerprintRecord = {
    camera: r.camera,
    width: r.width,
    height: r.height,
    images: r.images,
    quality: parseObject(r.quality, `fingerprint ${r.camera} quality`),
    params: parseObject(r.params, `fingerprint ${r.camera} params`),
    dataSha256: r.data_sha256,
    digestSize: r.digest_size,
    createdAt: r.created_at,
  };
  if (r.model !== null) rec.model = r.model;
  if (r.device !== null) rec.device = r.device;
  return rec;
}

export function toImageRecord(r: ImageRowDb): ImageRecord {
  const rec: ImageRecord = {
    sha256: r.sha256,
    path: r.path,
    width: r.width,
    height: r.height,
    format: r.format,
    orientation: r.orientation,
    firstSeen: r.first_seen,
  };
  if (r.exif !== null) rec.exif = parseObject(r.exif, `image ${r.sha256} exif`);
  return rec;
}

export function toCameraRecord(r: CameraRowDb): CameraRecord {
  const rec: CameraRecord = { name: r.name, createdAt: r.created_at };
  if (r.model !== null) rec.model = r.model;
  if (r.device !== null) rec.device = r.device;
  if (r.notes !== null) rec.notes = r.notes;
  return rec;
}

export function toMatchRecord(r: MatchRowDb): MatchRecord {
  return {
    id: r.id,
    imageSha256: r.image_sha256,
    imagePath: r.image_path,
    camera: r.camera,
    pce: r.pce,
    ncc: r.ncc,
    pFalseAlarm: r.p_false_alarm,
    shiftY: r.shift_y,
    shiftX: r.shift_x,
    rotation: r.rotation as Rotation,
    decision: r.decision,
    threshold: r.threshold,
    params: parseObject(r.params, `match ${r.id} params`),
    createdAt: r.created_at,
  };
}

export function toJobRecord(r: JobRowDb): JobRecord {
  const rec: JobRecord = {
    id: r.id,
    kind: r.kind,
    status: r.status as JobStatus,
    progress: r.progress,
    params: parseObject(r.params, `job ${r.id} params`),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.result !== null) rec.result = parseObject(r.result, `job ${r.id} result`);
  if (r.error !== null) rec.error = r.error;
  if (r.worker !== null) rec.worker = r.worker;
  if (r.backend !== null) rec.backend = r.backend as JobBackend;
  return rec;
}

export function toDatasetRecord(r: DatasetRowDb): DatasetRecord {
  const classes = parseArray(r.classes, `dataset ${r.name} classes`);
  if (!classes.every((c) => typeof c === 'string')) {
    throw new InputError(
      `dataset ${r.name} classes: a stored class name is not text; the database is corrupt`,
    );
  }
  return {
    name: r.name,
    path: r.path,
    manifestSha256: r.manifest_sha256,
    input: r.input,
    crop: r.crop,
    classes: classes as string[],
    counts: { train: r.train_crops, val: r.val_crops, test: r.test_crops },
    images: { train: r.train_images, val: r.val_images, test: r.test_images },
    params: parseObject(r.params, `dataset ${r.name} params`),
    createdAt: r.created_at,
  };
}

export function toModelRecord(r: ModelRowDb): ModelRecord {
  const curves = parseArray(r.curves, `model ${r.name} curves`);
  if (!curves.every((c) => typeof c === 'object' && c !== null && !Array.isArray(c))) {
    throw new InputError(`model ${r.name} curves: a stored epoch is not an object; the database is corrupt`);
  }
  return {
    name: r.name,
    path: r.path,
    dataset: r.dataset,
    network: r.network,
    status: r.status as ModelStatus,
    config: parseObject(r.config, `model ${r.name} config`),
    epochs: r.epochs,
    bestValAccuracy: r.best_val_accuracy,
    curves: curves as JsonObject[],
    metrics: r.metrics === null ? null : parseObject(r.metrics, `model ${r.name} metrics`),
    error: r.error,
    owner: r.owner,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toAuditEntry(r: AuditRowDb): AuditEntry {
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details: parseObject(r.details, `audit entry ${r.seq} details`),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** An audit row as the chain verifier reads it: details undefined when the stored text is not a JSON object. */
export function toStoredAuditRow(r: AuditRowDb): StoredAuditRow {
  let details: JsonObject | undefined;
  try {
    details = parseObject(r.details, 'details');
  } catch {
    details = undefined;
  }
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface JpegTablesRowDb {
  camera: string;
  model: string | null;
  device: string | null;
  tables_sha256: string;
  quality: number | null;
  tables: string;
  images: number;
  created_at: string;
  updated_at: string;
}
export interface DefectMapRowDb {
  camera: string;
  model: string | null;
  device: string | null;
  width: number;
  height: number;
  frames: number;
  params: string;
  defects: string;
  created_at: string;
}

export const JPEG_TABLES_COLUMNS = `c.name AS camera, c.model, c.device, t.tables_sha256, t.quality, t.tables,
  (SELECT count(*) FROM jpeg_table_sources s WHERE s.table_id = t.id) AS images, t.created_at, t.updated_at`;
export const DEFECT_MAP_COLUMNS = `c.name AS camera, c.model, c.device, d.width, d.height, d.frames, d.params, d.defects,
  d.created_at`;

export function toJpegTablesRecord(r: JpegTablesRowDb): JpegTablesRecord {
  const rec: JpegTablesRecord = {
    camera: r.camera,
    tablesSha256: r.tables_sha256,
    quality: r.quality,
    tables: parseObject(r.tables, `jpeg tables ${r.tables_sha256} of ${r.camera}`),
    images: Number(r.images),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.model !== null) rec.model = r.model;
  if (r.device !== null) rec.device = r.device;
  return rec;
}

export function toDefectMapRecord(r: DefectMapRowDb): DefectMapRecord {
  const what = `defect map of ${r.camera}`;
  const defects = parseArray(r.defects, what);
  if (!defects.every((d) => typeof d === 'object' && d !== null && !Array.isArray(d))) {
    throw new InputError(`${what}: a stored defect is not an object; the database is corrupt`);
  }
  const rec: DefectMapRecord = {
    camera: r.camera,
    width: r.width,
    height: r.height,
    frames: r.frames,
    params: parseObject(r.params, `${what} params`),
    defects: defects as DefectPoint[],
    createdAt: r.created_at,
  };
  if (r.model !== null) rec.model = r.model;
  if (r.device !== null) rec.device = r.device;
  return rec;
}

export interface CaseRowDb {
  name: string;
  title: string;
  question: string;
  examiner: string;
  cameras: string;
  created_at: string;
  updated_at: string;
}
export interface CaseFileRowDb {
  case_name: string;
  sha256: string;
  path: string;
  role: string;
  width: number;
  height: number;
  format: string;
  added_at: string;
}
export interface CaseNoteRowDb {
  id: number;
  case_name: string;
  text: string;
  actor: string;
  created_at: string;
}

export const CASE_COLUMNS = 'k.name, k.title, k.question, k.examiner, k.cameras, k.created_at, k.updated_at';
export const CASE_FILE_COLUMNS = `k.name AS case_name, i.sha256, f.path, f.role, i.width, i.height, i.format,
  f.added_at`;
export const CASE_NOTE_COLUMNS = 'n.id, k.name AS case_name, n.text, n.actor, n.created_at';

export function toCaseRecord(r: CaseRowDb): CaseRecord {
  const cameras = parseArray(r.cameras, `case ${r.name} cameras`);
  if (!cameras.every((c) => typeof c === 'string')) {
    throw new InputError(`case ${r.name} cameras: a stored camera name is not text; the database is corrupt`);
  }
  return {
    name: r.name,
    title: r.title,
    question: r.question,
    examiner: r.examiner,
    cameras: cameras as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toCaseFile(r: CaseFileRowDb): CaseFile {
  return {
    case: r.case_name,
    sha256: r.sha256,
    path: r.path,
    role: r.role as CaseFileRole,
    width: r.width,
    height: r.height,
    format: r.format,
    addedAt: r.added_at,
  };
}

export function toCaseNote(r: CaseNoteRowDb): CaseNote {
  return { id: r.id, case: r.case_name, text: r.text, actor: r.actor, createdAt: r.created_at };
}
