/**
 * `<ds>/manifest.json`, the data set's description (docs/dl-format.md): its schema, reading it
 * back (checked), writing it (atomically). While a build is under way it holds `complete: false`
 * and a `resume` record, which the finished manifest does not have.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { channelsOf, INPUT_KINDS } from './input.js';
import { SPLITS, SPLIT_BY } from './options.js';

export const MANIFEST_FILE = 'manifest.json';
export const DATASET_FORMAT = 'camprint-dataset/1';

const count = z.number().int().nonnegative();
const splitEnum = z.enum(SPLITS);

const Source = z.object({
  file: z.string(),
  sha256: z.string(),
  class: count,
  device: z.string(),
  split: splitEnum,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  crops: count,
});
export type Source = z.infer<typeof Source>;

const Shard = z.object({ x: z.string(), y: z.string(), src: z.string(), count });
export type Shard = z.infer<typeof Shard>;

/** Running per-channel moments of the train split (Chan et al.'s pairwise merge), float64. */
const Moments = z.object({ n: count, mean: z.array(z.number()), m2: z.array(z.number()) });
export type Moments = z.infer<typeof Moments>;

const Manifest = z.object({
  format: z.literal(DATASET_FORMAT),
  input: z.enum(INPUT_KINDS),
  channels: z.number().int().positive(),
  crop: z.number().int().positive(),
  classes: z.array(z.string()),
  splitBy: z.enum(SPLIT_BY),
  split: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  seed: count,
  normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
  sources: z.array(Source),
  shards: z.object({ train: z.array(Shard), val: z.array(Shard), test: z.array(Shard) }),
  /** Photos left out, and why (unreadable, corrupt, smaller than the crop). */
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })).default([]),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  complete: z.boolean(),
  /** Only while the build is under way: the next photo of the plan, and the train moments so far. */
  resume: z.object({ next: count, moments: Moments }).optional(),
});
export type Manifest = z.infer<typeof Manifest>;

/** Reads and checks a manifest.json; `name` is used in error messages. */
export function parseManifest(text: string, name: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${name}: not JSON (${(err as Error).message})`);
  }
  const r = Manifest.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : 'the document';
    throw new InputError(`${name}: not a ${DATASET_FORMAT} manifest (${where}: ${issue.message})`);
  }
  const m = r.data;
  if (m.channels !== channelsOf(m.input))
    throw new InputError(`${name}: input ${m.input} has ${channelsOf(m.input)} channels, not ${m.channels}`);
  const bad = m.sources.findIndex((s) => s.class >= m.classes.length);
  if (bad >= 0) throw new InputError(`${name}: sources.${bad}.class is not an index into classes`);
  return m;
}

/**
 * The manifest of the data set in folder `ds`, checked. A data set whose build is still under way
 * (or was interrupted) is refused unless `allowIncomplete`.
 */
export function readManifest(ds: string, opts: { allowIncomplete?: boolean } = {}): Manifest {
  const path = join(ds, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${ds}: not a camprint data set (no ${MANIFEST_FILE})`);
    throw new InputError(`${path}: cannot read (${code ?? String(err)})`);
  }
  const m = parseManifest(text, path);
  if (!m.complete && !opts.allowIncomplete) {
    throw new InputError(
      `${ds}: the data set is incomplete (its build was interrupted or is under way); run dataset create again with the same options to finish it`,
    );
  }
  return m;
}

/** The manifest as written: two-space JSON, a final newline. */
export function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

/** Writes `<ds>/manifest.json` atomically. */
export function writeManifest(ds: string, m: Manifest): void {
  writeFileAtomic(join(ds, MANIFEST_FILE), manifestText(m));
}
