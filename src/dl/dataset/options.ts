/**
 * The data set builder's options, checked once at the boundary (zod), in the house style:
 * "Expected an even integer from 16 to 8192 for crop but received 15 of type number".
 */
import { z } from 'zod';
import { expected, UsageError } from '../../util/errors.js';
import { DEFAULT_MAX_PIXELS } from '../../image/index.js';
import { RESIDUAL_DEFAULTS } from '../../prnu/index.js';
import { INPUT_KINDS, type InputKind } from './input.js';

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];
/** Percentages of photos per split (they sum to 100). */
export type SplitShares = Record<Split, number>;

export const CLASSES_FROM = ['folder', 'model', 'device'] as const;
export type ClassesFrom = (typeof CLASSES_FROM)[number];
export const ONLY = ['all', 'natural', 'flat'] as const;
export type Only = (typeof ONLY)[number];
export const SPLIT_BY = ['photo', 'device'] as const;
export type SplitBy = (typeof SPLIT_BY)[number];

/** Options of `createDataset` (and of `camprint dataset create`). */
export interface DatasetOptions {
  /** Folder of class folders (one immediate sub-folder per class). Needed unless `list` is given. */
  dir?: string;
  /**
   * A list file instead of (or as well as the root for) the class folders: one photo per line,
   * `path<TAB>class[<TAB>split[<TAB>device]]`; relative paths are relative to the list file's
   * folder; split is train, val, test or empty (assigned); blank lines and `#` comments skipped.
   */
  list?: string;
  /** The data set folder to write (created; an interrupted build there is resumed). */
  out: string;
  /** What the network sees (default residual-rgb). */
  input?: InputKind;
  /** Crop side in pixels, even (default 256). */
  crop?: number;
  /** Random crops per photo (default 16). */
  cropsPerImage?: number;
  /** Photo percentages per split, or "75/10/15" (the default). */
  split?: SplitShares | string;
  /** photo: split photos (stratified per class); device: whole devices to one split (default photo). */
  splitBy?: SplitBy;
  /** With splitBy device: these devices (full folder names) form the test split. */
  testDevices?: string[];
  /** How class folders name classes (default folder; model: the part before the last "_"). */
  classesFrom?: ClassesFrom;
  /** Keep only photos under a folder named natural (or flat) (default all). */
  only?: Only;
  /** Classes with fewer usable photos are left out (default 1). */
  minImages?: number;
  /** At most this many photos per class, a seeded random choice (default: all). */
  maxImages?: number;
  /** Seed of the split, the crop positions and the order (default 1). */
  seed?: number;
  /** Crops per shard file (default 2048); a shard ends at a photo boundary. */
  shardSize?: number;
  /** Residual parameters (defaults 4 and 5). */
  levels?: number;
  sigma?: number;
  /** Images above this many pixels are skipped (default 200 MP). */
  maxPixels?: number;
  /** Replace a data set already in `out` (else a different one there is an error). */
  overwrite?: boolean;
  /** Stops the build after the photo in hand; what is written so far can be resumed. */
  signal?: AbortSignal;
  /** Receives each warning line (skipped photos, dropped classes); default: stderr. */
  onWarning?: (line: string) => void;
}

export const DATASET_DEFAULTS = {
  input: 'residual-rgb',
  crop: 256,
  cropsPerImage: 16,
  split: { train: 75, val: 10, test: 15 },
  splitBy: 'photo',
  classesFrom: 'folder',
  only: 'all',
  minImages: 1,
  seed: 1,
  shardSize: 2048,
  levels: RESIDUAL_DEFAULTS.levels,
  sigma: RESIDUAL_DEFAULTS.sigma,
  maxPixels: DEFAULT_MAX_PIXELS,
} as const;

/** Options with every default filled in. */
export interface ResolvedOptions {
  dir?: string;
  list?: string;
  out: string;
  input: InputKind;
  crop: number;
  cropsPerImage: number;
  split: SplitShares;
  splitBy: SplitBy;
  testDevices?: string[];
  classesFrom: ClassesFrom;
  only: Only;
  minImages: number;
  maxImages?: number;
  seed: number;
  shardSize: number;
  levels: number;
  sigma: number;
  maxPixels: number;
  overwrite: boolean;
  signal?: AbortSignal;
  onWarning: (line: string) => void;
}

/**
 * Parses "75/10/15" (train/val/test percentages, non-negative, summing to 100, train above 0).
 * @param name the option's name for the error message
 */
export function parseSplit(text: string, name = 'split'): SplitShares {
  const parts = typeof text === 'string' ? text.split('/').map((s) => s.trim()) : [];
  const nums = parts.map(Number);
  if (
    parts.length !== 3 ||
    parts.some((p) => !/^\d+(\.\d+)?$/.test(p)) ||
    Math.abs(nums[0] + nums[1] + nums[2] - 100) > 1e-9 ||
    nums[0] <= 0
  ) {
    throw new UsageError(
      expected('train/val/test percentages summing to 100, train above 0 (e.g. 75/10/15)', name, text),
    );
  }
  return { train: nums[0], val: nums[1], test: nums[2] };
}

/** An integer in [min, max] or a UsageError in the house style. */
function int(name: string, value: unknown, min: number, max: number, what?: string): number {
  const r = z.number().int().min(min).max(max).safeParse(value);
  if (!r.success) throw new UsageError(expected(what ?? `an integer from ${min} to ${max}`, name, value));
  return r.data;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new UsageError(expected(`one of ${allowed.join(', ')}`, name, value));
  return value as T;
}

/** Checks every option and fills in the defaults. Throws UsageError naming the option. */
export function validateDatasetOptions(opts: DatasetOptions): ResolvedOptions {
  const d = DATASET_DEFAULTS;
  if (typeof opts !== 'object' || opts === null)
    throw new UsageError(expected('an options object', 'options', opts));
  if (typeof opts.out !== 'string' || opts.out.length === 0)
    throw new UsageError(expected('a folder path', 'out', opts.out));
  if (opts.dir !== undefined && (typeof opts.dir !== 'string' || opts.dir.length === 0))
    throw new UsageError(expected('a folder path', 'dir', opts.dir));
  if (opts.list !== undefined && (typeof opts.list !== 'string' || opts.list.length === 0))
    throw new UsageError(expected('a file path', 'list', opts.list));
  if (opts.dir === undefined && opts.list === undefined)
    throw new UsageError(
      'Expected a folder of class folders (dir) or a list file (list) but received neither',
    );
  const crop = opts.crop ?? d.crop;
  if (!Number.isInteger(crop) || crop < 16 || crop > 8192 || crop % 2 !== 0)
    throw new UsageError(expected('an even integer from 16 to 8192', 'crop', crop));
  const split =
    opts.split === undefined
      ? { ...d.split }
      : typeof opts.split === 'string'
        ? parseSplit(opts.split)
        : parseSplit(`${opts.split.train}/${opts.split.val}/${opts.split.test}`);
  const splitBy = oneOf('splitBy', opts.splitBy ?? d.splitBy, SPLIT_BY);
  let testDevices: string[] | undefined;
  if (opts.testDevices !== undefined) {
    const r = z.array(z.string().min(1)).min(1).safeParse(opts.testDevices);
    if (!r.success)
      throw new UsageError(expected('a non-empty list of device names', 'testDevices', opts.testDevices));
    if (splitBy !== 'device') throw new UsageError('testDevices needs splitBy device');
    testDevices = [...new Set(r.data)].sort();
  }
  const minImages = int(
    'minImages',
    opts.minImages ?? d.minImages,
    1,
    Number.MAX_SAFE_INTEGER,
    'a positive integer',
  );
  const maxImages =
    opts.maxImages === undefined
      ? undefined
      : int('maxImages', opts.maxImages, 1, Number.MAX_SAFE_INTEGER, 'a positive integer');
  if (maxImages !== undefined && maxImages < minImages)
    throw new UsageError(expected(`an integer of at least minImages (${minImages})`, 'maxImages', maxImages));
  const sigma = opts.sigma ?? d.sigma;
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma <= 0)
    throw new UsageError(expected('a positive number', 'sigma', sigma));
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw new UsageError(expected('AbortSignal', 'signal', opts.signal));
  if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function')
    throw new UsageError(expected('a function', 'onWarning', opts.onWarning));
  return {
    dir: opts.dir,
    list: opts.list,
    out: opts.out,
    input: oneOf('input', opts.input ?? d.input, INPUT_KINDS),
    crop,
    cropsPerImage: int(
      'cropsPerImage',
      opts.cropsPerImage ?? d.cropsPerImage,
      1,
      100_000,
      'a positive integer',
    ),
    split,
    splitBy,
    testDevices,
    classesFrom: oneOf('classesFrom', opts.classesFrom ?? d.classesFrom, CLASSES_FROM),
    only: oneOf('only', opts.only ?? d.only, ONLY),
    minImages,
    maxImages,
    seed: int('seed', opts.seed ?? d.seed, 0, Number.MAX_SAFE_INTEGER, 'a non-negative integer'),
    shardSize: int('shardSize', opts.shardSize ?? d.shardSize, 1, 10_000_000, 'a positive integer'),
    levels: int('levels', opts.levels ?? d.levels, 1, 10),
    sigma,
    maxPixels: int(
      'maxPixels',
      opts.maxPixels ?? d.maxPixels,
      1,
      Number.MAX_SAFE_INTEGER,
      'a positive integer',
    ),
    overwrite: Boolean(opts.overwrite),
    signal: opts.signal,
    onWarning: opts.onWarning ?? ((line) => process.stderr.write(line + '\n')),
  };
}
