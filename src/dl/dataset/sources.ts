/**
 * Which photos a data set is made of, and of which class and device: from a folder of class
 * folders (each immediate sub-folder is a class; images anywhere below it belong to it) or from a
 * list file. Then each photo's header is read, so that unreadable photos and photos smaller than
 * the crop are left out (with a warning) before the split is drawn.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { listImages, probeImage } from '../../image/index.js';
import { InputError } from '../../util/errors.js';
import { SPLITS, type ClassesFrom, type Only, type Split } from './options.js';

/** A photo found for the data set, before its header is read. */
export interface Candidate {
  /** Absolute path. */
  file: string;
  className: string;
  device: string;
  /** Fixed by a list file's third column; assigned by the split otherwise. */
  split?: Split;
}

/** A photo that can be used: its header read, large enough for the crop. */
export interface Photo extends Candidate {
  width: number;
  height: number;
}

export interface Skipped {
  file: string;
  reason: string;
}

/** Whether `file`'s folders (below `root`) pass the --only filter. */
function passesOnly(file: string, root: string, only: Only): boolean {
  if (only === 'all') return true;
  const folders = relative(root, dirname(file)).split(sep);
  return folders.includes(only);
}

/**
 * The class of a class folder: its name (folder, device) or, for `model`, the part before the
 * last "_" of a `camprint simulate` folder `<Model>_<device>` (the whole name when it has none).
 */
export function classOfFolder(name: string, classesFrom: ClassesFrom): string {
  if (classesFrom !== 'model') return name;
  const cut = name.lastIndexOf('_');
  return cut > 0 ? name.slice(0, cut) : name;
}

/**
 * The photos below each immediate sub-folder of `dir` (hidden folders and `exclude`d ones left
 * out), sorted by path. The device is the class folder's name.
 * @throws InputError when `dir` is missing or has no class folders
 */
export function candidatesFromFolders(
  dir: string,
  classesFrom: ClassesFrom,
  only: Only,
  exclude: readonly string[] = [],
): Candidate[] {
  const root = resolve(dir);
  let names: string[];
  try {
    if (!statSync(root).isDirectory()) throw new InputError(`${dir}: not a folder`);
    names = readdirSync(root).sort();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${dir}: no such folder`);
  }
  const folders = names.filter((n) => {
    if (n.startsWith('.')) return false;
    const p = join(root, n);
    try {
      return statSync(p).isDirectory() && !exclude.includes(p);
    } catch {
      return false; // a broken link or a vanished entry is not a class folder
    }
  });
  if (folders.length === 0)
    throw new InputError(`${dir}: no class folders (expected one sub-folder of images per class)`);
  const out: Candidate[] = [];
  for (const name of folders) {
    const folder = join(root, name);
    for (const file of listImages([folder])) {
      if (!passesOnly(file, folder, only)) continue;
      out.push({ file, className: classOfFolder(name, classesFrom), device: name });
    }
  }
  return out;
}

/**
 * The photos of a list file: `path<TAB>class[<TAB>split[<TAB>device]]` per line; relative paths
 * are relative to `base` (default: the list file's folder); the device defaults to the class.
 * @throws InputError naming the file and line of a malformed line
 */
export function candidatesFromList(list: string, only: Only, base = dirname(resolve(list))): Candidate[] {
  let text: string;
  try {
    text = readFileSync(list, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${list}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`);
  }
  const out: Candidate[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const cols = line.split('\t');
    const [path, className, split = '', device = ''] = cols.map((c) => c.trim());
    if (cols.length > 4 || !path || !className) {
      throw new InputError(
        `${list}:${i + 1}: expected path<TAB>class[<TAB>split[<TAB>device]] but got ${JSON.stringify(line)}`,
      );
    }
    if (split !== '' && !(SPLITS as readonly string[]).includes(split)) {
      throw new InputError(
        `${list}:${i + 1}: split must be train, val, test or empty, not ${JSON.stringify(split)}`,
      );
    }
    const file = isAbsolute(path) ? path : join(base, path);
    if (!passesOnly(file, base, only)) return;
    out.push({
      file,
      className,
      device: device || className,
      split: split === '' ? undefined : (split as Split),
    });
  });
  return out;
}

/**
 * Reads every candidate's header (a few at a time): unreadable photos, unsupported ones, photos
 * above `maxPixels` and photos smaller than the crop are returned as skipped, with the reason.
 */
export async function probeCandidates(
  candidates: readonly Candidate[],
  crop: number,
  maxPixels: number,
  onProgress?: (done: number, total: number) => void,
): Promise<{ photos: Photo[]; skipped: Skipped[] }> {
  const results: (Photo | Skipped)[] = new Array(candidates.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const i = next++;
      const c = candidates[i];
      try {
        const info = await probeImage(c.file, undefined, { maxPixels });
        results[i] =
          info.width < crop || info.height < crop
            ? {
                file: c.file,
                reason: `image ${info.width}×${info.height} is smaller than the ${crop}×${crop} crop`,
              }
            : { ...c, width: info.width, height: info.height };
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        results[i] = { file: c.file, reason: reasonOf(err, c.file) };
      }
      onProgress?.(++done, candidates.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, candidates.length) }, worker));
  const photos: Photo[] = [];
  const skipped: Skipped[] = [];
  for (const r of results) {
    if ('reason' in r) skipped.push(r);
    else photos.push(r);
  }
  return { photos, skipped };
}

/** An InputError's message without the leading "<file>: ". */
export function reasonOf(err: Error, file: string): string {
  return err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message;
}
