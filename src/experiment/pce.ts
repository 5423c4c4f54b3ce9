/**
 * The PCE method through the PRNU services: each class's fingerprint from its reference photos
 * (services buildFingerprint), then every validation and test photo of the data set matched
 * against every class's fingerprint (services matchFile: one residual, one PCE per class). The
 * photo is given to the class of highest PCE; top-5 follows the PCE order. The splits are the
 * data set's, so the CNN and PCE are scored on the same test photos.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFingerprint, matchFile, type CandidateFingerprint } from '../services/index.js';
import { probeImage } from '../image/index.js';
import { readNpy, writeNpy } from '../util/npy.js';
import { writeFileAtomic } from '../util/atomic.js';
import { InputError } from '../util/errors.js';
import type { Manifest } from '../dl/dataset/index.js';
import type { ExperimentSpec } from './spec.js';
import type { SourcePhoto } from './data.js';
import { hashOf, type Steps } from './steps.js';

export interface FingerprintInfo {
  class: string;
  file: string;
  width: number;
  height: number;
  images: number;
  /** flat, natural or mixed: what the reference photos were. */
  reference: string;
  meanPce: number | null;
  minPce: number | null;
  /** Reference photos left out because their size differs from the others'. */
  leftOut: number;
}

/**
 * The reference photos of each class: the class's training-split photos, plus the flat-fields of
 * its training units that are not in the data set; with `auto`, only the flat-fields when there
 * are any. Never a validation or test photo, never a photo of a test-only unit.
 */
export function referencePhotos(
  spec: ExperimentSpec,
  manifest: Manifest,
  photos: readonly SourcePhoto[],
): { class: string; files: string[]; kind: string }[] {
  const byFile = new Map(photos.map((p) => [p.file, p]));
  const evalDevices = new Set(manifest.sources.filter((s) => s.split !== 'train').map((s) => s.device));
  const trainDevices = new Set(manifest.sources.filter((s) => s.split === 'train').map((s) => s.device));
  return manifest.classes.map((cls, c) => {
    const train = manifest.sources.filter((s) => s.class === c && s.split === 'train').map((s) => s.file);
    // Flat-fields outside the data set, of units that have training photos. With a device split,
    // a unit held out for val/test is never a reference.
    const extra = photos
      .filter(
        (p) =>
          p.class === cls &&
          !p.inDataset &&
          p.kind === 'flat' &&
          trainDevices.has(p.device) &&
          (manifest.splitBy === 'photo' || !evalDevices.has(p.device)),
      )
      .map((p) => p.file);
    const all = [...new Set([...train, ...extra])].sort();
    const flats = all.filter((f) => byFile.get(f)?.kind === 'flat');
    const mode = spec.pce.reference;
    let files = mode === 'flat' || (mode === 'auto' && flats.length > 0) ? flats : all;
    if (mode === 'flat' && files.length === 0)
      throw new InputError(`${spec.file}: pce.reference: class ${cls} has no flat-field photos`);
    if (spec.pce.maxImages > 0) files = files.slice(0, spec.pce.maxImages);
    const kinds = new Set(files.map((f) => byFile.get(f)?.kind ?? 'natural'));
    return { class: cls, files, kind: kinds.size === 1 ? [...kinds][0] : 'mixed' };
  });
}

/** Builds each class's fingerprint (a step per class) into `<out>/pce/fingerprints/`. */
export async function fingerprintSteps(
  spec: ExperimentSpec,
  manifest: Manifest,
  photos: readonly SourcePhoto[],
  out: string,
  steps: Steps,
  log: (line: string) => void,
): Promise<{ infos: FingerprintInfo[]; hash: string }> {
  const refs = referencePhotos(spec, manifest, photos);
  const sha = new Map(photos.map((p) => [p.file, p.sha256]));
  const levels = spec.dataset.levels;
  const sigma = spec.dataset.sigma;
  const infos: FingerprintInfo[] = [];
  const hashes: string[] = [];
  for (const [c, ref] of refs.entries()) {
    if (ref.files.length === 0)
      throw new InputError(`${spec.file}: class ${ref.class} has no photos to build a fingerprint from`);
    const file = join(out, 'pce', 'fingerprints', `${String(c).padStart(3, '0')}.npy`);
    const config = {
      class: ref.class,
      files: ref.files.map((f) => [f, sha.get(f) ?? null]),
      levels: levels ?? null,
      sigma: sigma ?? null,
    };
    const r = await steps.run(`fingerprint-${String(c).padStart(3, '0')}`, config, async () => {
      // Every reference photo must have one size: keep the commonest (a rotated shot is left out).
      const sizes = new Map<string, string[]>();
      for (const f of ref.files) {
        const info = await probeImage(f);
        const key = `${info.width}x${info.height}`;
        sizes.set(key, [...(sizes.get(key) ?? []), f]);
      }
      const files = [...sizes.values()].sort((a, b) => b.length - a.length)[0];
      const built = await buildFingerprint(files, { levels, sigma });
      await writeNpy(file, { dtype: '<f4', shape: [built.height, built.width], data: built.fingerprint });
      return {
        class: ref.class,
        file,
        width: built.width,
        height: built.height,
        images: files.length,
        reference: ref.kind,
        meanPce: built.quality.meanPce,
        minPce: built.quality.minPce,
        leftOut: ref.files.length - files.length,
      } satisfies FingerprintInfo;
    });
    log(`fingerprint ${ref.class}: ${r.output.images} ${r.output.reference} photos`);
    infos.push(r.output);
    hashes.push(r.hash);
  }
  return { infos, hash: hashOf(hashes) };
}

/** One photo matched against every class. */
export interface PhotoPce {
  src: number;
  /** PCE per class (null: not comparable, e.g. another resolution). */
  pce: (number | null)[];
  log10PFalseAlarm: (number | null)[];
  seconds: number;
}

export interface PceOutput {
  val: PhotoPce[];
  test: PhotoPce[];
}

/**
 * Matches the validation (when wanted) and test photos against every class fingerprint. Progress
 * is kept in `<out>/pce/matches.partial.json` (atomically, every few photos), so a killed run
 * continues where it stopped.
 */
export async function matchStep(
  spec: ExperimentSpec,
  manifest: Manifest,
  fingerprints: { infos: FingerprintInfo[]; hash: string },
  withVal: boolean,
  out: string,
  steps: Steps,
  log: (line: string) => void,
): Promise<{ output: PceOutput; hash: string }> {
  const wanted = manifest.sources
    .map((s, src) => ({ s, src }))
    .filter(({ s }) => s.split === 'test' || (withVal && s.split === 'val'));
  const opts = {
    threshold: spec.pce.threshold,
    rotations: spec.pce.rotations,
    maxShift: spec.pce.maxShift,
    levels: spec.dataset.levels,
    sigma: spec.dataset.sigma,
  };
  const config = {
    fingerprints: fingerprints.hash,
    photos: wanted.map(({ s, src }) => [src, s.sha256, s.split]),
    opts,
  };
  const r = await steps.run('pce', config, async ({ hash }) => {
    const partialPath = join(out, 'pce', 'matches.partial.json');
    const done = new Map<number, PhotoPce>();
    if (existsSync(partialPath)) {
      try {
        const p = JSON.parse(readFileSync(partialPath, 'utf8')) as { hash: string; photos: PhotoPce[] };
        if (p.hash === hash) for (const ph of p.photos) done.set(ph.src, ph);
      } catch {
        // torn or foreign: start over
      }
      if (done.size) log(`pce: resuming after ${done.size} of ${wanted.length} photos`);
    }
    const candidates: CandidateFingerprint[] = fingerprints.infos.map((f) => {
      const a = readNpy(f.file);
      return { camera: f.class, width: a.shape[1], height: a.shape[0], data: a.data as Float32Array };
    });
    const todo = wanted.filter(({ src }) => !done.has(src));
    let sinceSave = 0;
    let last = performance.now();
    const save = () =>
      writeFileAtomic(partialPath, JSON.stringify({ hash, photos: [...done.values()] }) + '\n');
    // Two photos in flight: each one's residual is split over the pool, the PCEs run here.
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const { s, src } = todo[next++];
        const rep = await matchFile(s.file, candidates, opts);
        done.set(src, {
          src,
          pce: rep.results.map((m) => (m.comparable ? m.pce : null)),
          log10PFalseAlarm: rep.results.map((m) => (m.comparable ? m.log10PFalseAlarm : null)),
          seconds: rep.seconds,
        });
        if (++sinceSave >= 8) {
          sinceSave = 0;
          save();
        }
        if (performance.now() - last > 15_000) {
          last = performance.now();
          log(`pce: ${done.size}/${wanted.length} photos matched`);
        }
      }
    };
    await Promise.all([worker(), worker()]);
    const bySplit = (split: string) =>
      wanted.filter(({ s }) => s.split === split).map(({ src }) => done.get(src)!);
    const output = { val: withVal ? bySplit('val') : [], test: bySplit('test') };
    return output;
  });
  return { output: r.output, hash: r.hash };
}
