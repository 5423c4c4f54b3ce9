/**
 * Checks at the Store's boundary, shared by every backend: each input is checked once, here,
 * and turned into the exact values the database receives (canonical JSON text, blob bytes).
 * Messages follow util/errors `expected()`: the parameter, what was expected, what came.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { InputError, expected } from '../util/errors.js';
import { digestToBytes, float32ToBytes } from './blob.js';
import { canonicalJson, canonicalObject, sha256Hex } from './canonical.js';
import {
  CASE_FILE_ROLES,
  DEFECT_KINDS,
  JOB_BACKENDS,
  JOB_STATUSES,
  MODEL_STATUSES,
  type AuditInput,
  type CaseFileInput,
  type CaseFileRole,
  type CaseInput,
  type DefectPoint,
  type EvidenceInput,
  type JsonObject,
  type PutDefectMapInput,
  type PutJpegTablesInput,
  type DatasetInput,
  type DigestScanOptions,
  type ImageInput,
  type JobBackend,
  type JobFilter,
  type JobInput,
  type JobPatch,
  type JobStatus,
  type MatchFilter,
  type MatchInput,
  type ModelExpectation,
  type ModelInput,
  type ModelPatch,
  type ModelStatus,
  type PutFingerprintInput,
  type Rotation,
  type SplitCounts,
} from './types.js';

/** Longest name or label accepted (camera, actor, action, kind, …). */
const MAX_NAME = 256;
/** Longest free text accepted (paths, error messages, notes). */
const MAX_TEXT = 64 * 1024;
/** Largest fingerprint side, in pixels. */
const MAX_SIDE = 65_536;
/** Largest count accepted (crops, photos, epochs). */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** Largest fingerprint, in values: 250 Mpx, so that its blob stays within SQLite's 10^9-byte limit. */
const MAX_VALUES = 250_000_000;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A non-empty name without control characters or surrounding spaces. */
export function checkName(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_NAME ||
    value.trim() !== value ||
    CONTROL.test(value)
  ) {
    throw new InputError(
      expected(
        `a non-empty name (at most ${MAX_NAME} characters, no control characters or surrounding spaces)`,
        name,
        value,
      ),
    );
  }
  return value;
}

function checkText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) {
    throw new InputError(expected(`a non-empty string (at most ${MAX_TEXT} characters)`, name, value));
  }
  return value;
}

/** An absolute file or folder path. */
function checkAbsolutePath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT || !isAbsolute(value)) {
    throw new InputError(expected(`an absolute path (at most ${MAX_TEXT} characters)`, name, value));
  }
  return value;
}

function optionalName(value: unknown, name: string): string | null {
  return value === undefined || value === null ? null : checkName(value, name);
}

export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(expected(`an integer between ${min} and ${max}`, name, value));
  }
  return value;
}

function checkFinite(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(expected('a finite number', name, value));
  return value;
}

function finiteOrNull(value: unknown, name: string): number | null {
  return value === null ? null : checkFinite(value, name);
}

/** A fraction between 0 and 1 (an accuracy), or null; undefined is refused. */
function fractionOrNull(value: unknown, name: string): number | null {
  const v = finiteOrNull(value, name);
  if (v !== null && (v < 0 || v > 1)) throw new InputError(expected('a fraction between 0 and 1', name, v));
  return v;
}

export function checkSha256(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new InputError(expected('a SHA-256 of 64 lower-case hex digits', name, value));
  }
  return value;
}

function checkObject(value: unknown, name: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(expected('an object', name, Array.isArray(value) ? '[array]' : value));
  }
}

export function checkLimit(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : checkInteger(value, name, 1, 1_000_000_000);
}

export function isoNow(): string {
  return new Date().toISOString();
}

/** An image as the database receives it. */
export interface ImageRow {
  sha256: string;
  path: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  exif: string | null;
}

export function normalizeImage(input: ImageInput, name: string): ImageRow {
  checkObject(input, name);
  return {
    sha256: checkSha256(input.sha256, `${name}.sha256`),
    path: checkText(input.path, `${name}.path`),
    width: checkInteger(input.width, `${name}.width`, 1, 1_000_000),
    height: checkInteger(input.height, `${name}.height`, 1, 1_000_000),
    format: checkName(input.format, `${name}.format`),
    orientation:
      input.orientation === undefined ? 1 : checkInteger(input.orientation, `${name}.orientation`, 1, 8),
    exif: input.exif === undefined ? null : canonicalObject(input.exif, `${name}.exif`),
  };
}

/** A fingerprint as the database receives it. */
export interface FingerprintRow {
  camera: string;
  model: string | null;
  device: string | null;
  width: number;
  height: number;
  images: number;
  quality: string;
  params: string;
  /** The blob bytes (a view of the caller's array on little-endian hosts: write before yielding). */
  bytes: Buffer;
  dataSha256: string;
  /** The digest blob (digestToBytes), null when none was given. */
  digest: Buffer | null;
  sources: ImageRow[];
  actor: string | null;
}

export function normalizeFingerprint(input: PutFingerprintInput): FingerprintRow {
  checkObject(input, 'fingerprint');
  const width = checkInteger(input.width, 'fingerprint.width', 1, MAX_SIDE);
  const height = checkInteger(input.height, 'fingerprint.height', 1, MAX_SIDE);
  if (width * height > MAX_VALUES) {
    throw new InputError(
      `Expected at most ${MAX_VALUES} values for fingerprint.data but received ${width}×${height} = ${width * height}`,
    );
  }
  if (!(input.data instanceof Float32Array)) {
    throw new InputError(expected('a Float32Array', 'fingerprint.data', input.data));
  }
  if (input.data.length !== width * height) {
    throw new InputError(
      `Expected ${width * height} values (width ${width} × height ${height}) for fingerprint.data but received ${input.data.length}`,
    );
  }
  if (!Array.isArray(input.sources))
    throw new InputError(expected('an array', 'fingerprint.sources', input.sources));
  const seen = new Set<string>();
  const sources: ImageRow[] = [];
  input.sources.forEach((s, i) => {
    const row = normalizeImage(s, `fingerprint.sources[${i}]`);
    if (!seen.has(row.sha256)) sources.push(row);
    seen.add(row.sha256);
  });
  const bytes = float32ToBytes(input.data);
  return {
    camera: checkName(input.camera, 'fingerprint.camera'),
    model: optionalName(input.model, 'fingerprint.model'),
    device: optionalName(input.device, 'fingerprint.device'),
    width,
    height,
    images: checkInteger(input.images, 'fingerprint.images', 0, 1_000_000_000),
    quality: canonicalObject(input.quality, 'fingerprint.quality'),
    params: canonicalObject(input.params, 'fingerprint.params'),
    bytes,
    dataSha256: sha256Hex(bytes),
    digest:
      input.digest === undefined ? null : checkDigest(input.digest, width, height, 'fingerprint.digest'),
    sources,
    actor: optionalName(input.actor, 'fingerprint.actor'),
  };
}

/**
 * Checks a fingerprint digest for a width×height fingerprint and returns its blob: 1 to
 * width·height entries, indices strictly increasing and inside the fingerprint, values finite.
 */
export function checkDigest(digest: unknown, width: number, height: number, name: string): Buffer {
  checkObject(digest, name);
  const { indices, values } = digest as { indices: unknown; values: unknown };
  if (!(indices instanceof Uint32Array))
    throw new InputError(expected('a Uint32Array', `${name}.indices`, indices));
  if (!(values instanceof Float32Array))
    throw new InputError(expected('a Float32Array', `${name}.values`, values));
  const k = indices.length;
  if (k === 0 || k > width * height || values.length !== k) {
    throw new InputError(
      `Expected 1 to ${width * height} indices with as many values for ${name} but received ${k} indices and ${values.length} values`,
    );
  }
  for (let i = 0; i < k; i++) {
    if (indices[i] >= width * height || (i > 0 && indices[i] <= indices[i - 1])) {
      throw new InputError(
        `Expected strictly increasing indices below ${width * height} for ${name}.indices but index ${i} is ${indices[i]}`,
      );
    }
    if (!Number.isFinite(values[i]))
      throw new InputError(`Expected finite values for ${name}.values but value ${i} is ${values[i]}`);
  }
  return digestToBytes(indices, values);
}

/** Scan options with their defaults; width/height null when not filtered on. */
export function normalizeDigestScan(options: DigestScanOptions | undefined): {
  batchSize: number;
  width: number | null;
  height: number | null;
  /** Shard count and index; 1 and 0 when not sharded. */
  shards: number;
  shard: number;
} {
  const o = options ?? {};
  checkObject(o, 'options');
  let shards = 1;
  let shard = 0;
  if (o.shard !== undefined) {
    checkObject(o.shard, 'options.shard');
    shards = checkInteger(o.shard.count, 'options.shard.count', 1, 1_000_000);
    shard = checkInteger(o.shard.index, 'options.shard.index', 0, shards - 1);
  }
  return {
    batchSize: o.batchSize === undefined ? 256 : checkInteger(o.batchSize, 'options.batchSize', 1, 1_000_000),
    width: o.width === undefined ? null : checkInteger(o.width, 'options.width', 1, MAX_SIDE),
    height: o.height === undefined ? null : checkInteger(o.height, 'options.height', 1, MAX_SIDE),
    shards,
    shard,
  };
}

/** A match as the database receives it. */
export interface MatchRow {
  image: ImageRow;
  camera: string;
  pce: number | null;
  ncc: number | null;
  pFalseAlarm: number | null;
  shiftY: number;
  shiftX: number;
  rotation: Rotation;
  decision: string;
  threshold: number;
  params: string;
  actor: string | null;
}

export function normalizeMatch(input: MatchInput): MatchRow {
  checkObject(input, 'match');
  const pFalseAlarm = finiteOrNull(input.pFalseAlarm, 'match.pFalseAlarm');
  if (pFalseAlarm !== null && (pFalseAlarm < 0 || pFalseAlarm > 1)) {
    throw new InputError(expected('a probability between 0 and 1', 'match.pFalseAlarm', pFalseAlarm));
  }
  const rotation = input.rotation ?? 0;
  if (rotation !== 0 && rotation !== 90 && rotation !== 180 && rotation !== 270) {
    throw new InputError(expected('0, 90, 180 or 270', 'match.rotation', rotation));
  }
  return {
    image: normalizeImage(input.image, 'match.image'),
    camera: checkName(input.camera, 'match.camera'),
    pce: finiteOrNull(input.pce, 'match.pce'),
    ncc: finiteOrNull(input.ncc, 'match.ncc'),
    pFalseAlarm,
    shiftY: input.shiftY === undefined ? 0 : checkInteger(input.shiftY, 'match.shiftY', -MAX_SIDE, MAX_SIDE),
    shiftX: input.shiftX === undefined ? 0 : checkInteger(input.shiftX, 'match.shiftX', -MAX_SIDE, MAX_SIDE),
    rotation,
    decision: checkName(input.decision, 'match.decision'),
    threshold: checkFinite(input.threshold, 'match.threshold'),
    params: canonicalObject(input.params ?? {}, 'match.params'),
    actor: optionalName(input.actor, 'match.actor'),
  };
}

export interface MatchFilterRow {
  camera?: string;
  imageSha256?: string;
  decision?: string;
  afterId?: number;
  limit?: number;
}

export function normalizeMatchFilter(filter: MatchFilter | undefined): MatchFilterRow {
  if (filter === undefined) return {};
  checkObject(filter, 'filter');
  return {
    camera: filter.camera === undefined ? undefined : checkName(filter.camera, 'filter.camera'),
    imageSha256:
      filter.imageSha256 === undefined ? undefined : checkSha256(filter.imageSha256, 'filter.imageSha256'),
    decision: filter.decision === undefined ? undefined : checkName(filter.decision, 'filter.decision'),
    afterId:
      filter.afterId === undefined
        ? undefined
        : checkInteger(filter.afterId, 'filter.afterId', 0, Number.MAX_SAFE_INTEGER),
    limit: checkLimit(filter.limit, 'filter.limit'),
  };
}

export function checkJobStatus(value: unknown, name: string): JobStatus {
  if (!(JOB_STATUSES as readonly unknown[]).includes(value)) {
    throw new InputError(expected(`one of ${JOB_STATUSES.join(', ')}`, name, value));
  }
  return value as JobStatus;
}

/** A job as the database receives it. */
export interface JobRow {
  id: string;
  kind: string;
  params: string;
  worker: string | null;
  backend: JobBackend | null;
}

export function normalizeJobInput(input: JobInput): JobRow {
  checkObject(input, 'job');
  if (input.backend !== undefined && !(JOB_BACKENDS as readonly unknown[]).includes(input.backend))
    throw new InputError(expected(`one of ${JOB_BACKENDS.join(', ')}`, 'job.backend', input.backend));
  return {
    id: input.id === undefined ? randomUUID() : checkName(input.id, 'job.id'),
    kind: checkName(input.kind, 'job.kind'),
    params: canonicalObject(input.params ?? {}, 'job.params'),
    worker: optionalName(input.worker, 'job.worker'),
    backend: input.backend ?? null,
  };
}

/** A job patch as the database receives it: undefined = keep, null = clear. */
export interface JobPatchRow {
  status?: JobStatus;
  progress?: number;
  result?: string | null;
  error?: string | null;
  worker?: string | null;
}

export function normalizeJobPatch(patch: JobPatch): JobPatchRow {
  checkObject(patch, 'patch');
  const progress = patch.progress === undefined ? undefined : checkFinite(patch.progress, 'patch.progress');
  if (progress !== undefined && (progress < 0 || progress > 1)) {
    throw new InputError(expected('a fraction between 0 and 1', 'patch.progress', progress));
  }
  return {
    status: patch.status === undefined ? undefined : checkJobStatus(patch.status, 'patch.status'),
    progress,
    result:
      patch.result === undefined
        ? undefined
        : patch.result === null
          ? null
          : canonicalObject(patch.result, 'patch.result'),
    error:
      patch.error === undefined
        ? undefined
        : patch.error === null
          ? null
          : checkText(patch.error, 'patch.error'),
    worker: patch.worker === undefined ? undefined : optionalName(patch.worker, 'patch.worker'),
  };
}

export function normalizeJobFilter(filter: JobFilter | undefined): JobFilter {
  if (filter === undefined) return {};
  checkObject(filter, 'filter');
  return {
    status: filter.status === undefined ? undefined : checkJobStatus(filter.status, 'filter.status'),
    kind: filter.kind === undefined ? undefined : checkName(filter.kind, 'filter.kind'),
    limit: checkLimit(filter.limit, 'filter.limit'),
  };
}

/** An audit input with the store's actor where it names none (left as it is when not an object: refused later). */
export function withActor(input: AuditInput, actor: string): AuditInput {
  return typeof input === 'object' && input !== null && input.actor === undefined
    ? { ...input, actor }
    : input;
}

export function normalizeAudit(input: AuditInput): {
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
} {
  checkObject(input, 'audit');
  const details = input.details ?? {};
  // Validates the details now (plain JSON data only) so the hash can always be recomputed from the stored text.
  const text = canonicalObject(details, 'audit.details');
  return {
    actor: checkName(input.actor, 'audit.actor'),
    action: checkName(input.action, 'audit.action'),
    subject: checkText(input.subject, 'audit.subject'),
    details: JSON.parse(text) as Record<string, unknown>,
  };
}

/** A data set as the database receives it. */
export interface DatasetRow {
  name: string;
  path: string;
  manifestSha256: string;
  input: string;
  crop: number;
  /** Canonical JSON array of the class names. */
  classes: string;
  /** The class names, checked. */
  classNames: string[];
  counts: SplitCounts;
  images: SplitCounts;
  params: string;
  actor: string | null;
}

function checkSplitCounts(value: unknown, name: string): SplitCounts {
  checkObject(value, name);
  const v = value as Record<string, unknown>;
  return {
    train: checkInteger(v.train, `${name}.train`, 0, MAX_COUNT),
    val: checkInteger(v.val, `${name}.val`, 0, MAX_COUNT),
    test: checkInteger(v.test, `${name}.test`, 0, MAX_COUNT),
  };
}

export function normalizeDataset(input: DatasetInput): DatasetRow {
  checkObject(input, 'dataset');
  if (!Array.isArray(input.classes) || input.classes.length === 0) {
    throw new InputError(
      expected(
        'a non-empty array of class names',
        'dataset.classes',
        Array.isArray(input.classes) ? '[]' : input.classes,
      ),
    );
  }
  const seen = new Set<string>();
  const classNames = input.classes.map((c, i) => {
    const name = checkName(c, `dataset.classes[${i}]`);
    if (seen.has(name)) throw new InputError(`dataset.classes: the class "${name}" is listed twice`);
    seen.add(name);
    return name;
  });
  return {
    name: checkName(input.name, 'dataset.name'),
    path: checkAbsolutePath(input.path, 'dataset.path'),
    manifestSha256: checkSha256(input.manifestSha256, 'dataset.manifestSha256'),
    input: checkName(input.input, 'dataset.input'),
    crop: checkInteger(input.crop, 'dataset.crop', 1, MAX_SIDE),
    classes: canonicalJson(classNames, 'dataset.classes'),
    classNames,
    counts: checkSplitCounts(input.counts, 'dataset.counts'),
    images: checkSplitCounts(input.images, 'dataset.images'),
    params: canonicalObject(input.params, 'dataset.params'),
    actor: optionalName(input.actor, 'dataset.actor'),
  };
}

export function checkModelStatus(value: unknown, name: string): ModelStatus {
  if (!(MODEL_STATUSES as readonly unknown[]).includes(value)) {
    throw new InputError(expected(`one of ${MODEL_STATUSES.join(', ')}`, name, value));
  }
  return value as ModelStatus;
}

/** Canonical JSON of an array of JSON objects (one per epoch). */
function canonicalObjectArray(value: unknown, name: string): { text: string; length: number } {
  if (!Array.isArray(value)) throw new InputError(expected('an array of JSON objects', name, value));
  value.forEach((item: unknown, i) => canonicalObject(item, `${name}[${i}]`));
  return { text: canonicalJson(value, name), length: value.length };
}

function objectOrNull(value: unknown, name: string): string | null {
  return value === null ? null : canonicalObject(value, name);
}

function textOrNull(value: unknown, name: string): string | null {
  return value === null ? null : checkText(value, name);
}

/** A model as the database receives it. */
export interface ModelRow {
  name: string;
  path: string;
  dataset: string | null;
  network: string;
  status: ModelStatus;
  config: string;
  epochs: number;
  bestValAccuracy: number | null;
  curves: string;
  /** Number of entries in curves. */
  curvesLength: number;
  metrics: string | null;
  error: string | null;
  owner: string | null;
  actor: string | null;
}

export function normalizeModel(input: ModelInput): ModelRow {
  checkObject(input, 'model');
  const curves = canonicalObjectArray(input.curves, 'model.curves');
  return {
    name: checkName(input.name, 'model.name'),
    path: checkAbsolutePath(input.path, 'model.path'),
    dataset: input.dataset === null ? null : checkName(input.dataset, 'model.dataset'),
    network: checkName(input.network, 'model.network'),
    status: checkModelStatus(input.status, 'model.status'),
    config: canonicalObject(input.config, 'model.config'),
    epochs: checkInteger(input.epochs, 'model.epochs', 0, MAX_COUNT),
    bestValAccuracy: fractionOrNull(input.bestValAccuracy, 'model.bestValAccuracy'),
    curves: curves.text,
    curvesLength: curves.length,
    metrics: objectOrNull(input.metrics, 'model.metrics'),
    error: textOrNull(input.error, 'model.error'),
    owner: optionalName(input.owner, 'model.owner'),
    actor: optionalName(input.actor, 'model.actor'),
  };
}

/** A model patch as the database receives it: undefined = keep, null = clear. */
export interface ModelPatchRow {
  status?: ModelStatus;
  epochs?: number;
  bestValAccuracy?: number | null;
  curves?: string;
  curvesLength?: number;
  metrics?: string | null;
  error?: string | null;
  owner?: string | null;
}

export function normalizeModelPatch(patch: ModelPatch): ModelPatchRow {
  checkObject(patch, 'patch');
  const curves = patch.curves === undefined ? undefined : canonicalObjectArray(patch.curves, 'patch.curves');
  return {
    status: patch.status === undefined ? undefined : checkModelStatus(patch.status, 'patch.status'),
    epochs: patch.epochs === undefined ? undefined : checkInteger(patch.epochs, 'patch.epochs', 0, MAX_COUNT),
    bestValAccuracy:
      patch.bestValAccuracy === undefined
        ? undefined
        : fractionOrNull(patch.bestValAccuracy, 'patch.bestValAccuracy'),
    curves: curves?.text,
    curvesLength: curves?.length,
    metrics: patch.metrics === undefined ? undefined : objectOrNull(patch.metrics, 'patch.metrics'),
    error: patch.error === undefined ? undefined : textOrNull(patch.error, 'patch.error'),
    owner: patch.owner === undefined ? undefined : optionalName(patch.owner, 'patch.owner'),
  };
}

/** updateModel's `expect`, checked (undefined when none). */
export function normalizeModelExpectation(value: unknown): ModelExpectation | undefined {
  if (value === undefined) return undefined;
  checkObject(value, 'options.expect');
  const e = value as ModelExpectation;
  return {
    status: e.status === undefined ? undefined : checkModelStatus(e.status, 'options.expect.status'),
    owner: e.owner === undefined ? undefined : optionalName(e.owner, 'options.expect.owner'),
  };
}

/**
 * Why a stored model does not meet an expectation (InputError naming the field, what was expected
 * and what is stored), or undefined when it does.
 */
export function unmetExpectation(
  name: string,
  stored: { status: string; owner: string | null },
  expect: ModelExpectation | undefined,
): InputError | undefined {
  if (expect === undefined) return undefined;
  for (const key of ['status', 'owner'] as const) {
    const want = expect[key];
    if (want !== undefined && want !== stored[key])
      return new InputError(
        `model ${name} changed meanwhile: its ${key} is ${JSON.stringify(stored[key])}, not ${JSON.stringify(want)}; nothing was written`,
      );
  }
  return undefined;
}

/** Most defects accepted in one map (a sensor with more is broken, or the threshold is wrong). */
const MAX_DEFECTS = 1_000_000;

/** Sources of a write as the database receives them: checked, duplicates kept once. */
function normalizeSources(value: unknown, name: string, min: number): ImageRow[] {
  if (!Array.isArray(value) || value.length < min) {
    throw new InputError(
      expected(
        min > 0 ? 'a non-empty array of images' : 'an array of images',
        name,
        Array.isArray(value) ? '[]' : value,
      ),
    );
  }
  const seen = new Set<string>();
  const out: ImageRow[] = [];
  value.forEach((s, i) => {
    const row = normalizeImage(s as ImageInput, `${name}[${i}]`);
    if (!seen.has(row.sha256)) out.push(row);
    seen.add(row.sha256);
  });
  return out;
}

/** One set of JPEG tables as the database receives it. */
export interface JpegTableSetRow {
  tablesSha256: string;
  quality: number | null;
  tables: string;
  sources: ImageRow[];
}

export interface JpegTablesRow {
  camera: string;
  model: string | null;
  device: string | null;
  sets: JpegTableSetRow[];
  actor: string | null;
}

export function normalizeJpegTables(input: PutJpegTablesInput): JpegTablesRow {
  checkObject(input, 'jpegTables');
  if (!Array.isArray(input.sets) || input.sets.length === 0) {
    throw new InputError(
      expected(
        'a non-empty array of table sets',
        'jpegTables.sets',
        Array.isArray(input.sets) ? '[]' : input.sets,
      ),
    );
  }
  // Sets with the same tables are merged (their sources pooled).
  const bySha = new Map<string, JpegTableSetRow>();
  input.sets.forEach((set, i) => {
    const name = `jpegTables.sets[${i}]`;
    checkObject(set, name);
    const quality = set.quality === null ? null : checkInteger(set.quality, `${name}.quality`, 1, 100);
    const tables = canonicalObject(set.tables, `${name}.tables`);
    const tablesSha256 = sha256Hex(tables);
    const sources = normalizeSources(set.sources, `${name}.sources`, 1);
    const prior = bySha.get(tablesSha256);
    if (prior === undefined) bySha.set(tablesSha256, { tablesSha256, quality, tables, sources });
    else {
      const have = new Set(prior.sources.map((s) => s.sha256));
      for (const s of sources) if (!have.has(s.sha256)) prior.sources.push(s);
    }
  });
  return {
    camera: checkName(input.camera, 'jpegTables.camera'),
    model: optionalName(input.model, 'jpegTables.model'),
    device: optionalName(input.device, 'jpegTables.device'),
    sets: [...bySha.values()],
    actor: optionalName(input.actor, 'jpegTables.actor'),
  };
}

/** A defect map as the database receives it. */
export interface DefectMapRow {
  camera: string;
  model: string | null;
  device: string | null;
  width: number;
  height: number;
  frames: number;
  params: string;
  /** Canonical JSON array of the defects, sorted by row then column. */
  defects: string;
  count: number;
  sources: ImageRow[];
  actor: string | null;
}

export function normalizeDefectMap(input: PutDefectMapInput): DefectMapRow {
  checkObject(input, 'defectMap');
  const width = checkInteger(input.width, 'defectMap.width', 1, MAX_SIDE);
  const height = checkInteger(input.height, 'defectMap.height', 1, MAX_SIDE);
  if (!Array.isArray(input.defects) || input.defects.length > MAX_DEFECTS) {
    throw new InputError(
      expected(
        `an array of at most ${MAX_DEFECTS} defects`,
        'defectMap.defects',
        Array.isArray(input.defects) ? `[${input.defects.length} defects]` : input.defects,
      ),
    );
  }
  const seen = new Set<number>();
  const defects: DefectPoint[] = input.defects.map((d, i) => {
    const name = `defectMap.defects[${i}]`;
    checkObject(d, name);
    const x = checkInteger(d.x, `${name}.x`, 0, width - 1);
    const y = checkInteger(d.y, `${name}.y`, 0, height - 1);
    if (seen.has(y * width + x)) throw new InputError(`${name}: the position (${x}, ${y}) is listed twice`);
    seen.add(y * width + x);
    if (!(DEFECT_KINDS as readonly unknown[]).includes(d.kind)) {
      throw new InputError(expected(`one of ${DEFECT_KINDS.join(', ')}`, `${name}.kind`, d.kind));
    }
    return {
      x,
      y,
      kind: d.kind,
      score: checkFinite(d.score, `${name}.score`),
      hits: checkInteger(d.hits, `${name}.hits`, 0, MAX_COUNT),
    };
  });
  defects.sort((a, b) => a.y - b.y || a.x - b.x);
  return {
    camera: checkName(input.camera, 'defectMap.camera'),
    model: optionalName(input.model, 'defectMap.model'),
    device: optionalName(input.device, 'defectMap.device'),
    width,
    height,
    frames: checkInteger(input.frames, 'defectMap.frames', 1, MAX_COUNT),
    params: canonicalObject(input.params, 'defectMap.params'),
    defects: canonicalJson(defects, 'defectMap.defects'),
    count: defects.length,
    sources: normalizeSources(input.sources, 'defectMap.sources', 0),
    actor: optionalName(input.actor, 'defectMap.actor'),
  };
}

/** An intake record as the database receives it. */
export function normalizeEvidence(input: EvidenceInput): {
  image: ImageRow;
  action: string;
  details: JsonObject;
  actor: string | null;
} {
  checkObject(input, 'evidence');
  const details = input.details ?? {};
  return {
    image: normalizeImage(input.image, 'evidence.image'),
    action: checkName(input.action, 'evidence.action'),
    details: JSON.parse(canonicalObject(details, 'evidence.details')) as JsonObject,
    actor: optionalName(input.actor, 'evidence.actor'),
  };
}

/** Most cameras one case names. */
const MAX_CASE_CAMERAS = 10_000;
/** Most files added in one call. */
const MAX_CASE_FILES = 100_000;

/** A one-line text: may be empty; no control characters, at most `max` characters. */
function checkLine(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length > max || CONTROL.test(value)) {
    throw new InputError(
      expected(`a line of text (at most ${max} characters, no control characters)`, name, value),
    );
  }
  return value.trim();
}

// Control characters but tab, line feed and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A free text that may be empty and span lines (tabs and line breaks allowed, no other control characters). */
function checkParagraphs(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT || CONTROL_BUT_BREAKS.test(value)) {
    throw new InputError(
      expected(
        `a text (at most ${MAX_TEXT} characters, no control characters but line breaks and tabs)`,
        name,
        value,
      ),
    );
  }
  return value.trim();
}

/** A case as the database receives it: undefined fields are left as they are (on update) or empty (on creation). */
export interface CaseRow {
  name: string;
  title?: string;
  question?: string;
  examiner?: string;
  /** Canonical JSON array of the camera names. */
  cameras?: string;
  cameraNames?: string[];
  actor: string | null;
}

export function normalizeCase(input: CaseInput): CaseRow {
  checkObject(input, 'case');
  let cameras: string | undefined;
  let cameraNames: string[] | undefined;
  if (input.cameras !== undefined) {
    if (!Array.isArray(input.cameras) || input.cameras.length > MAX_CASE_CAMERAS) {
      throw new InputError(
        expected(`an array of at most ${MAX_CASE_CAMERAS} camera names`, 'case.cameras', input.cameras),
      );
    }
    const seen = new Set<string>();
    cameraNames = input.cameras.map((c, i) => {
      const name = checkName(c, `case.cameras[${i}]`);
      if (seen.has(name)) throw new InputError(`case.cameras: the camera "${name}" is listed twice`);
      seen.add(name);
      return name;
    });
    cameras = canonicalJson(cameraNames, 'case.cameras');
  }
  return {
    name: checkName(input.name, 'case.name'),
    title: input.title === undefined ? undefined : checkLine(input.title, 'case.title', MAX_NAME),
    question: input.question === undefined ? undefined : checkParagraphs(input.question, 'case.question'),
    examiner: input.examiner === undefined ? undefined : checkLine(input.examiner, 'case.examiner', MAX_NAME),
    cameras,
    cameraNames,
    actor: optionalName(input.actor, 'case.actor'),
  };
}

export function checkCaseFileRole(value: unknown, name: string): CaseFileRole {
  if (!(CASE_FILE_ROLES as readonly unknown[]).includes(value)) {
    throw new InputError(expected(`one of ${CASE_FILE_ROLES.join(', ')}`, name, value));
  }
  return value as CaseFileRole;
}

/** One file for a case as the database receives it. */
export interface CaseFileRow {
  image: ImageRow;
  role: CaseFileRole;
}

/** Files for a case: checked, duplicates (by SHA-256) kept once, in the order given. */
export function normalizeCaseFiles(files: CaseFileInput[]): CaseFileRow[] {
  if (!Array.isArray(files) || files.length > MAX_CASE_FILES) {
    throw new InputError(expected(`an array of at most ${MAX_CASE_FILES} files`, 'files', files));
  }
  const seen = new Set<string>();
  const out: CaseFileRow[] = [];
  files.forEach((f, i) => {
    checkObject(f, `files[${i}]`);
    const row = {
      image: normalizeImage(f.image, `files[${i}].image`),
      role: checkCaseFileRole(f.role, `files[${i}].role`),
    };
    if (!seen.has(row.image.sha256)) out.push(row);
    seen.add(row.image.sha256);
  });
  return out;
}

/** A case note's text: non-empty, at most MAX_TEXT characters, line breaks allowed. */
export function normalizeCaseNote(text: unknown): string {
  const t = checkParagraphs(text, 'text');
  if (t.length === 0) throw new InputError(expected('a non-empty text', 'text', text));
  return t;
}

/** The actor option of a write: the name given, or null for the store's. */
export function optionalActor(options: { actor?: string } | undefined): string | null {
  if (options === undefined) return null;
  checkObject(options, 'options');
  return optionalName(options.actor, 'options.actor');
}

/** The fields a case write gives, as plain values (for its audit entry). */
export function caseFields(c: CaseRow): {
  title?: string;
  question?: string;
  examiner?: string;
  cameras?: string[];
} {
  const out: { title?: string; question?: string; examiner?: string; cameras?: string[] } = {};
  if (c.title !== undefined) out.title = c.title;
  if (c.question !== undefined) out.question = c.question;
  if (c.examiner !== undefined) out.examiner = c.examiner;
  if (c.cameraNames !== undefined) out.cameras = c.cameraNames;
  return out;
}
