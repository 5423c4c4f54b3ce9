/**
 * The plan of a data set: its classes, which photos it uses and the split of each, and the order
 * they are written in. Everything is drawn from the seed and the sorted file names, so the same
 * photos and options give the same plan whatever order the folders were listed in.
 *
 * Splits (the percentages are of photos, per class, so every class is in every split):
 *   - by photo: each class's photos are shuffled and cut train | val | test by largest remainders,
 *     each split with a share above 0 getting at least one photo when the class has enough;
 *   - by device: per class, devices sorted by name; the last round(devices · test%) of them (at
 *     least 1, leaving at least 1) are the test split, whole units never seen in training; of the
 *     rest, when 2 or more remain the last round(devices · val%) (at least 1, leaving 1) are the
 *     val split, otherwise val photos are drawn (by photo) from the training devices. A class
 *     with one device is split by photo, with a warning. `testDevices` names the test devices
 *     instead; every other device is then train/val by the same rule.
 */
import { hashSeed, Rng } from '../../sim/prng.js';
import { InputError } from '../../util/errors.js';
import { SPLITS, type Split, type SplitBy, type SplitShares } from './options.js';
import type { Photo } from './sources.js';

/** A photo with its class index and split. */
export interface PlannedPhoto extends Photo {
  class: number;
  split: Split;
}

export interface Plan {
  classes: string[];
  /** Every photo to process: the train split, then val, then test, each in its seeded order. */
  order: PlannedPhoto[];
}

export interface PlanOptions {
  split: SplitShares;
  splitBy: SplitBy;
  testDevices?: string[];
  minImages: number;
  maxImages?: number;
  seed: number;
}

const byFile = (a: { file: string }, b: { file: string }): number =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : 0;

/**
 * Photo counts per split for n photos: largest remainders of n · share / 100, then every split
 * with a share above 0 given at least one photo, taken from the largest split that can spare one.
 */
export function allocate(n: number, shares: SplitShares): Record<Split, number> {
  const quota = SPLITS.map((s) => (n * shares[s]) / 100);
  const counts = quota.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = [0, 1, 2].sort((a, b) => quota[b] - counts[b] - (quota[a] - counts[a]) || a - b);
  for (const i of byRemainder) if (left-- > 0) counts[i]++;
  for (let i = 0; i < 3; i++) {
    if (shares[SPLITS[i]] > 0 && counts[i] === 0) {
      const donor = [0, 1, 2].filter((j) => counts[j] > 1).sort((a, b) => counts[b] - counts[a] || a - b)[0];
      if (donor !== undefined) {
        counts[donor]--;
        counts[i]++;
      }
    }
  }
  return { train: counts[0], val: counts[1], test: counts[2] };
}

/** Shuffles (seeded) photos sorted by file and deals them to splits by `allocate`. */
function splitByPhoto<T extends { file: string }>(
  photos: readonly T[],
  shares: SplitShares,
  rng: Rng,
): [T, Split][] {
  const shuffled = rng.shuffled([...photos].sort(byFile));
  const counts = allocate(shuffled.length, shares);
  return shuffled.map((p, i): [T, Split] => [
    p,
    i < counts.train ? 'train' : i < counts.train + counts.val ? 'val' : 'test',
  ]);
}

/** The class's photos dealt to splits by device (see the module comment). */
function splitByDevice(
  name: string,
  photos: readonly Photo[],
  o: PlanOptions,
  rng: Rng,
  warn: (line: string) => void,
): [Photo, Split][] {
  const devices = [...new Set(photos.map((p) => p.device))].sort();
  const nd = devices.length;
  let test: string[];
  if (o.testDevices) test = devices.filter((d) => o.testDevices!.includes(d));
  else if (nd < 2) {
    warn(`warning: class ${name} has one device (${devices[0]}); its photos are split by photo`);
    return splitByPhoto(photos, o.split, rng);
  } else {
    const nTest = o.split.test > 0 ? Math.min(nd - 1, Math.max(1, Math.round((nd * o.split.test) / 100))) : 0;
    test = devices.slice(nd - nTest);
  }
  const rest = devices.filter((d) => !test.includes(d));
  let val: string[] = [];
  if (o.split.val > 0 && rest.length >= 2) {
    const nVal = Math.min(rest.length - 1, Math.max(1, Math.round((nd * o.split.val) / 100)));
    val = rest.slice(rest.length - nVal);
  }
  const out: [Photo, Split][] = [];
  const trainPhotos: Photo[] = [];
  for (const p of photos) {
    if (test.includes(p.device)) out.push([p, 'test']);
    else if (val.includes(p.device)) out.push([p, 'val']);
    else trainPhotos.push(p);
  }
  if (o.split.val > 0 && val.length === 0) {
    // Too few devices for a val unit: val photos come from the training devices.
    const total = o.split.train + o.split.val;
    const shares = { train: (100 * o.split.train) / total, val: (100 * o.split.val) / total, test: 0 };
    out.push(...splitByPhoto(trainPhotos, shares, rng));
  } else out.push(...trainPhotos.map((p): [Photo, Split] => [p, 'train']));
  return out;
}

/**
 * Plans the data set (see the module comment).
 * @param where the folder or list file, for error messages
 * @throws InputError when fewer than two classes are left, a named test device does not exist, or
 *   a class has no photo for a split that should have some (naming the class and the split)
 */
export function planDataset(
  photos: readonly Photo[],
  o: PlanOptions,
  warn: (line: string) => void,
  where: string,
): Plan {
  const groups = new Map<string, Photo[]>();
  for (const p of photos) {
    const g = groups.get(p.className);
    if (g) g.push(p);
    else groups.set(p.className, [p]);
  }
  let names = [...groups.keys()].sort();
  names = names.filter((name) => {
    const n = groups.get(name)!.length;
    if (n >= o.minImages) return true;
    warn(
      `warning: class ${name} left out: ${n} usable photo${n === 1 ? '' : 's'}, fewer than --min-images ${o.minImages}`,
    );
    return false;
  });
  if (names.length === 0) throw new InputError(`${where}: no usable photos`);
  if (names.length === 1)
    throw new InputError(`${where}: only one class (${names[0]}); a data set needs at least two classes`);
  if (o.maxImages !== undefined) {
    for (const name of names) {
      const g = groups.get(name)!;
      if (g.length > o.maxImages) {
        const rng = new Rng(hashSeed(o.seed, 'max-images', name));
        groups.set(name, rng.shuffled([...g].sort(byFile)).slice(0, o.maxImages));
      }
    }
  }
  if (o.testDevices) {
    const known = new Set(names.flatMap((n) => groups.get(n)!.map((p) => p.device)));
    const missing = o.testDevices.filter((d) => !known.has(d));
    if (missing.length)
      throw new InputError(
        `${where}: no device named ${missing.join(', ')} (test devices must be among: ${[...known].sort().join(', ')})`,
      );
  }
  const bySplit: Record<Split, PlannedPhoto[]> = { train: [], val: [], test: [] };
  names.forEach((name, cls) => {
    const g = groups.get(name)!;
    const fixed = g.filter((p) => p.split !== undefined);
    const free = g.filter((p) => p.split === undefined);
    const rng = new Rng(hashSeed(o.seed, 'split', name));
    const dealt: [Photo, Split][] = [
      ...fixed.map((p): [Photo, Split] => [p, p.split!]),
      ...(o.splitBy === 'device'
        ? splitByDevice(name, free, o, rng, warn)
        : splitByPhoto(free, o.split, rng)),
    ];
    const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
    for (const [p, split] of dealt) {
      bySplit[split].push({ ...p, class: cls, split });
      counts[split]++;
    }
    for (const s of SPLITS) {
      const wanted = s === 'train' || o.split[s] > 0 || (s === 'test' && o.testDevices !== undefined);
      if (wanted && counts[s] === 0) {
        const why =
          s === 'test' && o.testDevices
            ? `none of its devices is among the test devices (${o.testDevices.join(', ')})`
            : `${g.length} usable photo${g.length === 1 ? '' : 's'} are too few for --split ${o.split.train}/${o.split.val}/${o.split.test}`;
        throw new InputError(`${where}: class ${name} would have no photos in the ${s} split: ${why}`);
      }
    }
  });
  const order = SPLITS.flatMap((s) =>
    new Rng(hashSeed(o.seed, 'order', s)).shuffled(bySplit[s].sort(byFile)),
  );
  return { classes: names, order };
}
