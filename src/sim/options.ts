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
  /**
   * Multiplies every device's PRNU strength (K's standard deviation is 0.01–0.02 times this). The
   * default 0.3 gives 0.003–0.006, in the range of real sensors: a simulated photo then matches
   * its unit about as clearly as a real one (the Dresden Nikons give PCE ~75–2700 at 6 MP).
   * Lower values make source identification harder; 0 removes PRNU.
   */
  prnuScale?: number;
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
  prnuScale: 0.3,
} as const;

/** Largest image the simulator renders (pixels). */
export const MAX_SIM_PIXELS = 64_000_000;

/**
 * An integer in [min, max], or a UsageError: "Expected positive integer for models but received
 * -1 of type number" (", at most 999" is added when the value is too large).
 */
function checkInteger(name: string, value: unknown, min: number, max: number): number {
  const kind =
    min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer' : `integer of at least ${min}`;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new UsageError(expected(kind, name, value));
  }
  if (value > max) throw new UsageError(expected(`${kind} of at most ${max}`, name, value));
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
  if (opts === null || typeof opts !== 'object')
    throw new UsageError(expected('options object', 'options', opts));
  if (typeof opts.dir !== 'string' || opts.dir.trim() === '') {
    throw new UsageError(expected('non-empty string', 'dir', opts.dir));
  }
  const models = checkInteger('models', opts.models, 1, 999);
  const devices = checkInteger('devices', opts.devices, 1, 999);
  const images = checkInteger('images', opts.images, 0, 1_000_000);
  const flat = checkInteger('flat', opts.flat, 0, 1_000_000);
  const width = checkInteger('width', opts.width, 16, 16384);
  const height = checkInteger('height', opts.height, 16, 16384);
  if (width * height > MAX_SIM_PIXELS) {
    throw new UsageError(
      expected(`image size of at most ${MAX_SIM_PIXELS} pixels`, 'size', `${width}x${height}`),
    );
  }
  const seed = checkInteger('seed', opts.seed, 0, Number.MAX_SAFE_INTEGER);
  const jpegQuality =
    opts.jpegQuality === undefined ? undefined : checkInteger('jpegQuality', opts.jpegQuality, 1, 100);
  const maxDefects = Math.floor(((width - 8) * (height - 8)) / 64);
  const hotPixels = checkInteger('hotPixels', opts.hotPixels ?? SIMULATE_DEFAULTS.hotPixels, 0, maxDefects);
  const prnuScale = opts.prnuScale ?? SIMULATE_DEFAULTS.prnuScale;
  if (typeof prnuScale !== 'number' || !(prnuScale >= 0 && prnuScale <= 10)) {
    throw new UsageError(expected('number between 0 and 10', 'prnuScale', prnuScale));
  }
  const threads = opts.threads === undefined ? undefined : checkInteger('threads', opts.threads, 0, 256);
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new UsageError(expected('AbortSignal', 'signal', opts.signal));
  }
  return {
    dir: opts.dir,
    models,
    devices,
    images,
    flat,
    width,
    height,
    seed,
    jpegQuality,
    hotPixels,
    prnuScale,
    threads,
    signal: opts.signal,
  };
}
