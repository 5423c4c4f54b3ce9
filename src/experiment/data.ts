/**
 * The experiment's photos: simulated into the results folder (`camprint simulate`) or found in a
 * folder, each with its class, device (unit) and kind (flat-field or natural), and its SHA-256.
 * The photos that make the data set are written as a list file for `createDataset`; the others
 * (flat-fields left out of the data set) stay available as PCE reference material.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { simulate, parseSize, type SimulateOptions } from '../sim/index.js';
import { listImages, sha256File } from '../image/index.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { ExperimentSpec } from './spec.js';
import { hashOf, type Steps } from './steps.js';

export type PhotoKind = 'flat' | 'natural';

/** One photo of the experiment's source. */
export interface SourcePhoto {
  /** Absolute path. */
  file: string;
  sha256: string;
  class: string;
  device: string;
  kind: PhotoKind;
  /** Whether it is in the data set (train/val/test); the others are reference material only. */
  inDataset: boolean;
}

export interface ExperimentData {
  /** The folder the photos are in. */
  root: string;
  photos: SourcePhoto[];
  /** The data set list file (path, class, split left empty, device). */
  list: string;
  /** SHA-256 over the sorted (path below root, class, device, kind, sha256, inDataset) rows. */
  hash: string;
  /** The simulate step's hash, or null for a folder. */
  simulateHash: string | null;
}

/** The `camprint simulate` options of a spec (the seed defaults to the spec's seed). */
export function simulateOptions(spec: ExperimentSpec, dir: string): SimulateOptions {
  const sim = spec.data.simulate!;
  const { width, height } = parseSize(sim.size);
  return {
    dir,
    models: sim.models,
    devices: sim.devices,
    images: sim.images,
    flat: sim.flat,
    width,
    height,
    seed: sim.seed ?? spec.seed,
    jpegQuality: sim.jpegQuality,
    hotPixels: sim.hotPixels,
    prnuScale: sim.prnuScale,
  };
}

/** The part of a `<Model>_<device>` folder name before the last "_" (the whole name without one). */
export function modelOf(device: string): string {
  const cut = device.lastIndexOf('_');
  return cut > 0 ? device.slice(0, cut) : device;
}

/**
 * Each image below `root` as (device, kind): `class-folders` reads `<device>/…/file` (kind flat
 * when a folder below the device is named flat), `kind-folders` reads `{flat,natural}/<device>/…`.
 */
export function scanFolder(
  root: string,
  layout: 'auto' | 'class-folders' | 'kind-folders',
): { file: string; device: string; kind: PhotoKind }[] {
  let subs: string[];
  try {
    subs = readdirSync(root).filter((n) => !n.startsWith('.') && statSync(join(root, n)).isDirectory());
  } catch {
    throw new InputError(`${root}: no such folder`);
  }
  if (subs.length === 0)
    throw new InputError(`${root}: no class folders (expected one sub-folder of photos per class)`);
  const kinds = subs.every((n) => n === 'flat' || n === 'natural');
  const mode = layout === 'auto' ? (kinds ? 'kind-folders' : 'class-folders') : layout;
  const out: { file: string; device: string; kind: PhotoKind }[] = [];
  for (const file of listImages([root])) {
    const parts = relative(root, file).split(sep);
    if (parts.length < 2) continue; // a photo loose in the root belongs to no class
    if (mode === 'kind-folders') {
      if (parts.length < 3 || (parts[0] !== 'flat' && parts[0] !== 'natural')) continue;
      out.push({ file, device: parts[1], kind: parts[0] });
    } else {
      out.push({ file, device: parts[0], kind: parts.slice(1, -1).includes('flat') ? 'flat' : 'natural' });
    }
  }
  return out;
}

/** SHA-256 of many files, a few at a time. */
async function hashFiles(files: readonly string[]): Promise<string[]> {
  const out = new Array<string>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      out[i] = await sha256File(files[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
  return out;
}

/**
 * Makes (simulate step) or finds the photos, assigns classes, writes `<out>/data/photos.tsv`.
 * @throws InputError when the folder is missing, has no photos, or fewer than two classes remain
 */
export async function prepareData(
  spec: ExperimentSpec,
  out: string,
  steps: Steps,
  onProgress?: (line: string) => void,
): Promise<ExperimentData> {
  let root: string;
  let simulateHash: string | null = null;
  if (spec.data.simulate) {
    root = join(out, 'data', 'sim');
    const opts = simulateOptions(spec, root);
    const { dir: _dir, ...config } = opts;
    void _dir;
    const r = await steps.run('simulate', config, async ({ stale }) => {
      if (stale || existsSync(root)) rmSync(root, { recursive: true, force: true });
      const t0 = performance.now();
      let last = 0;
      const res = await simulate(opts, (done, total) => {
        if (performance.now() - last > 10_000) {
          last = performance.now();
          onProgress?.(`simulate: ${done}/${total} photos`);
        }
      });
      return { cameras: res.cameras.length, seconds: (performance.now() - t0) / 1000 };
    });
    simulateHash = r.hash;
  } else {
    root = spec.data.folder!;
    if (!existsSync(root)) throw new InputError(`${spec.file}: data.folder: ${root}: no such folder`);
  }
  const found = scanFolder(root, spec.data.layout);
  const exclude = new Set(spec.data.exclude);
  const rows = found
    .map((p) => ({ ...p, class: spec.data.classes === 'model' ? modelOf(p.device) : p.device }))
    .filter((p) => !exclude.has(p.class) && !exclude.has(p.device));
  if (rows.length === 0) throw new InputError(`${root}: no photos found for the experiment`);
  const classes = new Set(rows.map((r) => r.class));
  if (classes.size < 2)
    throw new InputError(`${root}: ${classes.size} class found; an experiment needs at least two`);
  const sums = await hashFiles(rows.map((r) => r.file));
  const use = spec.data.use;
  const photos: SourcePhoto[] = rows.map((r, i) => ({
    file: resolve(r.file),
    sha256: sums[i],
    class: r.class,
    device: r.device,
    kind: r.kind,
    inDataset: use === 'all' || r.kind === use,
  }));
  const list = join(out, 'data', 'photos.tsv');
  const lines = photos.filter((p) => p.inDataset).map((p) => `${p.file}\t${p.class}\t\t${p.device}\n`);
  if (lines.length === 0) throw new InputError(`${root}: no ${use} photos found for the data set`);
  writeFileAtomic(list, lines.join(''));
  writeFileAtomic(join(out, 'data', 'sources.json'), JSON.stringify(photos, null, 1) + '\n');
  const hash = hashOf(
    photos.map((p) => [relative(root, p.file), p.class, p.device, p.kind, p.sha256, p.inDataset]),
  );
  return { root, photos, list, hash, simulateHash };
}
