/**
 * A typed client over the HTTP API of `camprint serve` (docs/api.md). The bearer token, when the
 * server wants one, lives in sessionStorage; a 401 asks the person for it (the token dialog) and
 * tries once more.
 */

import type {
  CaseFile,
  CaseNote,
  CaseRecord,
  DatasetRecord,
  ImageRecord,
  JobStatus,
  MatchRecord,
  ModelRecord as StoredModel,
  SplitCounts,
} from '../../src/store/types.js';

const TOKEN_KEY = 'camprint.token';

// ---- records as the API returns them -------------------------------------------------------

// The records the store keeps go out as they are: their types are the store's (src/store/types.ts
// holds types only; nothing of it reaches the bundle). JobInfo and JobEvent are those of
// src/queue/types.ts, and the identify and inspect answers those of src/evidence/, written again
// here: those modules import Node's libraries (the store's backends, sharp, exifr), which have no
// place in the browser's type-check.
export type {
  CaseFile,
  CaseNote,
  CaseRecord,
  DatasetRecord,
  ImageRecord,
  JobStatus,
  MatchRecord,
  SplitCounts,
};
export type { ModelStatus } from '../../src/store/types.js';

/** Photos or crops in all splits. */
export function splitTotal(c: SplitCounts): number {
  return c.train + c.val + c.test;
}

/** A job as the queue knows it (src/queue/types.ts). */
export interface JobInfo {
  id: string;
  kind: string;
  status: JobStatus;
  /** Fraction done, 0–1. */
  progress: number;
  detail?: string;
  params: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: string;
  inputError?: boolean;
  attempts?: number;
  worker?: string;
  createdAt: string;
  updatedAt: string;
}

export type JobEvent =
  | { type: 'active'; id: string; kind: string; attempt?: number; worker?: string }
  | { type: 'progress'; id: string; kind: string; progress: number; detail?: string; worker?: string }
  | { type: 'retrying'; id: string; kind: string; error: string; delayMs?: number }
  | { type: 'stalled'; id: string; kind: string }
  | { type: 'done'; id: string; kind: string; result: Record<string, unknown> }
  | { type: 'failed'; id: string; kind: string; error: string; inputError: boolean }
  | { type: 'cancelled'; id: string; kind: string; result?: Record<string, unknown> };

export interface CameraSummary {
  camera: string;
  images: number;
  width: number;
  height: number;
  model?: string | null;
  device?: string | null;
  quality: Record<string, unknown>;
  params?: Record<string, unknown>;
  createdAt: string;
}

export interface PerClassCounts extends SplitCounts {
  class: string;
}

export interface EpochPoint {
  epoch: number;
  loss?: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  lr?: number;
  [key: string]: unknown;
}

export interface Evaluation {
  split: string;
  classes: string[];
  top1: number;
  top5: number;
  crop?: { top1: number; top5: number; crops: number };
  images: number;
  perClass: Record<string, { images: number; correct: number; accuracy: number | null }>;
  confusion: number[][];
  seconds?: number;
}

/** A model as the API sends it: the stored record, with its curves on GET /api/models/:name only. */
export interface ModelRecord extends Omit<StoredModel, 'curves'> {
  curves?: EpochPoint[];
}

export interface NetworkInfo {
  name: string;
  description: string;
}

export interface Candidate {
  camera: string;
  pce: number | null;
  match: boolean;
  comparable: boolean;
  pFalseAlarm?: number | null;
  log10PFalseAlarm?: number | null;
  shift?: [number, number] | null;
  rotation?: number | null;
  reason?: string;
  digestScore?: number | null;
}

export interface ClassScore {
  class: string;
  probability: number;
}

export interface ExifSummary {
  present: boolean;
  make: string | null;
  model: string | null;
  serialNumbers: string[];
  lensSerialNumber: string | null;
  software: string | null;
  dateTimeOriginal: string | null;
  createDate: string | null;
  modifyDate: string | null;
  orientation: number | null;
  lens: string | null;
  gps: { present: boolean };
  width: number | null;
  height: number | null;
  ifd1: boolean;
  warnings: string[];
}

export interface InspectResult {
  file: string;
  sha256: string;
  bytes: number;
  format: string | null;
  width: number | null;
  height: number | null;
  exif: ExifSummary;
  jpeg: {
    isJpeg: boolean;
    quality: number | null;
    subsampling: string | null;
    huffman?: unknown;
    markers: string[];
    process: string | null;
    comments: string[];
    trailingBytes: number;
    quantTables?: unknown[];
  };
  tables: {
    comparisons: { camera: string; [key: string]: unknown }[];
    identical: string[];
    sameQuality: string[];
  } | null;
  defects: { camera: string; [key: string]: unknown }[];
  signs: { sign: string; detail: string }[];
  warnings: string[];
}

export interface IdentifyResult {
  file: string;
  sha256: string;
  candidates: Candidate[];
  searched: number;
  search?: Record<string, unknown>;
  seconds: number;
  inspect?: InspectResult;
  surface?: { camera: string; size: number; values: (number | null)[] } | null;
  classification?: { model: string; top: ClassScore[] } | null;
}

export interface ClassifyResult {
  file: string;
  sha256: string;
  top: ClassScore[];
}

export interface FolderEntry {
  name: string;
  dir: boolean;
  /** Images below it; null when too many to count. */
  images: number | null;
}

export interface FolderListing {
  roots: string[];
  path: string;
  entries: FolderEntry[];
}

/** The model's evaluation on a split, if it has one (metrics are kept per split). */
export function evaluationOf(
  metrics: Record<string, unknown> | null | undefined,
  split: string,
): Evaluation | null {
  if (!metrics) return null;
  const isEvaluation = (m: unknown): m is Evaluation =>
    !!m &&
    typeof m === 'object' &&
    Array.isArray((m as Evaluation).classes) &&
    Array.isArray((m as Evaluation).confusion);
  const bySplit = metrics[split];
  if (isEvaluation(bySplit)) return bySplit;
  // An older record: one evaluation as the metrics themselves.
  return isEvaluation(metrics) && (metrics.split ?? 'test') === split ? metrics : null;
}

/** The splits a model has been evaluated on. */
export function evaluatedSplits(metrics: Record<string, unknown> | null | undefined): string[] {
  return ['test', 'val', 'train'].filter((s) => evaluationOf(metrics, s) !== null);
}

// ---- the token ---------------------------------------------------------------------------

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

const tokenWaiters: (() => void)[] = [];

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  for (const w of tokenWaiters.splice(0)) w();
}

/** Resolves when a token is next set (the event stream waits here after a 401). */
export function tokenChanged(): Promise<void> {
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

type TokenAsker = (reason: string) => Promise<string | null>;
let asker: TokenAsker | null = null;
let pending: Promise<string | null> | null = null;

/** The token dialog registers itself here. */
export function setTokenAsker(fn: TokenAsker | null): void {
  asker = fn;
}

/** Asks the person for a token (once at a time); null when they gave none. */
export function askToken(reason: string): Promise<string | null> {
  if (!asker) return Promise.resolve(null);
  pending ??= asker(reason).then((t) => {
    pending = null;
    if (t) setToken(t);
    return t;
  });
  return pending;
}

export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

// ---- requests ----------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** fetch with the token; a 401 asks for it and tries once more. */
export async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const go = () => fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers ?? {}) } });
  let res = await go();
  if (res.status === 401) {
    const t = await askToken(getToken() ? 'The token was not accepted.' : 'This server needs a token.');
    if (t) res = await go();
  }
  return res;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string; message?: string };
    message = body.error ?? body.message ?? message;
  } catch {
    // not JSON: the status line says it
  }
  return new ApiError(res.status, message);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await authFetch(path, init);
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** A binary resource (PNG, report) as a Blob. */
export async function getBlob(path: string): Promise<Blob> {
  const res = await authFetch(path);
  if (!res.ok) throw await errorOf(res);
  return res.blob();
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const q = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return q.length ? `?${q.join('&')}` : '';
}

function form(fields: Record<string, string | number | undefined>, files: Record<string, File[]>): FormData {
  const f = new FormData();
  // Fields first: a streaming multipart parser sees them before the files.
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') f.append(k, String(v));
  for (const [k, list] of Object.entries(files)) for (const file of list) f.append(k, file, file.name);
  return f;
}

export interface JobAccepted {
  job: string;
}

export const api = {
  health: () => request<{ ok: boolean; version: string }>('GET', '/api/health'),

  jobs: (opts: { status?: JobStatus; kind?: string; limit?: number } = {}) =>
    request<{ jobs: JobInfo[] }>('GET', `/api/jobs${query(opts)}`).then((r) => r.jobs),
  job: (id: string) => request<JobInfo>('GET', `/api/jobs/${enc(id)}`),
  cancelJob: (id: string) => request<{ cancelled: boolean }>('POST', `/api/jobs/${enc(id)}/cancel`),

  cameras: () => request<{ cameras: CameraSummary[] }>('GET', '/api/cameras').then((r) => r.cameras),
  camera: (name: string) =>
    request<{ camera: CameraSummary; sources: ImageRecord[] }>('GET', `/api/cameras/${enc(name)}`),
  fingerprintPngPath: (name: string, view: 'tile' | 'spectrum') =>
    `/api/cameras/${enc(name)}/fingerprint.png?view=${view}`,
  buildFromUpload: (f: { camera: string; model?: string; device?: string }, images: File[]) =>
    request<JobAccepted>('POST', '/api/cameras', form(f, { images })),
  buildFromFolder: (f: { camera: string; model?: string; device?: string; folder: string }) =>
    request<JobAccepted>('POST', '/api/cameras', f),

  identify: (image: File, opts: { top?: number; model?: string }) =>
    request<IdentifyResult>('POST', '/api/identify', form(opts, { image: [image] })),
  inspect: (image: File) => request<InspectResult>('POST', '/api/inspect', form({}, { image: [image] })),

  folders: (path?: string) => request<FolderListing>('GET', `/api/folders${query({ path })}`),

  datasets: () => request<{ datasets: DatasetRecord[] }>('GET', '/api/datasets').then((r) => r.datasets),
  dataset: (name: string) =>
    request<{ dataset: DatasetRecord; perClass: PerClassCounts[] }>('GET', `/api/datasets/${enc(name)}`),
  examplesPngPath: (name: string, cls: string, n: number) =>
    `/api/datasets/${enc(name)}/examples.png${query({ class: cls, n })}`,
  createDataset: (body: {
    name: string;
    folder: string;
    input?: string;
    crop?: number;
    cropsPerImage?: number;
    split?: string;
    splitBy?: string;
    classesFrom?: string;
    only?: string;
    minImages?: number;
    maxImages?: number;
  }) => request<JobAccepted>('POST', '/api/datasets', body),

  networks: () => request<{ networks: NetworkInfo[] }>('GET', '/api/networks').then((r) => r.networks),
  models: () => request<{ models: ModelRecord[] }>('GET', '/api/models').then((r) => r.models),
  model: (name: string) =>
    request<{ model: ModelRecord }>('GET', `/api/models/${enc(name)}`).then((r) => r.model),
  createModel: (body: {
    name: string;
    dataset: string;
    network: string;
    epochs?: number;
    lr?: number;
    batch?: number;
    optimizer?: string;
    policy?: string;
    seed?: number;
  }) => request<JobAccepted>('POST', '/api/models', body),
  stopModel: (name: string) => request<{ stopped: boolean }>('POST', `/api/models/${enc(name)}/stop`),
  resumeModel: (name: string) => request<JobAccepted>('POST', `/api/models/${enc(name)}/resume`),
  evaluateModel: (name: string, split: string) =>
    request<JobAccepted>('POST', `/api/models/${enc(name)}/evaluate`, { split }),
  classify: (name: string, images: File[], top?: number) =>
    request<{ results: ClassifyResult[] }>(
      'POST',
      `/api/models/${enc(name)}/classify`,
      form({ top }, { images }),
    ).then((r) => r.results),

  cases: () => request<{ cases: CaseRecord[] }>('GET', '/api/cases').then((r) => r.cases),
  caseDetail: (name: string) =>
    request<{ case: CaseRecord; files: CaseFile[]; notes: CaseNote[]; matches: MatchRecord[] }>(
      'GET',
      `/api/cases/${enc(name)}`,
    ),
  createCase: (body: {
    name: string;
    title?: string;
    question?: string;
    examiner?: string;
    cameras?: string[];
  }) => request<{ case: CaseRecord }>('POST', '/api/cases', body).then((r) => r.case),
  addCaseFiles: (name: string, role: string, files: File[]) =>
    request<{ files: CaseFile[] }>('POST', `/api/cases/${enc(name)}/files`, form({ role }, { files })),
  addCaseNote: (name: string, text: string) =>
    request<{ note: CaseNote }>('POST', `/api/cases/${enc(name)}/notes`, { text }).then((r) => r.note),
  reportPath: (name: string, format: 'html' | 'pdf') => `/api/cases/${enc(name)}/report.${format}`,
};
