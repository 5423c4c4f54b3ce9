/**
 * The ground truth a clustering is scored against (`camprint cluster --truth`): which source took
 * each photo. Accepted forms:
 *   - a `camprint simulate` output: its folder or its cameras.json (each photo's camera, i.e.
 *     "<model>_<device>", is its source); photos it lists outside the clustered folder are ignored;
 *   - JSON: an object { "<photo>": "<source>", … } or an array [{ "file": …, "source": … }, …]
 *     ("label" or "camera" also name the source);
 *   - CSV: one "<photo>,<source>" per line (the last comma splits; an optional header line
 *     "file,source"; surrounding double quotes removed).
 * Photo paths are relative to the clustered folder (or absolute); a JSON or CSV truth that names a
 * photo not in the folder is an error.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { MANIFEST_FILE, type SimulationManifest } from '../sim/index.js';
import { scorePartition, type PairScores } from './metrics.js';

export interface Truth {
  /** The file read. */
  file: string;
  kind: 'simulate' | 'json' | 'csv';
  /** Source of each photo, by absolute path. */
  labels: Map<string, string>;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `${file}: cannot read ${what} (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`,
    );
  }
}

function fromManifest(file: string, doc: SimulationManifest): Truth {
  if (!Array.isArray(doc.cameras))
    throw new InputError(`${file}: a camprint simulate manifest without a "cameras" list`);
  const base = dirname(resolve(file));
  const labels = new Map<string, string>();
  for (const cam of doc.cameras) {
    for (const rel of [...(cam.flat ?? []), ...(cam.natural ?? [])])
      labels.set(resolve(base, rel), cam.camera);
  }
  return { file, kind: 'simulate', labels };
}

function add(
  labels: Map<string, string>,
  file: string,
  dir: string,
  photo: unknown,
  source: unknown,
  where: string,
): void {
  if (typeof photo !== 'string' || photo === '')
    throw new InputError(`${file}: expected a photo path ${where} but received ${JSON.stringify(photo)}`);
  if (typeof source !== 'string' && typeof source !== 'number')
    throw new InputError(
      `${file}: expected a source label (string or number) for ${photo} but received ${JSON.stringify(source)}`,
    );
  const key = resolve(dir, photo);
  const label = String(source);
  const before = labels.get(key);
  if (before !== undefined && before !== label)
    throw new InputError(`${file}: ${photo} is given two sources, ${before} and ${label}`);
  labels.set(key, label);
}

function fromJson(file: string, doc: unknown, dir: string): Truth {
  const labels = new Map<string, string>();
  if (Array.isArray(doc)) {
    doc.forEach((row: unknown, i) => {
      const r = (row ?? {}) as Record<string, unknown>;
      add(labels, file, dir, r.file ?? r.photo, r.source ?? r.label ?? r.camera, `in entry ${i}`);
    });
  } else if (doc && typeof doc === 'object') {
    for (const [photo, source] of Object.entries(doc)) add(labels, file, dir, photo, source, 'as a key');
  } else {
    throw new InputError(
      `${file}: expected a JSON object {"photo": "source"} or an array of {"file", "source"} but received ${typeof doc}`,
    );
  }
  return { file, kind: 'json', labels };
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
}

function fromCsv(file: string, text: string, dir: string): Truth {
  const labels = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cut = line.lastIndexOf(',');
    if (cut < 0)
      throw new InputError(
        `${file}: line ${i + 1}: expected "photo,source" but received ${JSON.stringify(line)}`,
      );
    const photo = unquote(line.slice(0, cut));
    const source = unquote(line.slice(cut + 1));
    if (i === 0 && /^(file|photo|path|image)$/i.test(photo) && /^(source|label|camera|class)$/i.test(source))
      return;
    if (source === '') throw new InputError(`${file}: line ${i + 1}: no source for ${photo}`);
    add(labels, file, dir, photo, source, `on line ${i + 1}`);
  });
  return { file, kind: 'csv', labels };
}

/**
 * Reads a ground truth (see the module comment) for photos under `dir`.
 * @param photos the photos found in `dir`: a JSON/CSV truth naming any other is an InputError
 */
export function readTruth(path: string, dir: string, photos: readonly string[]): Truth {
  let file = path;
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError(`${path}: cannot read the truth file (no such file or folder)`);
  }
  if (isDir) {
    file = join(path, MANIFEST_FILE);
    try {
      statSync(file);
    } catch {
      throw new InputError(
        `${path}: a folder given as truth must be a camprint simulate output (holding ${MANIFEST_FILE})`,
      );
    }
  }
  const text = readText(file, 'the truth file');
  let truth: Truth;
  const looksJson = /^\s*[[{]/.test(text) || extname(file).toLowerCase() === '.json';
  if (looksJson) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    truth =
      doc && typeof doc === 'object' && (doc as { format?: unknown }).format === 'camprint-sim/1'
        ? fromManifest(file, doc as SimulationManifest)
        : fromJson(file, doc, dir);
  } else {
    truth = fromCsv(file, text, dir);
  }
  if (truth.labels.size === 0) throw new InputError(`${file}: the truth names no photos`);
  if (truth.kind !== 'simulate') {
    const present = new Set(photos.map((p) => resolve(p)));
    const missing = [...truth.labels.keys()].filter((k) => !present.has(k));
    if (missing.length > 0)
      throw new InputError(
        `${file}: names ${missing.length} photo${missing.length > 1 ? 's' : ''} that ${missing.length > 1 ? 'are' : 'is'} not among the images in ${dir} (first: ${missing[0]})`,
      );
  }
  return truth;
}

export interface TruthScores extends PairScores {
  /** Clustered photos the truth has no source for (left out of the scores). */
  unlabelled: number;
}

/** Scores clustered photos (files[i] in cluster labels[i]) against the truth; unlabelled photos are left out. */
export function scoreAgainstTruth(
  files: readonly string[],
  labels: readonly number[],
  truth: Truth,
): TruthScores {
  const predicted: number[] = [];
  const actual: string[] = [];
  files.forEach((f, i) => {
    const t = truth.labels.get(resolve(f));
    if (t === undefined) return;
    predicted.push(labels[i]);
    actual.push(t);
  });
  return { ...scorePartition(predicted, actual), unlabelled: files.length - predicted.length };
}
