/**
 * One shot through the whole camera, in the physical order:
 * scene radiance → lens (blur, vignetting) → sensor (CFA, PRNU, dark current, shot and read
 * noise, defects, ADC) → demosaic → white balance and colour matrix → clip → tone curve →
 * sharpening → 8 bits → JPEG.
 */
import sharp from 'sharp';
import type { DeviceParams, ModelParams } from './camera.js';
import { demosaic } from './demosaic.js';
import { applyLens } from './lens.js';
import { Rng } from './prng.js';
import { flatScene, naturalScene } from './scene.js';
import { exposeSensor } from './sensor.js';
import { unsharpMask } from './sharpen.js';
import { inverseTone, renderColour } from './tone.js';
import type { RgbPlanes } from './cfa.js';

export type ShotKind = 'flat' | 'natural';

/** Natural shots are taken at ISO 2^U(0, this) × base ISO. */
const NATURAL_MAX_STOPS = 4;

/** Everything needed to render one image; a plain object, so it can be sent to a worker. */
export interface ShotSpec {
  kind: ShotKind;
  /** The shot's own seed (scene and temporal noise). */
  seed: number;
  width: number;
  height: number;
  model: ModelParams;
  device: DeviceParams;
}

/**
 * Renders one shot to 8-bit RGB.
 * @param prnu the device's K (see devicePrnu), width·height
 * @returns interleaved RGB, row-major, length width·height·3
 */
export function renderPixels(spec: ShotSpec, prnu: Float32Array): Uint8Array {
  const { width, height, model, device } = spec;
  const rng = new Rng(spec.seed);
  let scene: RgbPlanes;
  let gain = 1;
  if (spec.kind === 'flat') {
    // a bright field at base ISO: the centre renders at 68–80 % of full scale, nothing saturates
    const level = inverseTone(rng.uniform(0.68, 0.8), model.tone);
    scene = flatScene(rng, width, height, level);
  } else {
    scene = naturalScene(rng, width, height);
    gain = 2 ** rng.uniform(0, NATURAL_MAX_STOPS); // ISO 1×–16× base
  }
  applyLens(scene, width, height, model.lens);
  const raw = exposeSensor(
    scene,
    width,
    height,
    { ...model.sensor, cfa: model.cfa },
    prnu,
    device.defects,
    rng,
    gain,
  );
  const rgb = demosaic(raw, width, height, model.cfa, model.demosaic);
  renderColour(rgb, model.whiteBalance, model.colorMatrix, model.tone);
  unsharpMask(rgb, width, height, model.sharpen.sigma, model.sharpen.amount);
  return toBytes(rgb, width * height);
}

/**
 * Quantises rendered planes to interleaved 8-bit RGB: round(clip(v, 0, 1)·255).
 * @param planes R, G, B in [0, 1], each of length n
 */
export function toBytes(planes: RgbPlanes, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  const [r, g, b] = planes;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[j] = quantise8(r[i]);
    out[j + 1] = quantise8(g[i]);
    out[j + 2] = quantise8(b[i]);
  }
  return out;
}

/**
 * Encodes 8-bit RGB as a baseline JPEG with libjpeg-turbo (through sharp), with the model's
 * quality and chroma subsampling, and EXIF Make/Model as a camera writes them (none when the
 * model's `jpeg.exifModel` is null).
 * @param rgb interleaved RGB, width·height·3
 */
export async function encodeJpeg(
  rgb: Uint8Array,
  width: number,
  height: number,
  model: ModelParams,
): Promise<Buffer> {
  const { quality, chromaSubsampling, exifModel } = model.jpeg;
  const encoder = sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({
    quality,
    chromaSubsampling,
    mozjpeg: false,
  });
  if (exifModel !== null) encoder.withExif({ IFD0: { Make: 'camprint', Model: exifModel } });
  return encoder.toBuffer();
}

/** round(clip(v, 0, 1)·255); NaN → 0. */
function quantise8(v: number): number {
  return v > 0 ? (v < 1 ? (v * 255 + 0.5) | 0 : 255) : 0;
}

/** Renders and encodes one shot: the JPEG file's bytes. */
export async function renderShot(spec: ShotSpec, prnu: Float32Array): Promise<Buffer> {
  return encodeJpeg(renderPixels(spec, prnu), spec.width, spec.height, spec.model);
}
