/**
 * Training as a service: checks the data set, spawns the engine with a config, follows its events
 * (curves into the store, plots beside the model), stops it cleanly on request.
 */
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readManifest } from './dataset/index.js';
import { checkEngine, runEngine, type EngineEvent, type EngineRun } from './engine.js';
import { curvesSpec, renderSvg, type EpochPoint } from './plots.js';
import { writeFileAtomic } from '../util/atomic.js';
import { InputError } from '../util/errors.js';
import type { Store } from '../store/index.js';
import { thisProcess } from '../util/process-owner.js';

export interface TrainOptions {
  dataset: string;
  out: string;
  network: string;
  /** Engine settings (config keys of engine/config.py): epochs, lr, batch_size, optimizer, … */
  settings: Record<string, string | number | boolean>;
  resume?: boolean;
  /** Name in the store (default: the model folder's name). */
  name: string;
  store?: Store;
  onEvent?: (e: EngineEvent) => void;
  /** Each epoch's point as it goes into the curves (and the store's model record). */
  onEpoch?: (point: EpochPoint) => void;
}

export interface TrainResult {
  model: string;
  name: string;
  status: 'done' | 'stopped';
  epochs: number;
  bestValAccuracy: number | null;
  seconds: number;
  curves: EpochPoint[];
}

/** Starts training; returns the run (to stop it) and a promise of the result. */
export function startTraining(opts: TrainOptions): { run: EngineRun; result: Promise<TrainResult> } {
  checkEngine();
  const dataset = resolve(opts.dataset);
  const manifest = readManifest(dataset); // validates the data set before Python starts
  const out = resolve(opts.out);
  if (!opts.resume && existsSync(join(out, 'checkpoints', 'last.pt'))) {
    throw new InputError(
      `${opts.out}: a model is already trained or training there; use --resume to continue it, or another --out`,
    );
  }
  if (opts.resume && !existsSync(join(out, 'checkpoints', 'last.pt'))) {
    throw new InputError(`${opts.out}: nothing to resume (no checkpoints/last.pt)`);
  }
  mkdirSync(out, { recursive: true });
  const config = { ...opts.settings, dataset, out, network: opts.network };
  const configPath = join(out, 'request.json');
  writeFileAtomic(configPath, JSON.stringify(config, null, 2) + '\n');
  const curves: EpochPoint[] = opts.resume ? previousCurves(out) : [];
  const t0 = performance.now();
  const store = opts.store;
  let storeChain: Promise<unknown> = store
    ? datasetName(store, dataset).then((name) =>
        store.putModel({
          name: opts.name,
          path: out,
          dataset: name,
          network: opts.network,
          status: 'training',
          config,
          epochs: curves.length,
          bestValAccuracy: null,
          curves: curves as unknown as Record<string, unknown>[],
          metrics: null,
          error: null,
          // A process killed without a word leaves this behind: dl/interrupted.ts tells it apart.
          owner: thisProcess(),
        }),
      )
    : Promise.resolve();
  const queue = (f: () => Promise<unknown>) => (storeChain = storeChain.then(f));
  let best: number | null = null;
  const run = runEngine(
    'engine.train',
    ['--config', configPath, ...(opts.resume ? ['--resume'] : [])],
    (e) => {
      if (e.event === 'epoch') {
        const p = addEpoch(curves, e);
        if (typeof p.valAccuracy === 'number') best = Math.max(best ?? 0, p.valAccuracy);
        if (store)
          queue(() =>
            store.updateModel(opts.name, {
              epochs: p.epoch,
              curves: curves as unknown as Record<string, unknown>[],
              bestValAccuracy: best,
            }),
          );
        opts.onEpoch?.(p);
      }
      opts.onEvent?.(e);
    },
  );
  const result = run.done.then(
    async (last) => {
      const status = last.event === 'done' ? 'done' : 'stopped';
      if (typeof last.bestValAccuracy === 'number') best = last.bestValAccuracy;
      await writePlots(out, curves, opts.name);
      if (store)
        await queue(() =>
          store.updateModel(opts.name, { status, bestValAccuracy: best, epochs: curves.at(-1)?.epoch ?? 0 }),
        );
      await storeChain;
      return {
        model: out,
        name: opts.name,
        status,
        epochs: curves.at(-1)?.epoch ?? 0,
        bestValAccuracy: best,
        seconds: (performance.now() - t0) / 1000,
        curves,
      } as TrainResult;
    },
    async (err: Error) => {
      if (store)
        await queue(() =>
          store.updateModel(opts.name, { status: 'failed', error: err.message.slice(0, 2000) }),
        ).catch(() => undefined);
      throw err;
    },
  );
  void manifest;
  return { run, result };
}

/** Extra numeric fields of an epoch event worth keeping in the curves (lr, images/s, …). */
function pick(e: EngineEvent): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ['lr', 'imagesPerSecond', 'seconds', 'valCropAccuracy'])
    if (typeof e[k] === 'number') out[k] = e[k] as number;
  return out;
}

/**
 * Appends an epoch event to the curves; an epoch seen again (a resumed run repeating an epoch
 * whose checkpoint was not written) replaces it and everything after it.
 */
function addEpoch(curves: EpochPoint[], e: EngineEvent): EpochPoint {
  const p = e as unknown as EpochPoint;
  const i = curves.findIndex((c) => c.epoch === p.epoch);
  if (i >= 0) curves.splice(i);
  const point = {
    epoch: p.epoch,
    loss: p.loss,
    accuracy: p.accuracy,
    valLoss: p.valLoss,
    valAccuracy: p.valAccuracy,
    ...pick(e),
  };
  curves.push(point);
  return point;
}

/** Epoch events already in `<out>/events.jsonl` (a resumed run continues the curves). */
function previousCurves(out: string): EpochPoint[] {
  const file = join(out, 'events.jsonl');
  if (!existsSync(file)) return [];
  const points: EpochPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    try {
      const e = JSON.parse(line) as EngineEvent;
      if (e.event === 'epoch') addEpoch(points, e);
    } catch {
      // a torn last line after a kill: ignore it
    }
  }
  return points;
}

/** curves.svg beside the model. */
export async function writePlots(out: string, curves: EpochPoint[], name: string): Promise<void> {
  if (curves.length === 0) return;
  const svg = await renderSvg(curvesSpec(curves, `${name}: accuracy and loss per epoch`));
  writeFileAtomic(join(out, 'curves.svg'), svg);
}

/** The store's name for the data set in `folder`; the folder itself when the store does not know it. */
async function datasetName(store: Store, folder: string): Promise<string> {
  const known = (await store.listDatasets()).find((d) => resolve(d.path) === folder);
  return known?.name ?? folder;
}
