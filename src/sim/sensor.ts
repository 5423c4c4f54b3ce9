/**
 * The image sensor: photo-response non-uniformity (PRNU), the colour filter array, shot noise,
 * read noise, dark current, defective pixels and the analogue-to-digital converter.
 *
 * Per photosite i with filter colour c (values relative to full well, 1 = saturation):
 *   signal  e = min(1, L_c·s_c·(1 + K_i) + d)     L: radiance at the sensor, s_c: filter
 *                                                  sensitivity, K: PRNU, d: dark current
 *   raw     = e + N(0, e·g/FW + (σ_read·g/FW)²)    shot noise (Poisson, Gaussian approximation)
 *                                                  and read noise, FW: full well in electrons,
 *                                                  g: analogue gain (ISO / base ISO)
 *   defects: hot pixels add a level, stuck pixels read a level, dead pixels read 0
 *   ADC     = round(clip(raw, 0, 1)·(2^bits − 1)) / (2^bits − 1)
 */
import { cfaChannels, type CfaPattern, type RgbPlanes } from './cfa.js';
import { hashSeed, Rng } from './prng.js';
import { valueNoise } from './scene.js';

/** Sensor parameters of a camera model (shared by all its devices). */
export interface SensorParams {
  cfa: CfaPattern;
  /** Relative sensitivity of the R, G, B filters to the scene's R, G, B radiance (G = 1). */
  sensitivity: [number, number, number];
  /** Full-well capacity in electrons (sets the shot-noise level). */
  fullWell: number;
  /** Read noise, electrons rms. */
  readNoise: number;
  /** Mean dark signal per exposure, electrons. */
  darkCurrent: number;
  /** ADC resolution in bits. */
  adcBits: number;
}

/** A defective photosite. */
export interface DefectPixel {
  x: number;
  y: number;
  /** 'hot': adds `level` to the signal; 'stuck': always reads `level`; 'dead': always reads 0. */
  kind: 'hot' | 'stuck' | 'dead';
  /** Fraction of full scale. */
  level: number;
}

/**
 * A device's PRNU pattern K (the multiplicative factor is 1 + K): zero-mean, white Gaussian with a
 * small share of low-frequency structure, scaled to standard deviation `std` exactly.
 * @param seed the device's seed
 * @param std standard deviation of K (typically 0.01–0.02)
 * @param lowFrequency share of K's variance in the smooth component, in [0, 1)
 * @returns K, row-major width·height, one value per photosite
 */
export function prnuPattern(
  seed: number,
  width: number,
  height: number,
  std: number,
  lowFrequency: number,
): Float32Array {
  const rng = new Rng(hashSeed(seed, 'prnu', width, height));
  const k = rng.fillGauss(new Float32Array(width * height));
  if (lowFrequency > 0) {
    const smooth = valueNoise(rng, width, height, 48, 3, 0.5);
    let m = 0;
    let v = 0;
    for (let i = 0; i < smooth.length; i++) m += smooth[i];
    m /= smooth.length;
    for (let i = 0; i < smooth.length; i++) v += (smooth[i] - m) ** 2;
    const s = Math.sqrt(lowFrequency / (v / smooth.length || 1));
    const w = Math.sqrt(1 - lowFrequency);
    for (let i = 0; i < k.length; i++) k[i] = w * k[i] + s * (smooth[i] - m);
  }
  let mean = 0;
  for (let i = 0; i < k.length; i++) mean += k[i];
  mean /= k.length;
  let energy = 0;
  for (let i = 0; i < k.length; i++) {
    k[i] -= mean;
    energy += k[i] * k[i];
  }
  const scale = std / Math.sqrt(energy / k.length);
  for (let i = 0; i < k.length; i++) k[i] *= scale;
  return k;
}

/**
 * Places `count` defective photosites at distinct random positions at least 4 pixels from the
 * border: about 60 % hot (adding 0.1–0.5), 25 % stuck high (reading 0.9–1) and 15 % dead.
 * @param seed the device's seed
 */
export function plantDefects(seed: number, count: number, width: number, height: number): DefectPixel[] {
  const rng = new Rng(hashSeed(seed, 'defects', width, height));
  const taken = new Set<number>();
  const out: DefectPixel[] = [];
  const margin = 4;
  while (out.length < count) {
    const x = margin + rng.int(width - 2 * margin);
    const y = margin + rng.int(height - 2 * margin);
    if (taken.has(y * width + x)) continue;
    taken.add(y * width + x);
    const u = rng.next();
    const kind = u < 0.6 ? 'hot' : u < 0.85 ? 'stuck' : 'dead';
    const level = kind === 'hot' ? rng.uniform(0.1, 0.5) : kind === 'stuck' ? rng.uniform(0.9, 1) : 0;
    out.push({ x, y, kind, level: Math.round(level * 1e4) / 1e4 });
  }
  return out.sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * One exposure: samples the radiance at the sensor through the CFA, applies PRNU, dark current,
 * shot and read noise, defects and the ADC (see the module comment).
 * @param radiance linear R, G, B at the sensor (after the lens), each width·height
 * @param prnu K, width·height
 * @param rng the shot's generator (draws the temporal noise)
 * @param gain analogue gain, ISO / base ISO (≥ 1): the same output from 1/gain of the light, so
 *   relatively more shot and read noise
 * @returns the raw mosaic, width·height, in [0, 1] on the ADC's grid
 */
export function exposeSensor(
  radiance: RgbPlanes,
  width: number,
  height: number,
  sensor: SensorParams,
  prnu: Float32Array,
  defects: readonly DefectPixel[],
  rng: Rng,
  gain = 1,
): Float32Array {
  const ch = cfaChannels(sensor.cfa);
  const fw = sensor.fullWell / gain; // electrons that fill the output range at this gain
  const dark = sensor.darkCurrent / fw;
  const readVar = (sensor.readNoise / fw) ** 2;
  const invFw = 1 / fw;
  const levels = 2 ** sensor.adcBits - 1;
  const raw = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    // the two CFA phases of this row, each with one filter colour
    for (let px = 0; px < 2; px++) {
      const c = ch[(y & 1) * 2 + px];
      const plane = radiance[c];
      const s = sensor.sensitivity[c];
      for (let x = px; x < width; x += 2) {
        const i = row + x;
        let e = plane[i] * s * (1 + prnu[i]) + dark;
        e = e > 0 ? (e < 1 ? e : 1) : 0;
        raw[i] = e + Math.sqrt(e * invFw + readVar) * rng.gauss();
      }
    }
  }
  for (const d of defects) {
    const i = d.y * width + d.x;
    if (d.kind === 'hot') raw[i] += d.level;
    else raw[i] = d.level;
  }
  const step = 1 / levels;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    raw[i] = (v > 0 ? (v < 1 ? (v * levels + 0.5) | 0 : levels) : 0) * step;
  }
  return raw;
}
