/**
 * Camera models and devices: every parameter of the simulated pipeline, drawn deterministically
 * from the seed. A model's parameters depend only on (seed, model index), a device's only on
 * (seed, model index, device index), so adding models or devices never changes existing ones.
 * Devices of one model share every model parameter and differ only by their PRNU (and defects).
 */
import { CFA_PATTERNS, type CfaPattern } from './cfa.js';
import { DEMOSAIC_ALGORITHMS, type DemosaicAlgorithm } from './demosaic.js';
import type { LensParams } from './lens.js';
import { hashSeed, Rng } from './prng.js';
import { plantDefects, prnuPattern, type DefectPixel, type SensorParams } from './sensor.js';
import type { Matrix3, ToneCurve } from './tone.js';

export type ChromaSubsampling = '4:2:0' | '4:4:4';

/** Everything that defines a camera model's rendering, recorded in cameras.json. */
export interface ModelParams {
  /** "SimCam01", "SimCam02", … */
  model: string;
  /** 0-based model index. */
  index: number;
  cfa: CfaPattern;
  demosaic: DemosaicAlgorithm;
  lens: LensParams;
  sensor: Omit<SensorParams, 'cfa'>;
  /** White-balance gains applied to camera R, G, B (about 1 / sensitivity, with a small cast). */
  whiteBalance: [number, number, number];
  /** Camera-to-output colour matrix, row-major, rows summing to 1. */
  colorMatrix: Matrix3;
  tone: ToneCurve;
  sharpen: { sigma: number; amount: number };
  /**
   * JPEG settings. `exifModel`: the EXIF Model tag written (Make is "camprint"), or null for no EXIF
   * (when one quality is imposed on every model, headers carry nothing model-specific).
   */
  jpeg: { quality: number; chromaSubsampling: ChromaSubsampling; exifModel: string | null };
}

/** One physical unit of a model. */
export interface DeviceParams {
  /** "<model>_<device>", the folder name. */
  camera: string;
  model: string;
  /** 0-based device index within its model. */
  device: number;
  /** The device's own seed: regenerates its PRNU and defects. */
  seed: number;
  /** Standard deviation of the PRNU factor K. */
  prnuStd: number;
  /** Share of K's variance that is low-frequency. */
  prnuLowFrequency: number;
  defects: DefectPixel[];
}

/** JPEG qualities a model may use (cameras write high qualities). */
const QUALITIES = Array.from({ length: 23 }, (_, i) => 75 + i);
const SUBSAMPLING: ChromaSubsampling[] = ['4:2:0', '4:4:4'];

function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Name of the model with 0-based index i: SimCam01, SimCam02, … */
export function modelName(index: number): string {
  return `SimCam${String(index + 1).padStart(2, '0')}`;
}

/**
 * A model's parameters. The CFA layout, demosaicing algorithm, JPEG quality and subsampling
 * are dealt from seeded permutations, so consecutive models always differ in each.
 * @param jpegQuality when given, every model uses this quality, 4:2:0 subsampling and no EXIF (so
 *   JPEG headers carry nothing model-specific)
 */
export function modelParams(seed: number, index: number, jpegQuality?: number): ModelParams {
  const deck = new Rng(hashSeed(seed, 'model-deck'));
  const cfas = deck.shuffled(CFA_PATTERNS);
  const algorithms = deck.shuffled(DEMOSAIC_ALGORITHMS);
  const qualities = deck.shuffled(QUALITIES);
  const subsampling = deck.shuffled(SUBSAMPLING);
  const rng = new Rng(hashSeed(seed, 'model', index));
  const sensitivity: [number, number, number] = [
    round(rng.uniform(0.45, 0.7)),
    1,
    round(rng.uniform(0.5, 0.8)),
  ];
  const whiteBalance: [number, number, number] = [
    round((1 / sensitivity[0]) * rng.uniform(0.97, 1.03)),
    1,
    round((1 / sensitivity[2]) * rng.uniform(0.97, 1.03)),
  ];
  // colour matrix: saturation boost (1 + s)·I − s/3·1, plus a small perturbation, rows summing to 1
  const sat = rng.uniform(0.2, 0.7);
  const colorMatrix: number[] = [];
  for (let r = 0; r < 3; r++) {
    const d = [rng.uniform(-0.06, 0.06), rng.uniform(-0.06, 0.06), rng.uniform(-0.06, 0.06)];
    const dm = (d[0] + d[1] + d[2]) / 3;
    const row = [0, 1, 2].map((c) => (c === r ? 1 + sat : 0) - sat / 3 + d[c] - dm).map((v) => round(v));
    row[r] = round(1 - (row[0] + row[1] + row[2] - row[r])); // exact row sum 1 after rounding
    colorMatrix.push(...row);
  }
  return {
    model: modelName(index),
    index,
    cfa: cfas[index % cfas.length],
    demosaic: algorithms[index % algorithms.length],
    lens: {
      blur: round(rng.uniform(0.04, 0.2)),
      vignetting: [round(rng.uniform(0.1, 0.35)), round(rng.uniform(0, 0.15))],
    },
    sensor: {
      sensitivity,
      fullWell: Math.round(rng.logUniform(6000, 40000)),
      readNoise: round(rng.uniform(1.5, 8), 2),
      darkCurrent: round(rng.uniform(0, 20), 2),
      adcBits: rng.pick([10, 12, 14]),
    },
    whiteBalance,
    colorMatrix: colorMatrix as Matrix3,
    tone: { gamma: round(rng.uniform(1.8, 2.6), 3), contrast: round(rng.uniform(0, 0.5), 3) },
    sharpen: { sigma: round(rng.uniform(0.5, 1.6), 3), amount: round(rng.uniform(0.2, 1.2), 3) },
    jpeg:
      jpegQuality === undefined
        ? {
            quality: qualities[index % qualities.length],
            chromaSubsampling: subsampling[index % subsampling.length],
            exifModel: modelName(index),
          }
        : { quality: jpegQuality, chromaSubsampling: '4:2:0', exifModel: null },
  };
}

/**
 * A device's parameters: its seed, PRNU strength (0.01–0.02 times `prnuScale`) and `hotPixels`
 * defects.
 * @param model the model (its name prefixes the camera name)
 */
export function deviceParams(
  seed: number,
  model: ModelParams,
  device: number,
  width: number,
  height: number,
  hotPixels: number,
  prnuScale = 1,
): DeviceParams {
  const deviceSeed = hashSeed(seed, 'device', model.index, device);
  const rng = new Rng(deviceSeed);
  return {
    camera: `${model.model}_${device}`,
    model: model.model,
    device,
    seed: deviceSeed,
    prnuStd: round(rng.uniform(0.01, 0.02) * prnuScale, 6),
    prnuLowFrequency: 0.05,
    defects: plantDefects(deviceSeed, hotPixels, width, height),
  };
}

/**
 * Regenerates a device's true PRNU factor K (what its sensor multiplies the light by, minus 1)
 * at the simulated image size.
 * @returns K, row-major width·height
 */
export function devicePrnu(
  device: Pick<DeviceParams, 'seed' | 'prnuStd' | 'prnuLowFrequency'>,
  width: number,
  height: number,
): Float32Array {
  return prnuPattern(device.seed, width, height, device.prnuStd, device.prnuLowFrequency);
}
