/**
 * The simulator's orchestration and I/O: plans models, devices and shots from the options,
 * renders every shot as an independent task on a worker-thread pool (each seeded from
 * (seed, kind, model, device, index), so the files do not depend on scheduling), and writes
 *   <dir>/<model>_<device>/flat/<model>_<device>_flat_000.jpg …
 *   <dir>/<model>_<device>/natural/<model>_<device>_nat_000.jpg …
 *   <dir>/cameras.json (written last: its presence means the set is complete)
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { writeFileAtomic } from '../util/atomic.js';
import { InputError } from '../util/errors.js';
import { deviceParams, modelParams, type DeviceParams, type ModelParams } from './camera.js';
import { validateSimulateOptions, type SimulateOptions } from './options.js';
import { hashSeed } from './prng.js';
import type { ShotKind } from './render.js';
import type { ShotTask } from './worker.js';

/** One simulated camera (device) and the files written for it (absolute paths, in index order). */
export interface SimulatedCamera {
  /** "<model>_<device>", e.g. "SimCam01_0": the folder name. */
  camera: string;
  model: string;
  device: number;
  flat: string[];
  natural: string[];
}

export interface SimulationResult {
  /** The output folder, absolute. */
  dir: string;
  cameras: SimulatedCamera[];
}

/** The content of cameras.json. Paths are relative to the folder that holds it, with '/'. */
export interface SimulationManifest {
  format: 'camprint-sim/1';
  options: {
    models: number;
    devices: number;
    images: number;
    flat: number;
    width: number;
    height: number;
    seed: number;
    /** null when each model uses its own quality. */
    jpegQuality: number | null;
    hotPixels: number;
    prnuScale: number;
  };
  models: ModelParams[];
  cameras: (DeviceParams & { flat: string[]; natural: string[] })[];
}

/** Name of the manifest file in the output folder. */
export const MANIFEST_FILE = 'cameras.json';

/** File-name tag per kind of shot. */
const TAG: Record<ShotKind, string> = { flat: 'flat', natural: 'nat' };

/**
 * Renders a set of synthetic cameras (see the module comment for the layout).
 * @param onProgress called with (images done, images in all), first with (0, total)
 * @throws UsageError for bad options, InputError when the folder cannot be used, the signal's
 *   AbortError when aborted
 */
export async function simulate(
  opts: SimulateOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<SimulationResult> {
  const o = validateSimulateOptions(opts);
  const dir = resolve(o.dir);
  prepareFolder(dir);

  const models = Array.from({ length: o.models }, (_, m) => modelParams(o.seed, m, o.jpegQuality));
  const digits = Math.max(3, String(Math.max(o.images, o.flat) - 1).length);
  const tasks: ShotTask[] = [];
  const manifest: SimulationManifest = {
    format: 'camprint-sim/1',
    options: {
      models: o.models,
      devices: o.devices,
      images: o.images,
      flat: o.flat,
      width: o.width,
      height: o.height,
      seed: o.seed,
      jpegQuality: o.jpegQuality ?? null,
      hotPixels: o.hotPixels,
      prnuScale: o.prnuScale,
    },
    models,
    cameras: [],
  };
  const cameras: SimulatedCamera[] = [];
  for (const model of models) {
    for (let d = 0; d < o.devices; d++) {
      const device = deviceParams(o.seed, model, d, o.width, o.height, o.hotPixels, o.prnuScale);
      const files: Record<ShotKind, string[]> = { flat: [], natural: [] };
      for (const kind of ['flat', 'natural'] as const) {
        const count = kind === 'flat' ? o.flat : o.images;
        for (let index = 0; index < count; index++) {
          const rel = `${device.camera}/${kind}/${device.camera}_${TAG[kind]}_${String(index).padStart(digits, '0')}.jpg`;
          files[kind].push(rel);
          tasks.push({
            file: join(dir, rel),
            spec: {
              kind,
              seed: hashSeed(o.seed, kind, model.index, d, index),
              width: o.width,
              height: o.height,
              model,
              device,
            },
          });
        }
        mkdirSync(join(dir, device.camera, kind), { recursive: true });
      }
      manifest.cameras.push({ ...device, flat: files.flat, natural: files.natural });
      cameras.push({
        camera: device.camera,
        model: model.model,
        device: d,
        flat: files.flat.map((f) => join(dir, f)),
        natural: files.natural.map((f) => join(dir, f)),
      });
    }
  }

  await runTasks(tasks, o.threads, o.signal, onProgress);
  writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, cameras };
}

/** Creates the output folder; removes a previous cameras.json so an interrupted run is visible. */
function prepareFolder(dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: exists and is not a folder`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    mkdirSync(dir, { recursive: true });
    rmSync(join(dir, MANIFEST_FILE), { force: true });
  } catch (err) {
    throw new InputError(
      `${dir}: cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
}

/** Runs the shots on a worker pool (or on this thread when threads is 0), reporting progress. */
async function runTasks(
  tasks: ShotTask[],
  threads: number | undefined,
  signal: AbortSignal | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const total = tasks.length;
  let done = 0;
  onProgress?.(0, total);
  signal?.throwIfAborted();
  const n = Math.min(threads ?? availableParallelism(), total);
  if (n === 0) {
    if (total === 0) return;
    const { runShot } = await import('./worker.js');
    for (const task of tasks) {
      signal?.throwIfAborted();
      await runShot(task);
      onProgress?.(++done, total);
    }
    return;
  }
  const pool = new Piscina<ShotTask, { file: string; bytes: number }>({
    filename: new URL('./worker.js', import.meta.url).href,
    minThreads: n,
    maxThreads: n,
  });
  try {
    // a window of 4 tasks per thread keeps every thread busy without queueing everything
    const pending = new Set<Promise<unknown>>();
    for (const task of tasks) {
      signal?.throwIfAborted();
      if (pending.size >= 4 * n) await Promise.race(pending);
      const p = pool.run(task, { signal: signal ?? null }).then(() => {
        pending.delete(p);
        onProgress?.(++done, total);
      });
      p.catch(() => {}); // failures surface through race/all below; never unhandled
      pending.add(p);
    }
    await Promise.all(pending);
  } finally {
    await pool.destroy();
  }
}
