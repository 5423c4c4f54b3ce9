/**
 * The Store contract: what camprint keeps between runs (cameras, images, fingerprints, matches,
 * jobs, data sets, models, evidence, cases, the audit log). Every backend (SQLite, PostgreSQL)
 * implements this interface and passes the same test suite (`runStoreContract` in contract.ts).
 *
 * Conventions shared by every backend:
 * - Every method is async; every write is one transaction (all or nothing).
 * - Timestamps are ISO 8601 UTC strings with milliseconds (`2025-01-31T12:00:00.000Z`).
 * - JSON fields are plain data (objects, arrays, strings, finite numbers, booleans, null); they are
 *   stored as canonical JSON (sorted keys), so equal data is stored as equal text.
 * - Bad arguments reject with InputError (exit 2), naming the parameter, what was expected and what
 *   came; so does a database that is corrupt or newer than this build.
 */

/** JSON object stored as text (quality figures, parameters, details). */
export type JsonObject = Record<string, unknown>;

/** One camera's current fingerprint, without its pixel data. */
export interface FingerprintRecord {
  camera: string;
  model?: string;
  device?: string;
  /** Fingerprint size in pixels; the data holds width·height float32 values, row-major (height, width). */
  width: number;
  height: number;
  /** Number of images the fingerprint was estimated from. */
  images: number;
  /** Quality figures (images used, their mean PCE, PRNU energy, …). */
  quality: JsonObject;
  /** Parameters of the estimation (wavelet, σ, …), enough to reproduce it. */
  params: JsonObject;
  /** SHA-256 (hex) of the data as stored: float32 little-endian, row-major. */
  dataSha256: string;
  /** Values in the fingerprint's search digest; 0 when it has none (search/ computes one). */
  digestSize: number;
  createdAt: string;
}

/**
 * A fingerprint's search digest (Goljan, Fridrich & Filler 2010): the values of the k
 * largest-magnitude fingerprint entries and where they are. search/ makes and reads it; the store
 * only keeps it next to the fingerprint it was made from.
 */
export interface FingerprintDigest {
  /** Row-major pixel indices (y·width + x), strictly increasing, each < width·height. */
  indices: Uint32Array;
  /** The fingerprint's values at those indices (same length). */
  values: Float32Array;
}

/** One fingerprint's digest as a scan returns it. */
export interface DigestEntry {
  camera: string;
  width: number;
  height: number;
  /** SHA-256 of the fingerprint data the digest was made from. */
  dataSha256: string;
  digest: FingerprintDigest;
}

export interface DigestScanOptions {
  /** Entries per batch (256 by default); memory is bounded by one batch. */
  batchSize?: number;
  /** Only fingerprints of this size (either orientation is the caller's business). */
  width?: number;
  height?: number;
  /**
   * Only shard `index` of `count` (0 ≤ index < count): the shards of one count are disjoint and
   * together hold every digest, so workers can each scan one (search shards).
   */
  shard?: { index: number; count: number };
}

/** A fingerprint with its pixel data: float32, row-major (height, width). */
export interface StoredFingerprint {
  record: FingerprintRecord;
  data: Float32Array;
}

/** An image as camprint first saw it. The SHA-256 of the file's bytes is its identity. */
export interface ImageInput {
  /** SHA-256 of the file's bytes, 64 lower-case hex digits. */
  sha256: string;
  path: string;
  width: number;
  height: number;
  /** Container format as decoded (jpeg, png, tiff, webp, …). */
  format: string;
  /** EXIF orientation tag 1–8; 1 when absent. */
  orientation?: number;
  /** EXIF fields worth keeping (camera make/model, dates, …). */
  exif?: JsonObject;
}

export interface ImageRecord {
  sha256: string;
  /** The path under which the image was first seen (later sightings do not change it). */
  path: string;
  width: number;
  height: number;
  format: string;
  orientation: number;
  exif?: JsonObject;
  firstSeen: string;
}

export interface CameraRecord {
  name: string;
  model?: string;
  device?: string;
  notes?: string;
  createdAt: string;
}

export interface PutFingerprintInput {
  /** Camera name (the user's label); the camera row is created when new. */
  camera: string;
  /** Camera model and device; when given they replace the camera's stored values. */
  model?: string;
  device?: string;
  width: number;
  height: number;
  images: number;
  quality: JsonObject;
  params: JsonObject;
  /** width·height float32 values, row-major (height, width). Any byteOffset. */
  data: Float32Array;
  /** The fingerprint's search digest, stored with it when given (see FingerprintDigest). */
  digest?: FingerprintDigest;
  /** The images the fingerprint was estimated from (duplicates are kept once). */
  sources: ImageInput[];
  /** Who did it (audit log); the store's actor when absent. */
  actor?: string;
}

/** Rotation applied to the query image before correlation, in degrees. */
export type Rotation = 0 | 90 | 180 | 270;

export interface MatchInput {
  /** The query image (recorded in `images` when new). */
  image: ImageInput;
  /** Camera name the image was compared with (kept as text: the record outlives the fingerprint). */
  camera: string;
  /** Peak-to-correlation energy; null when not comparable (e.g. different resolutions). */
  pce: number | null;
  /** Normalised cross-correlation at the peak; null when not comparable. */
  ncc: number | null;
  /** False-alarm probability derived from the PCE; null when not comparable. */
  pFalseAlarm: number | null;
  /** Shift of the peak in pixels (cropped images); 0 when absent. */
  shiftY?: number;
  shiftX?: number;
  rotation?: Rotation;
  /** The decision as the detector states it (e.g. "match", "no-match", "not-comparable"). */
  decision: string;
  /** PCE threshold the decision used. */
  threshold: number;
  params?: JsonObject;
  actor?: string;
}

export interface MatchRecord {
  id: number;
  imageSha256: string;
  imagePath: string;
  camera: string;
  pce: number | null;
  ncc: number | null;
  pFalseAlarm: number | null;
  shiftY: number;
  shiftX: number;
  rotation: Rotation;
  decision: string;
  threshold: number;
  params: JsonObject;
  createdAt: string;
}

export interface MatchFilter {
  camera?: string;
  imageSha256?: string;
  decision?: string;
  /** Only matches with an id above this one (paging). */
  afterId?: number;
  limit?: number;
}

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The queue a job went through: this process's (in-process) or Redis (BullMQ, `camprint worker`). */
export const JOB_BACKENDS = ['in-process', 'redis'] as const;
export type JobBackend = (typeof JOB_BACKENDS)[number];

export interface JobInput {
  /** Job id; a random UUID when absent. */
  id?: string;
  kind: string;
  params?: JsonObject;
  /** Who holds the job (util/process-owner: `host:pid:start`, or a Redis worker's name). */
  worker?: string;
  /** The queue it went through. */
  backend?: JobBackend;
}

/** Fields of a job to change; absent fields keep their values, `null` clears result, error or worker. */
export interface JobPatch {
  status?: JobStatus;
  /** Fraction done, 0–1. */
  progress?: number;
  result?: JsonObject | null;
  error?: string | null;
  worker?: string | null;
}

export interface JobRecord {
  id: string;
  kind: string;
  status: JobStatus;
  progress: number;
  params: JsonObject;
  result?: JsonObject;
  error?: string;
  /**
   * Who holds (or last held) the job: for the in-process queue the process that queued and runs
   * it, `host:pid:start` (util/process-owner.ts); for Redis the worker's name. Absent when unknown
   * (jobs recorded before schema version 5).
   */
  worker?: string;
  /** The queue it went through; absent when unknown. */
  backend?: JobBackend;
  createdAt: string;
  updatedAt: string;
}

export interface JobFilter {
  status?: JobStatus;
  kind?: string;
  limit?: number;
}

/** Crop or photo counts per split of a data set. */
export interface SplitCounts {
  train: number;
  val: number;
  test: number;
}

/**
 * A deep-learning data set as built on disk (docs/dl-format.md); the store keeps its summary.
 * The name is its identity: a new build under the same name replaces the record.
 */
export interface DatasetInput {
  /** The data set's name (a label, like a camera name). */
  name: string;
  /** The data set folder, an absolute path. */
  path: string;
  /** SHA-256 of the folder's manifest.json, 64 lower-case hex digits. */
  manifestSha256: string;
  /** What the network sees: "residual", "residual-rgb" or "rgb" (the manifest's `input`). */
  input: string;
  /** Crop side in pixels. */
  crop: number;
  /** Class names; the index is the label. */
  classes: string[];
  /** Crops per split. */
  counts: SplitCounts;
  /** Photos per split. */
  images: SplitCounts;
  /** Build parameters (crops per image, split, seed, …), enough to reproduce it. */
  params: JsonObject;
  /** Who did it (audit log); the store's actor when absent. */
  actor?: string;
}

export interface DatasetRecord {
  name: string;
  path: string;
  manifestSha256: string;
  input: string;
  crop: number;
  classes: string[];
  counts: SplitCounts;
  images: SplitCounts;
  params: JsonObject;
  /** When this build was stored (a replacing build gets a new time). */
  createdAt: string;
}

/**
 * training: a process trains it now; stopped: stopped on request (resumable); interrupted: the
 * process that trained it ended without a word (killed, a power cut) — resumable from its last
 * checkpoint; failed; done.
 */
export const MODEL_STATUSES = ['training', 'stopped', 'interrupted', 'failed', 'done'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/**
 * A trained (or training) camera classifier as its folder holds it (docs/dl-format.md). The name
 * is its identity: a new training under the same name replaces the record.
 */
export interface ModelInput {
  name: string;
  /** The model folder, an absolute path. */
  path: string;
  /** The data set it was trained on, by name (kept as text: it may not be, or no longer be, in the store). */
  dataset: string | null;
  /** The network architecture's name. */
  network: string;
  status: ModelStatus;
  /** The training config (every setting, with its default). */
  config: JsonObject;
  /** Epochs completed. */
  epochs: number;
  /** Best validation accuracy so far, 0–1; null before the first validation. */
  bestValAccuracy: number | null;
  /** One object per completed epoch (epoch, loss, accuracy, valLoss, valAccuracy, lr, imagesPerSecond, …). */
  curves: JsonObject[];
  /** Evaluation results; null until evaluated. */
  metrics: JsonObject | null;
  /** Why training failed or stopped; null otherwise. */
  error: string | null;
  /** The process that trains it (util/process-owner: `host:pid:start`); null (the default) when none. */
  owner?: string | null;
  /** Who did it (audit log); the store's actor when absent. */
  actor?: string;
}

/** Fields of a model to change; absent fields keep their values, `null` clears a nullable one. */
export interface ModelPatch {
  status?: ModelStatus;
  epochs?: number;
  bestValAccuracy?: number | null;
  curves?: JsonObject[];
  metrics?: JsonObject | null;
  error?: string | null;
  owner?: string | null;
}

/** What updateModel may require of the stored model before it changes it (a compare-and-set). */
export interface ModelExpectation {
  status?: ModelStatus;
  owner?: string | null;
}

export interface ModelRecord {
  name: string;
  path: string;
  dataset: string | null;
  network: string;
  status: ModelStatus;
  config: JsonObject;
  epochs: number;
  bestValAccuracy: number | null;
  curves: JsonObject[];
  metrics: JsonObject | null;
  error: string | null;
  /** The process that trains (or last trained) it, `host:pid:start`; null when unknown. */
  owner: string | null;
  /** When this model was stored by putModel (a replacing put gets a new time). */
  createdAt: string;
  /** When it last changed (putModel or updateModel). */
  updatedAt: string;
}

export interface AuditInput {
  /** Who did it; the store's actor when absent (appendAudit). */
  actor?: string;
  /** What was done, dotted (e.g. "fingerprint.put", "case.export"). */
  action: string;
  /** What it was done to (e.g. "camera:Nikon_D70_0"). */
  subject: string;
  details?: JsonObject;
}

/** One audit-log entry. hash = SHA-256(prevHash + canonical JSON of {seq, ts, actor, action, subject, details}). */
export interface AuditEntry {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  subject: string;
  details: JsonObject;
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  /** First sequence number to return (1 when absent). */
  fromSeq?: number;
  limit?: number;
}

/**
 * The result of recomputing the audit chain. A chain cut short at its end (the last entries
 * removed) looks valid on its own: compare `entries` and `headHash` with a copy kept elsewhere
 * (e.g. printed in a report) to detect that.
 */
export interface AuditVerification {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** Hash of the last entry, null for an empty log. */
  headHash: string | null;
  /** The first sequence number at which the chain does not hold (absent when ok). */
  firstBadSeq?: number;
  /** Why the chain breaks there (absent when ok). */
  reason?: string;
}

/**
 * A set of JPEG encoding tables as a camera writes them (evidence/: quantisation tables in natural
 * order, chroma subsampling, Huffman kind). Its identity is the SHA-256 of its canonical JSON.
 */
export interface JpegTableSetInput {
  /** IJG quality (1–100) the tables come closest to; null when unknown. */
  quality: number | null;
  /** The tables as plain JSON data (evidence/ defines the shape; the store keeps it as given). */
  tables: JsonObject;
  /** The reference images that showed these tables (at least one; duplicates are kept once). */
  sources: ImageInput[];
}

/** A camera's reference JPEG tables, added to its library in one transaction. */
export interface PutJpegTablesInput {
  /** Camera name; the camera row is created when new. */
  camera: string;
  /** When given they replace the camera's stored values. */
  model?: string;
  device?: string;
  /** One entry per distinct set of tables (a camera may use several: qualities, adaptive tables). */
  sets: JpegTableSetInput[];
  actor?: string;
}

/** One set of tables in the library, with how many reference images showed it. */
export interface JpegTablesRecord {
  camera: string;
  model?: string;
  device?: string;
  /** SHA-256 of the canonical JSON of `tables`. */
  tablesSha256: string;
  quality: number | null;
  tables: JsonObject;
  /** Distinct reference images that showed these tables. */
  images: number;
  createdAt: string;
  /** When an image was last added to it. */
  updatedAt: string;
}

export const DEFECT_KINDS = ['hot', 'stuck', 'dead'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** One defective photosite of a camera's map. */
export interface DefectPoint {
  /** Column and row in the stored (sensor) orientation, 0-based. */
  x: number;
  y: number;
  /** 'hot' reads brighter than its neighbours, 'dead' darker; 'stuck' reads one level whatever the light. */
  kind: DefectKind;
  /** Mean outlier score (robust z) over the frames, signed. */
  score: number;
  /** Frames in which it was an outlier. */
  hits: number;
}

/** A camera's defective-pixel map, replacing its previous one. */
export interface PutDefectMapInput {
  camera: string;
  model?: string;
  device?: string;
  /** Frame size the map was estimated at; photos are compared at this size only. */
  width: number;
  height: number;
  /** Frames the map was estimated from. */
  frames: number;
  /** Parameters of the estimation (threshold, consistency rule, …), enough to reproduce it. */
  params: JsonObject;
  /** Distinct positions, each inside width × height (may be empty: no defect found). */
  defects: DefectPoint[];
  /** The frames it was estimated from (duplicates are kept once). */
  sources: ImageInput[];
  actor?: string;
}

export interface DefectMapRecord {
  camera: string;
  model?: string;
  device?: string;
  width: number;
  height: number;
  frames: number;
  params: JsonObject;
  /** Sorted by row, then column. */
  defects: DefectPoint[];
  createdAt: string;
}

/**
 * An input file at intake (chain of custody): the image is recorded when new and an audit entry
 * names it by its SHA-256, in one transaction.
 */
export interface EvidenceInput {
  image: ImageInput;
  /** What was done with it, dotted (e.g. "image.inspect", "defects.match"). */
  action: string;
  /** The result worth keeping (plain JSON data). */
  details?: JsonObject;
  actor?: string;
}

export const CASE_FILE_ROLES = ['questioned', 'reference'] as const;
/** What a file is to a case: a photo whose source is asked ('questioned'), or known material ('reference'). */
export type CaseFileRole = (typeof CASE_FILE_ROLES)[number];

/**
 * A case: the question an examiner was asked, and the files and notes that answer it. The name is
 * its identity (a label, validated like a camera name).
 */
export interface CaseInput {
  name: string;
  /** A one-line title ('' when absent on creation). */
  title?: string;
  /** The question asked, in the requester's words ('' when absent on creation). */
  question?: string;
  /** Who examines it ('' when absent on creation). */
  examiner?: string;
  /** The cameras (fingerprint names) the questioned files are to be compared with; [] = the whole database. */
  cameras?: string[];
  /** Who did it (audit log); the store's actor when absent. */
  actor?: string;
}

export interface CaseRecord {
  name: string;
  title: string;
  question: string;
  examiner: string;
  /** Distinct names, in the order given. */
  cameras: string[];
  createdAt: string;
  /** When the case last changed: its fields, a file added or a note. */
  updatedAt: string;
}

export interface CaseFileInput {
  /** The file as hashed at intake (evidence/ intakeImage); recorded in `images` when new. */
  image: ImageInput;
  role: CaseFileRole;
}

/** A file of a case: its identity (SHA-256), the path it was added from, and what it is to the case. */
export interface CaseFile {
  case: string;
  sha256: string;
  /** The path under which it was added to this case (image.path as given). */
  path: string;
  role: CaseFileRole;
  /** As the images table keeps it (the first sighting's decoder figures). */
  width: number;
  height: number;
  format: string;
  addedAt: string;
}

/** A dated note in a case's file (what was done, received, observed). */
export interface CaseNote {
  /** Increasing in the order notes were added (store-wide). */
  id: number;
  case: string;
  text: string;
  actor: string;
  createdAt: string;
}

export interface StoreInfo {
  backend: 'sqlite' | 'postgres';
  /** Where the data lives (a file path for SQLite, a URL without the password for PostgreSQL). */
  location: string;
  schemaVersion: number;
}

export interface Store {
  info(): Promise<StoreInfo>;

  /** Stores a camera's fingerprint, replacing the previous one, with its sources and an audit entry, in one transaction. */
  putFingerprint(input: PutFingerprintInput): Promise<FingerprintRecord>;
  /** The camera's fingerprint with its data (checked against its length and SHA-256), or undefined. */
  getFingerprint(camera: string): Promise<StoredFingerprint | undefined>;
  getFingerprintRecord(camera: string): Promise<FingerprintRecord | undefined>;
  /** All fingerprints without data, sorted by camera name (code-point order). */
  listFingerprints(): Promise<FingerprintRecord[]>;
  /** The images the camera's current fingerprint was built from, sorted by SHA-256. */
  listFingerprintSources(camera: string): Promise<ImageRecord[]>;
  /**
   * Stores a digest for the camera's current fingerprint (one stored without, or a new kind of
   * digest). Rejects with InputError when the camera has no fingerprint or its data is no longer
   * the one `dataSha256` names (it was replaced meanwhile). No audit entry: a digest is derived data.
   */
  putDigest(camera: string, dataSha256: string, digest: FingerprintDigest): Promise<void>;
  /**
   * Every stored digest, in batches, in a stable order (fingerprints stored later come later).
   * Fingerprints without a digest are skipped (their records say digestSize 0). Each batch is
   * read on its own, so writes between batches are seen or not, but no entry is torn.
   */
  scanDigests(options?: DigestScanOptions): AsyncIterable<DigestEntry[]>;
  /** Deletes the camera's fingerprint (the camera row stays); false when there was none. */
  deleteFingerprint(camera: string, options?: { actor?: string }): Promise<boolean>;

  listCameras(): Promise<CameraRecord[]>;

  /** Records an image when its SHA-256 is new; returns the stored record either way. */
  upsertImage(input: ImageInput): Promise<ImageRecord>;
  getImage(sha256: string): Promise<ImageRecord | undefined>;

  /** Records a match result (and its image when new) with an audit entry. */
  recordMatch(input: MatchInput): Promise<MatchRecord>;
  /** Matches in the order they were recorded. */
  listMatches(filter?: MatchFilter): Promise<MatchRecord[]>;

  /** Creates a queued job; rejects with InputError when the id exists. */
  createJob(input: JobInput): Promise<JobRecord>;
  /** Changes a job; rejects with InputError when it does not exist. */
  updateJob(id: string, patch: JobPatch): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | undefined>;
  /** Jobs by creation time. */
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;

  /** Stores a data set's summary, replacing the one of the same name, with an audit entry. */
  putDataset(input: DatasetInput): Promise<DatasetRecord>;
  getDataset(name: string): Promise<DatasetRecord | undefined>;
  /** All data sets, sorted by name (code-point order). */
  listDatasets(): Promise<DatasetRecord[]>;
  /** Forgets a data set (its folder is left alone), with an audit entry; false when there was none. */
  deleteDataset(name: string, options?: { actor?: string }): Promise<boolean>;

  /** Stores a model, replacing the one of the same name, with an audit entry. */
  putModel(input: ModelInput): Promise<ModelRecord>;
  /**
   * Changes a model (updatedAt moves), with an audit entry; rejects with InputError when it does
   * not exist, or when `options.expect` names values the stored model no longer has (nothing is
   * written then: another process changed it first).
   */
  updateModel(
    name: string,
    patch: ModelPatch,
    options?: { actor?: string; expect?: ModelExpectation },
  ): Promise<ModelRecord>;
  getModel(name: string): Promise<ModelRecord | undefined>;
  /** All models, sorted by name (code-point order). */
  listModels(): Promise<ModelRecord[]>;
  /** Forgets a model (its folder is left alone), with an audit entry; false when there was none. */
  deleteModel(name: string, options?: { actor?: string }): Promise<boolean>;

  /**
   * Adds reference JPEG tables to a camera's library: each set is kept once per camera (by its
   * SHA-256) and counts the distinct images that showed it; one transaction with an audit entry.
   */
  putJpegTables(input: PutJpegTablesInput): Promise<JpegTablesRecord[]>;
  /** The library, sorted by camera then tablesSha256; only one camera's when named. */
  listJpegTables(camera?: string): Promise<JpegTablesRecord[]>;

  /** Stores a camera's defect map, replacing the previous one, with its sources and an audit entry. */
  putDefectMap(input: PutDefectMapInput): Promise<DefectMapRecord>;
  getDefectMap(camera: string): Promise<DefectMapRecord | undefined>;
  /** All defect maps, sorted by camera name (code-point order). */
  listDefectMaps(): Promise<DefectMapRecord[]>;

  /** Records an input file at intake (the image when new) with an audit entry, in one transaction. */
  recordEvidence(input: EvidenceInput): Promise<AuditEntry>;

  /**
   * Creates a case, or updates the fields given (absent fields keep their values; a case named
   * with no field to change is returned as it is, nothing written). Audited as 'case.create' or
   * 'case.update' (with the previous values of the fields changed), subject `case:<name>`.
   */
  putCase(input: CaseInput): Promise<CaseRecord>;
  getCase(name: string): Promise<CaseRecord | undefined>;
  /** All cases, sorted by name (code-point order). */
  listCases(): Promise<CaseRecord[]>;
  /**
   * Adds files to a case in one transaction: images recorded when new, one 'case.add-file' audit
   * entry per file new to the case (details {sha256, role, path}). A file whose SHA-256 the case
   * already holds is left as it is (its first role and path stay). Returns the case's record of
   * each given file, in the order given (duplicates once). InputError when the case does not exist.
   */
  addCaseFiles(caseName: string, files: CaseFileInput[], options?: { actor?: string }): Promise<CaseFile[]>;
  /** The case's files in the order they were added; InputError when the case does not exist. */
  listCaseFiles(caseName: string): Promise<CaseFile[]>;
  /** Adds a note to a case, audited as 'case.note'; InputError when the case does not exist. */
  addCaseNote(caseName: string, text: string, options?: { actor?: string }): Promise<CaseNote>;
  /** The case's notes in the order they were added; InputError when the case does not exist. */
  listCaseNotes(caseName: string): Promise<CaseNote[]>;

  appendAudit(input: AuditInput): Promise<AuditEntry>;
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;
  verifyAudit(): Promise<AuditVerification>;

  /** Closes the connection; later calls reject. Closing twice is harmless. */
  close(): Promise<void>;
}
