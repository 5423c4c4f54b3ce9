/**
 * What a report states, gathered from the store and computed afresh: every file of the case is
 * read and hashed again and must have the SHA-256 recorded at intake; every questioned file is
 * compared with the case's cameras (PCE, services/match) or, when the case names none, searched
 * against the whole database (search/identify); each comparison is recorded in the store (as
 * `camprint match` does) so the audit log holds it; header and defect evidence come from
 * evidence/inspect; a CNN's top-5 from dl/classify when a model is named. Nothing here writes the
 * report itself (html.ts, write.ts).
 */
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { inspectImage, intakeImage, readEvidenceFile, type InspectResult } from '../evidence/index.js';
import { DETECT_DEFAULTS, RESIDUAL_DEFAULTS, falseAlarm } from '../prnu/index.js';
import { identifyFile } from '../search/index.js';
import { recordResults } from '../search/answer.js';
import {
  matchFile,
  residualParams,
  type CandidateFingerprint,
  type MatchOptions,
  type MatchResult,
} from '../services/index.js';
import type {
  AuditVerification,
  CaseFileRole,
  CaseNote,
  CaseRecord,
  FingerprintRecord,
  ImageRecord,
  Store,
  StoreInfo,
} from '../store/index.js';
import { InputError } from '../util/errors.js';
import { VERSION } from '../version.js';

export interface ReportOptions {
  /** Cameras (fingerprint names) to compare with; the case's when absent; none: the whole database. */
  cameras?: string[];
  /** Decision threshold on PCE (prnu DETECT_DEFAULTS.threshold when absent). */
  threshold?: number;
  /** Shift search for photos of the sensor's size, ±pixels (0 when absent: aligned). */
  maxShift?: number;
  /** Try the 90° rotations (true when absent). */
  rotations?: boolean;
  /** Residual parameters (prnu RESIDUAL_DEFAULTS when absent). */
  levels?: number;
  sigma?: number;
  maxPixels?: number;
  /** A trained model for the CNN top-5: a model name in the store, or a model folder. */
  model?: string;
  /** Half-side of the correlation window plotted around each peak (10 when absent). */
  surfaceRadius?: number;
  /** Who asked for the report (audit log); the store's actor when absent. */
  actor?: string;
  /** A line of progress (stderr). */
  onProgress?: (line: string) => void;
}

/** One file of the report, as read and hashed now. */
export interface ReportFile {
  role: CaseFileRole;
  /** Q1, Q2, … for questioned files, R1, R2, … for reference files. */
  label: string;
  path: string;
  name: string;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
  format: string;
  /** When it was added to the case (null in a one-image report). */
  addedAt: string | null;
  /** The file's modification time as the file system states it now. */
  modified: string;
  evidence: InspectResult;
}

/** A comparison as made for the report, with the id of its record in the store. */
export type ReportComparison = MatchResult & { digestScore?: number | null; recordId: number };

/** The top-5 of the CNN for one photo. */
export interface CnnTop {
  crops: number;
  top: { class: string; probability: number }[];
}

export interface QuestionedResult {
  file: ReportFile;
  method: 'match' | 'identify';
  /** Best PCE first; not comparable last. */
  results: ReportComparison[];
  /** identify: what the database search did. */
  search: {
    fingerprints: number;
    scanned: number;
    reranked: number;
    cropTested: number;
    notComparable: number;
    standOut: { score: number; count: number };
  } | null;
  /** P_FA of the decision threshold itself for this photo's search (m tests of the best result). */
  thresholdPfa: { p: number; log10: number; tests: number } | null;
  seconds: number;
  cnn: CnnTop | null;
}

export interface FingerprintUsed {
  record: FingerprintRecord;
  /** The images it was estimated from, by SHA-256. */
  sources: ImageRecord[];
}

export interface ModelUsed {
  /** As named on the command line. */
  ref: string;
  path: string;
  network: string;
  input: string;
  crop: number;
  classes: string[];
  dataset: string | null;
  bestValAccuracy: number | null;
  epochs: number | null;
  /** Top-1/top-5 as stored by `camprint evaluate`, when it was run. */
  metrics: Record<string, unknown> | null;
}

export interface ReportData {
  kind: 'case' | 'image';
  /** The audit subject: case:<name> or image:<sha256>. */
  subject: string;
  case: CaseRecord | null;
  title: string;
  /** The case's question as recorded ('' when none: the report then states the question it answers). */
  question: string;
  examiner: string;
  generatedAt: string;
  software: { name: string; version: string; node: string; platform: string; host: string };
  store: StoreInfo;
  settings: {
    threshold: number;
    /** null: the whole database was searched. */
    cameras: string[] | null;
    residual: Record<string, unknown>;
    detector: { exclusionRadius: number; maxShift: number; rotations: boolean; stopAtMatch: boolean };
    surfaceRadius: number;
  };
  files: ReportFile[];
  questioned: QuestionedResult[];
  fingerprints: FingerprintUsed[];
  model: ModelUsed | null;
  notes: CaseNote[];
  /** The audit log once this report's comparisons were recorded (its own entry comes after). */
  audit: AuditVerification;
  warnings: string[];
}

/** The report's subject: a case in the store, or an image file. */
export async function resolveTarget(
  store: Store,
  target: string,
): Promise<{ kind: 'case'; record: CaseRecord } | { kind: 'image'; file: string }> {
  let record: CaseRecord | undefined;
  try {
    record = await store.getCase(target);
  } catch (err) {
    if (!(err instanceof InputError)) throw err; // not a name a case can have: a path, perhaps
  }
  if (record !== undefined) return { kind: 'case', record };
  let isFile = false;
  try {
    isFile = statSync(target).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    throw new InputError(
      `${target}: neither a case in the store (see \`camprint case list\`) nor an image file`,
    );
  }
  return { kind: 'image', file: target };
}

/** Reads, hashes and inspects one file; with `expected`, refuses a file whose SHA-256 has changed. */
async function readFile(
  store: Store,
  path: string,
  role: CaseFileRole,
  label: string,
  expected: { sha256: string; addedAt: string; caseName: string } | null,
  options: { defects: boolean; maxPixels?: number },
): Promise<ReportFile> {
  const { bytes, sha256 } = await readEvidenceFile(path);
  if (expected !== null && sha256 !== expected.sha256) {
    throw new InputError(
      `${path}: its SHA-256 is now ${sha256}, not ${expected.sha256} as recorded when it was added to case ` +
        `${expected.caseName} (${expected.addedAt}); the file has changed or was replaced, so no report is made`,
    );
  }
  const evidence = await inspectImage(path, bytes, sha256, {
    library: await store.listJpegTables(),
    defectMaps: options.defects ? await store.listDefectMaps() : [],
    maxPixels: options.maxPixels,
  });
  const image = intakeImage(evidence);
  return {
    role,
    label,
    path: resolve(path),
    name: basename(path),
    sha256,
    bytes: bytes.length,
    width: image.width,
    height: image.height,
    format: image.format,
    addedAt: expected?.addedAt ?? null,
    modified: statSync(path).mtime.toISOString(),
    evidence,
  };
}

/** Stored fingerprints, loaded one at a time (only one full-size K in memory). */
async function* fromStore(store: Store, cameras: readonly string[]): AsyncGenerator<CandidateFingerprint> {
  for (const camera of cameras) {
    const fp = await store.getFingerprint(camera);
    if (!fp) throw new InputError(`no fingerprint named ${JSON.stringify(camera)} in the store`);
    yield { camera, width: fp.record.width, height: fp.record.height, data: fp.data };
  }
}

/** Loads the model named (a model in the store, or a folder) and how to describe it. */
async function openModel(store: Store, ref: string) {
  const { loadModel } = await import('../dl/model.js');
  let stored;
  try {
    stored = await store.getModel(ref);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
  }
  const model = await loadModel(stored?.path ?? ref);
  const info = model.info;
  const used: ModelUsed = {
    ref,
    path: model.dir,
    network: info.network,
    input: info.input,
    crop: info.crop,
    classes: info.classes,
    dataset: info.dataset ?? stored?.dataset ?? null,
    bestValAccuracy: info.bestValAccuracy ?? stored?.bestValAccuracy ?? null,
    epochs: info.epochs ?? stored?.epochs ?? null,
    metrics: stored?.metrics ?? null,
  };
  return { model, used };
}

/**
 * Gathers and computes everything the report states (see the module comment). Comparisons are
 * recorded in the store as they are made.
 */
export async function collectReport(
  store: Store,
  target: string,
  options: ReportOptions = {},
): Promise<ReportData> {
  const progress = options.onProgress ?? (() => undefined);
  const resolved = await resolveTarget(store, target);
  const caseRecord = resolved.kind === 'case' ? resolved.record : null;
  const threshold = options.threshold ?? DETECT_DEFAULTS.threshold;
  const surfaceRadius = options.surfaceRadius ?? 10;
  const residual = {
    levels: options.levels ?? RESIDUAL_DEFAULTS.levels,
    sigma: options.sigma ?? RESIDUAL_DEFAULTS.sigma,
  };
  const detector = {
    exclusionRadius: DETECT_DEFAULTS.exclusionRadius,
    maxShift: options.maxShift ?? DETECT_DEFAULTS.maxShift,
    rotations: options.rotations ?? DETECT_DEFAULTS.rotations,
    stopAtMatch: DETECT_DEFAULTS.stopAtMatch,
  };
  const named = options.cameras ?? caseRecord?.cameras ?? [];
  const cameras = named.length > 0 ? [...new Set(named)] : null;
  if (cameras !== null) {
    for (const camera of cameras) {
      if ((await store.getFingerprintRecord(camera)) === undefined) {
        throw new InputError(
          `no fingerprint named ${JSON.stringify(camera)} in the store (see \`camprint fingerprint list\`)`,
        );
      }
    }
  } else if ((await store.listFingerprints()).length === 0) {
    throw new InputError('the store holds no fingerprints to compare with (`camprint fingerprint build`)');
  }

  // The files, read and hashed now (and checked against intake), questioned first.
  const files: ReportFile[] = [];
  if (caseRecord !== null) {
    const listed = await store.listCaseFiles(caseRecord.name);
    const questioned = listed.filter((f) => f.role === 'questioned');
    if (questioned.length === 0) {
      throw new InputError(
        `case ${caseRecord.name} has no questioned files (\`camprint case add ${caseRecord.name} <files> --role questioned\`)`,
      );
    }
    const reference = listed.filter((f) => f.role === 'reference');
    for (const [list, prefix] of [
      [questioned, 'Q'],
      [reference, 'R'],
    ] as const) {
      for (const [i, f] of list.entries()) {
        progress(`reading ${f.path}`);
        files.push(
          await readFile(
            store,
            f.path,
            f.role,
            `${prefix}${i + 1}`,
            { sha256: f.sha256, addedAt: f.addedAt, caseName: caseRecord.name },
            { defects: f.role === 'questioned', maxPixels: options.maxPixels },
          ),
        );
      }
    }
  } else if (resolved.kind === 'image') {
    files.push(
      await readFile(store, resolved.file, 'questioned', 'Q1', null, {
        defects: true,
        maxPixels: options.maxPixels,
      }),
    );
  }

  const cnn = options.model !== undefined ? await openModel(store, options.model) : null;
  const matchOptions: MatchOptions = {
    threshold,
    maxShift: detector.maxShift,
    rotations: detector.rotations,
    surfaceRadius,
    ...residual,
    maxPixels: options.maxPixels,
  };
  const recordParams = {
    command: 'report',
    case: caseRecord?.name ?? null,
    threshold,
    maxShift: detector.maxShift,
    rotations: detector.rotations,
    ...residual,
  };
  const questioned: QuestionedResult[] = [];
  for (const file of files.filter((f) => f.role === 'questioned')) {
    progress(`comparing ${file.label} ${file.name}`);
    let results: (MatchResult & { digestScore?: number | null })[];
    let search: QuestionedResult['search'] = null;
    let sha256: string;
    let seconds: number;
    let orientation: number;
    if (cameras !== null) {
      const r = await matchFile(file.path, fromStore(store, cameras), matchOptions);
      results = [...r.results].sort((a, b) => (b.pce ?? -Infinity) - (a.pce ?? -Infinity));
      ({ sha256, seconds, orientation } = r);
    } else {
      const r = await identifyFile(store, file.path, matchOptions);
      results = r.results;
      search = {
        fingerprints: r.fingerprints,
        scanned: r.scanned,
        reranked: r.reranked,
        cropTested: r.cropTested,
        notComparable: r.notComparable,
        standOut: r.standOut,
      };
      ({ sha256, orientation } = r);
      seconds = r.totalSeconds;
    }
    if (sha256 !== file.sha256) {
      throw new InputError(
        `${file.path}: the file changed while the report was being made (SHA-256 ${sha256})`,
      );
    }
    const image = {
      sha256,
      path: file.path,
      width: file.width,
      height: file.height,
      format: file.format,
      orientation,
    };
    const records = await recordResults(
      store,
      image,
      results,
      { ...recordParams, method: cameras === null ? 'identify' : 'match' },
      options.actor,
    );
    const recorded: ReportComparison[] = results.map((r, i) => ({ ...r, recordId: records[i].id }));
    const best = recorded.find((r) => r.comparable);
    const tests = best?.tests ?? null;
    let top: CnnTop | null = null;
    if (cnn !== null) {
      progress(`classifying ${file.label} ${file.name}`);
      const { classifyFile } = await import('../dl/classify.js');
      const c = await classifyFile(cnn.model, file.path, { ...residual, top: 5 });
      top = { crops: c.crops, top: c.top };
    }
    questioned.push({
      file,
      method: cameras === null ? 'identify' : 'match',
      results: recorded,
      search,
      thresholdPfa: tests === null ? null : { ...falseAlarm(threshold, tests), tests },
      seconds,
      cnn: top,
    });
  }

  // The fingerprints the comparisons used, with the images each was estimated from.
  const used = [...new Set(questioned.flatMap((q) => q.results.map((r) => r.camera)))].sort();
  const fingerprints: FingerprintUsed[] = [];
  for (const camera of used) {
    const record = await store.getFingerprintRecord(camera);
    if (record === undefined) continue; // deleted meanwhile; its comparison is recorded all the same
    fingerprints.push({ record, sources: await store.listFingerprintSources(camera) });
  }

  const warnings = files.flatMap((f) => f.evidence.warnings.map((w) => `${f.label} ${f.name}: ${w}`));
  return {
    kind: resolved.kind,
    subject: caseRecord !== null ? `case:${caseRecord.name}` : `image:${files[0].sha256}`,
    case: caseRecord,
    title: caseRecord?.title || (caseRecord ? `Case ${caseRecord.name}` : `Photo ${files[0].name}`),
    question: caseRecord?.question ?? '',
    examiner: caseRecord?.examiner ?? '',
    generatedAt: new Date().toISOString(),
    software: {
      name: 'camprint',
      version: VERSION,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      host: hostname(),
    },
    store: await store.info(),
    settings: {
      threshold,
      cameras,
      residual: residualParams(residual),
      detector,
      surfaceRadius,
    },
    files,
    questioned,
    fingerprints,
    model: cnn?.used ?? null,
    notes: caseRecord !== null ? await store.listCaseNotes(caseRecord.name) : [],
    audit: await store.verifyAudit(),
    warnings,
  };
}
