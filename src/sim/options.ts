/**
 * The simulator's options, checked once at the boundary. Messages follow the house style:
 * "Expected positive integer for models but received -1 of type number".
 */
import { expected, UsageError } from '../util/errors.js';

/** Options of `simulate` (and of `camprint simulate`). */
export interface SimulateOptions {
  /** Output folder (created when missing). */
  dir: string;
  /** Number of camera models (1–999). */
  models: number;
  /** Devices per model (1–999). */
  devices: number;
  /** Natural images per device (0 or more). */
  images: number;
  /** Flat-field images per device (0 or more). */
  flat: number;
  /** Image width in pixels (16–16384). */
  width: number;
  /** Image height in pixels (16–16384). */
  height: number;
  /** Seed: non-negative integer up to 2^53 − 1. The same options and seed give identical files. */
  seed: number;
  /** JPEG quality (1–100) for every model; when absent each model has its own (75–97). */
  jpegQuality?: number;
  /** Defective photosites (hot, stuck, dead) per device; default 0. */
  hotPixels?: number;
  /** Worker threads; default one per core (at most one per image); 0 renders on the calling thread. */
  threads?: number;
  /** Stops the run: pending images are not rendered and the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Defaults of the `camprint simulate` command. */
export const SIMULATE_DEFAULTS = {
  models: 2,
  devices: 2,
  images: 10,
  flat: 10,
  width: 1024,
  height: 768,
  seed: 1,
  hotPixels: 0,
} as const;

/** Largest image the simulator renders (pixels). */
export const MAX_SIM_PIXELS = 64_000_000;

function checkInteger(name: string, value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(expected(what, name, value));
  }
  return value;
}

/**
 * Parses an image size "WxH" (e.g. "1024x768"; "×" and "X" also accepted).
 * @param name the option's name for the error message
 * @returns width and height in pixels, each 16–16384
 */
export function parseSize(text: string, name = 'size'): { width: number; height: number } {
  const m = typeof text === 'string' ? /^\s*(\d+)\s*[x×X]\s*(\d+)\s*$/.exec(text) : null;
  if (!m) throw new UsageError(expected('size WxH (for example 1024x768)', name, text));
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < 16 || height < 16 || width > 16384 || height > 16384) {
    throw new UsageError(expected('size WxH with each side between 16 and 16384', name, text));
  }
  return { width, height };
}

/**
 * Checks every option and returns them with defaults filled in.
 * @throws UsageError naming the first bad option
 */
export function validateSimulateOptions(
  opts: SimulateOptions,
): Required<Omit<SimulateOptions, 'jpegQuality' | 'threads' | 'signal'>> &
  Pick<SimulateOptions, 'jpegQuality' | 'threads' | 'signal'> {
  if (opts === null || typeof opts !== 'object') throw new UsageError(expected('options object', 'options', opts));
  if (typeof opts.dir !== 'string' || opts.dir.trim() === '') {
    throw new UsageError(expected('non-empty string', 'dir', opts.dir));
  }
  const models = checkInteger('models', opts.models, 1, 999, 'positive integer (at most 999)');
  const devices = checkInteger('devices', opts.devices, 1, 999, 'positive integer (at most 999)');
  const images = checkInteger('images', opts.images, 0, 1_000_000, 'non-negative integer');
  const flat = checkInteger('flat', opts.flat, 0, 1_000_000, 'non-negative integer');
  const width = checkInteger('width', opts.width, 16, 16384, 'integer between 16 and 16384');
  const height = checkInteger('height', opts.height, 16, 16384, 'integer between 16 and 16384');
  if (width * height > MAX_SIM_PIXELS) {
    throw new UsageError(expected(`image size of at most ${MAX_SIM_PIXELS} pixels`, 'size', `${width}x${height}`));
  }
  const seed = checkInteger('seed', opts.seed, 0, Number.MAX_SAFE_INTEGER, 'non-negative integer');
  const jpegQuality =
    opts.jpegQuality === undefined
      ? undefined
      : checkInteger('jpegQuality', opts.jpegQuality, 1, 100, 'integer between 1 and 100');
  const maxDefects = Math.floor(((width - 8) * (height - 8)) / 64);
  const hotPixels = checkInteger(
    'hotPixels',
    opts.hotPixels ?? SIMULATE_DEFAULTS.hotPixels,
    0,
    maxDefects,
    `integer between 0 and ${maxDefects}`,
  );
  const threads = opts.threads === undefined ? undefined : checkInteger('threads', opts.threads, 0, 256, 'non-negative integer');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new UsageError(expected('AbortSignal', 'signal', opts.signal));
  }
  return { dir: opts.dir, models, devices, images, flat, width, height, seed, jpegQuality, hotPixels, threads, signal: opts.signal };
}
