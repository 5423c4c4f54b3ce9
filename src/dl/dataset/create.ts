/**
 * Building a data set (docs/dl-format.md): plan the photos and their splits, then stream them
 * through the worker pool (decode → input → random even-offset crops → float16), a few photos in
 * flight, and write the crops in plan order into shards of about `shardSize` crops. Memory stays
 * at the photos in flight plus one shard's labels: the crops go straight to disk.
 *
 * Every write is atomic (temporary file + rename); the manifest, rewritten after each shard with
 * `complete: false`, is the commit point. A build that stops (interrupted, killed, aborted)
 * resumes from its last complete shard when run again with the same options, and gives the same
 * bytes as one that never stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../util/errors.js';
import { NpyRowWriter, writeNpy } from '../../util/npy.js';
import { runCrops, threadCount, type CropsResult } from '../../pool/index.js';
import { channelsOf } from './input.js';
import {
  DATASET_FORMAT,
  MANIFEST_FILE,
  manifestText,
  parseManifest,
  writeManifest,
  type Manifest,
  type Moments,
  type Shard,
  type Source,
} from './manifest.js';
import { emptyMoments, mergeMoments, normalisationOf } from './moments.js';
import {
  SPLITS,
  validateDatasetOptions,
  type DatasetOptions,
  type ResolvedOptions,
  type Split,
} from './options.js';
import {
  candidatesFromFolders,
  candidatesFromList,
  probeCandidates,
  reasonOf,
  type Skipped,
} from './sources.js';
import { planDataset, type Plan, type PlannedPhoto } from './split.js';

export interface DatasetProgress {
  /** scan: reading the photos' headers; crops: making the crops. */
  phase: 'scan' | 'crops';
  /** Photos done (in a resumed build, counting those done before) and in all. */
  done: number;
  total: number;
  file?: string;
  /** Crops written so far, and shard files complete. */
  crops: number;
  shards: number;
}

export interface SplitCounts {
  train: number;
  val: number;
  test: number;
}

export interface DatasetSummary {
  /** The data set folder, absolute. */
  dataset: string;
  classes: string[];
  input: Manifest['input'];
  crop: number;
  /** What the build was made with (split, seed, crops per image, residual parameters, …). */
  params: Record<string, unknown>;
  /** Crops per split. */
  crops: SplitCounts;
  /** Photos per split. */
  images: SplitCounts;
  /** Photos left out (unreadable, corrupt, smaller than the crop). */
  skipped: number;
  /** Whether an earlier, unfinished build was continued (or was already complete). */
  resumed: boolean;
  seconds: number;
  /** Crops made by this run (0 when the data set was already complete). */
  cropsMade: number;
  /** Crops made by this run per second (0 when there was nothing to do). */
  cropsPerSecond: number;
  /** SHA-256 of manifest.json. */
  manifestSha256: string;
}

/** Everything that decides the data set's bytes; a build resumes only when these are equal. */
function buildKey(
  o: ResolvedOptions,
): Pick<Manifest, 'input' | 'crop' | 'splitBy' | 'split' | 'seed' | 'params'> {
  return {
    input: o.input,
    crop: o.crop,
    splitBy: o.splitBy,
    split: { ...o.split },
    seed: o.seed,
    params: {
      cropsPerImage: o.cropsPerImage,
      levels: o.levels,
      sigma: o.sigma,
      shardSize: o.shardSize,
      classesFrom: o.classesFrom,
      only: o.only,
      minImages: o.minImages,
      maxImages: o.maxImages ?? null,
      testDevices: o.testDevices ?? null,
      maxPixels: o.maxPixels,
      dir: o.dir === undefined ? null : resolve(o.dir),
      list: o.list === undefined ? null : resolve(o.list),
    },
  };
}

/** "crop 64 (now 128), seed 1 (now 2)": how a stored build's key differs from the options'. */
function keyDifference(m: Manifest, key: ReturnType<typeof buildKey>): string {
  const flat = (k: ReturnType<typeof buildKey>): Record<string, unknown> => ({
    input: k.input,
    crop: k.crop,
    splitBy: k.splitBy,
    split: `${k.split.train}/${k.split.val}/${k.split.test}`,
    seed: k.seed,
    ...k.params,
  });
  const a = flat(m);
  const b = flat(key);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${JSON.stringify(a[k] ?? null)} (now ${JSON.stringify(b[k] ?? null)})`)
    .join(', ');
}

const OUR_FILE = /^((train|val|test)-\d+\.(x|y|src)\.npy|manifest\.json)(\.tmp-.*)?$/;
const TEMP_FILE = /\.tmp-[^/]*$/;

/** What `out` holds now: nothing (absent or empty), or a data set (its manifest, maybe unreadable). */
function inspectOut(out: string): { manifest?: Manifest; unreadable?: string } {
  if (!existsSync(out)) return {};
  let names: string[];
  try {
    names = readdirSync(out);
  } catch {
    throw new InputError(`${out}: not a folder`);
  }
  if (names.includes(MANIFEST_FILE)) {
    const path = join(out, MANIFEST_FILE);
    try {
      return { manifest: parseManifest(readFileSync(path, 'utf8'), path) };
    } catch (err) {
      if (err instanceof InputError) return { unreadable: err.message };
      throw err;
    }
  }
  if (names.some((n) => !(OUR_FILE.test(n) && TEMP_FILE.test(n))))
    throw new InputError(
      `${out}: the folder is not empty and holds no data set; choose a new or empty --out`,
    );
  return {};
}

/** Removes the data set's own files from `out` (all of them, or only the temporaries). */
function clearOut(out: string, tempOnly: boolean): void {
  if (!existsSync(out)) return;
  for (const n of readdirSync(out)) {
    if (OUR_FILE.test(n) && (!tempOnly || TEMP_FILE.test(n))) rmSync(join(out, n), { force: true });
  }
}

/** Crops and photos per split of a manifest, for the summary. */
function countsOf(m: Manifest): { crops: SplitCounts; images: SplitCounts } {
  const crops = { train: 0, val: 0, test: 0 };
  const images = { train: 0, val: 0, test: 0 };
  for (const s of SPLITS) crops[s] = m.shards[s].reduce((a, sh) => a + sh.count, 0);
  for (const src of m.sources) images[src.split]++;
  return { crops, images };
}

/** The shard being written: crops streamed to disk, labels and sources kept until it closes. */
interface OpenShard {
  split: Split;
  name: string;
  x: NpyRowWriter;
  y: number[];
  src: number[];
}

/**
 * Builds (or resumes, or finds complete) the data set `opts.out` (see the module comment).
 * @param onProgress called as headers are read (phase scan) and after each photo (phase crops)
 * @throws UsageError for bad options; InputError (one line naming the folder, file or class) when
 *   there are no class folders, fewer than two classes, a split would be empty, or `out` holds
 *   something else; the signal's reason (an AbortError) when aborted
 */
export async function createDataset(
  opts: DatasetOptions,
  onProgress?: (p: DatasetProgress) => void,
): Promise<DatasetSummary> {
  const t0 = performance.now();
  const o = validateDatasetOptions(opts);
  const out = resolve(o.out);
  const where = o.list ?? o.dir!;
  const key = buildKey(o);
  const warn = o.onWarning;
  o.signal?.throwIfAborted();

  // 1. What is there already: a finished or unfinished build of these options, or something else.
  const existing = inspectOut(out);
  if (!o.overwrite) {
    if (existing.unreadable)
      throw new InputError(`${existing.unreadable}; choose a new --out or pass --overwrite`);
    if (existing.manifest) {
      const diff = keyDifference(existing.manifest, key);
      if (diff)
        throw new InputError(
          `${out}: holds a data set built with other options (${diff}); choose a new --out or pass --overwrite`,
        );
      if (existing.manifest.complete) return summaryOf(out, existing.manifest, true, t0, 0);
    }
  }
  const previous = o.overwrite ? undefined : existing.manifest;

  // 2. The plan: classes, usable photos, splits, order.
  const candidates = o.list
    ? candidatesFromList(o.list, o.only, o.dir === undefined ? undefined : resolve(o.dir))
    : candidatesFromFolders(o.dir!, o.classesFrom, o.only, [out]);
  const probed = await probeCandidates(candidates, o.crop, o.maxPixels, (done, total) =>
    onProgress?.({ phase: 'scan', done, total, crops: 0, shards: 0 }),
  );
  for (const s of probed.skipped) warn(`warning: skipped ${s.file}: ${s.reason}`);
  const plan = planDataset(probed.photos, o, warn, where);
  o.signal?.throwIfAborted();

  // 3. The folder: cleared (overwrite), tidied (resume) or created, and the manifest begun.
  if (o.overwrite) clearOut(out, false);
  else clearOut(out, true);
  mkdirSync(out, { recursive: true });
  const channels = channelsOf(o.input);
  let manifest: Manifest;
  let next: number;
  let moments: Moments;
  if (previous) {
    checkResumable(out, previous, plan);
    manifest = previous;
    next = previous.resume!.next;
    moments = previous.resume!.moments;
  } else {
    next = 0;
    moments = emptyMoments(channels);
    manifest = {
      format: DATASET_FORMAT,
      input: key.input,
      channels,
      crop: key.crop,
      classes: plan.classes,
      splitBy: key.splitBy,
      split: key.split,
      seed: key.seed,
      normalisation: normalisationOf(moments),
      sources: [],
      shards: { train: [], val: [], test: [] },
      skipped: probed.skipped,
      params: key.params,
      createdAt: new Date().toISOString(),
      complete: false,
      resume: { next, moments },
    };
    writeManifest(out, manifest);
  }

  // 4. The photos, through the pool, in plan order.
  const total = plan.order.length;
  const maxRows = Math.max(o.shardSize, o.cropsPerImage);
  let shard: OpenShard | undefined;
  let written = SPLITS.reduce((a, s) => a + countsOf(manifest).crops[s], 0);
  let cropsThisRun = 0;
  const shardCount = (): number => SPLITS.reduce((a, s) => a + manifest.shards[s].length, 0);

  const openShard = (split: Split): OpenShard => {
    const name = `${split}-${String(manifest.shards[split].length).padStart(3, '0')}`;
    const x = new NpyRowWriter(join(out, `${name}.x.npy`), '<f2', [channels, o.crop, o.crop], maxRows);
    return { split, name, x, y: [], src: [] };
  };
  /** Closes the open shard and commits it (and the photos before plan index `upTo`) to the manifest. */
  const closeShard = async (upTo: number): Promise<void> => {
    const s = shard!;
    shard = undefined;
    s.x.close();
    const entry: Shard = {
      x: `${s.name}.x.npy`,
      y: `${s.name}.y.npy`,
      src: `${s.name}.src.npy`,
      count: s.y.length,
    };
    await writeNpy(join(out, entry.y), { dtype: '<i2', shape: [s.y.length], data: Int16Array.from(s.y) });
    await writeNpy(join(out, entry.src), {
      dtype: '<i4',
      shape: [s.src.length],
      data: Int32Array.from(s.src),
    });
    manifest.shards[s.split].push(entry);
    manifest.normalisation = normalisationOf(moments);
    manifest.resume = { next: upTo, moments };
    writeManifest(out, manifest);
  };

  type Outcome = { result: CropsResult } | { error: Error };
  const inFlight: { photo: PlannedPhoto; outcome: Promise<Outcome> }[] = [];
  let launched = next;
  const window = threadCount() + 2;
  const fill = (): void => {
    while (inFlight.length < window && launched < total) {
      const photo = plan.order[launched++];
      const outcome = runCrops({
        file: photo.file,
        input: o.input,
        crop: o.crop,
        count: o.cropsPerImage,
        seed: o.seed,
        options: { levels: o.levels, sigma: o.sigma },
        maxPixels: o.maxPixels,
      }).then(
        (result): Outcome => ({ result }),
        (error: Error): Outcome => ({ error }),
      );
      inFlight.push({ photo, outcome });
    }
  };

  try {
    for (let i = next; i < total; i++) {
      o.signal?.throwIfAborted();
      fill();
      const { photo, outcome } = inFlight.shift()!;
      const got = await outcome;
      if (shard && shard.split !== photo.split) await closeShard(i);
      if ('error' in got) {
        if (!(got.error instanceof InputError)) throw got.error;
        const skip: Skipped = { file: photo.file, reason: reasonOf(got.error, photo.file) };
        warn(`warning: skipped ${skip.file}: ${skip.reason}`);
        manifest.skipped.push(skip);
      } else {
        const r = got.result;
        if (shard && shard.y.length + r.count > o.shardSize) await closeShard(i);
        shard ??= openShard(photo.split);
        const index = manifest.sources.length;
        const source: Source = {
          file: photo.file,
          sha256: r.sha256,
          class: photo.class,
          device: photo.device,
          split: photo.split,
          width: r.width,
          height: r.height,
          crops: r.count,
        };
        manifest.sources.push(source);
        shard.x.append(r.x);
        for (let k = 0; k < r.count; k++) {
          shard.y.push(photo.class);
          shard.src.push(index);
        }
        if (photo.split === 'train') moments = mergeMoments(moments, r.n, r.mean, r.m2);
        written += r.count;
        cropsThisRun += r.count;
      }
      onProgress?.({
        phase: 'crops',
        done: i + 1,
        total,
        file: photo.file,
        crops: written,
        shards: shardCount(),
      });
    }
    if (shard) await closeShard(total);
  } catch (err) {
    shard?.x.discard();
    // Let the photos in flight finish (their results are dropped) before reporting.
    await Promise.all(inFlight.map((f) => f.outcome));
    throw err;
  }

  // 5. Every class must still be in every split it was planned for (photos may have been skipped).
  checkSplitsFilled(where, plan, manifest);
  manifest.normalisation = normalisationOf(moments);
  manifest.complete = true;
  delete manifest.resume;
  writeManifest(out, manifest);
  return summaryOf(out, manifest, previous !== undefined, t0, cropsThisRun);
}

/** The unfinished build in `out` must be the start of this plan (the photos may have changed). */
function checkResumable(out: string, m: Manifest, plan: Plan): void {
  const fail = (why: string): never => {
    throw new InputError(
      `${out}: cannot resume the unfinished build: ${why}; choose a new --out or pass --overwrite`,
    );
  };
  if (!m.resume || m.resume.next > plan.order.length) fail('its manifest has no valid resume point');
  if (m.classes.join('\u0000') !== plan.classes.join('\u0000'))
    fail(`the classes changed (${m.classes.join(', ')} before, ${plan.classes.join(', ')} now)`);
  const skipped = new Set(m.skipped.map((s) => s.file));
  const done = plan.order.slice(0, m.resume!.next).filter((p) => !skipped.has(p.file));
  const same =
    done.length === m.sources.length &&
    done.every((p, i) => p.file === m.sources[i].file && p.split === m.sources[i].split);
  if (!same) fail('the photos or their splits changed since it began');
}

/** Every (class, split) with planned photos must have kept at least one. */
function checkSplitsFilled(where: string, plan: Plan, m: Manifest): void {
  const key = (c: number, s: Split): string => `${c}/${s}`;
  const have = new Set(m.sources.map((s) => key(s.class, s.split)));
  for (const p of plan.order) {
    if (!have.has(key(p.class, p.split))) {
      throw new InputError(
        `${where}: class ${plan.classes[p.class]} has no photos left in the ${p.split} split: every photo planned for it was skipped`,
      );
    }
  }
}

function summaryOf(out: string, m: Manifest, resumed: boolean, t0: number, made: number): DatasetSummary {
  const seconds = (performance.now() - t0) / 1000;
  const { crops, images } = countsOf(m);
  return {
    dataset: out,
    classes: m.classes,
    input: m.input,
    crop: m.crop,
    params: { split: m.split, splitBy: m.splitBy, seed: m.seed, ...m.params },
    crops,
    images,
    skipped: m.skipped.length,
    resumed,
    seconds,
    cropsMade: made,
    cropsPerSecond: made > 0 && seconds > 0 ? made / seconds : 0,
    manifestSha256: createHash('sha256').update(manifestText(m)).digest('hex'),
  };
}
