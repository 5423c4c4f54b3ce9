/**
 * Demosaicing: from a Bayer mosaic (one value per photosite) to three full colour planes.
 * Three algorithms, which leave different inter-pixel correlations in the image (a camera-model
 * trace that classifiers learn):
 *  - 'bilinear': each missing value is the mean of its nearest same-colour neighbours.
 *  - 'malvar': Malvar, He & Cutler (ICASSP 2004), bilinear plus a gradient correction from the
 *    known channel (5×5 linear filters).
 *  - 'hamilton-adams': edge-directed green (interpolates along the smaller gradient, with a
 *    second-order correction), then red and blue from bilinear colour differences.
 * Borders are handled by mirroring the mosaic with period 2, which keeps the CFA phase.
 */
import { cfaChannels, type CfaPattern, type RgbPlanes } from './cfa.js';

export const DEMOSAIC_ALGORITHMS = ['bilinear', 'malvar', 'hamilton-adams'] as const;
export type DemosaicAlgorithm = (typeof DEMOSAIC_ALGORITHMS)[number];

/** Border added on each side before filtering (the widest filter is 5×5). */
const PAD = 2;

/**
 * Mirror-pads a plane by `pad` samples on each side (reflection without repeating the edge:
 * index −1 → 1), which keeps the 2×2 CFA phase for even `pad`.
 * @param src width·height
 * @returns (width + 2·pad)·(height + 2·pad)
 */
export function padReflect(src: Float32Array, width: number, height: number, pad: number): Float32Array {
  const pw = width + 2 * pad;
  const ph = height + 2 * pad;
  const out = new Float32Array(pw * ph);
  const reflect = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  for (let y = 0; y < ph; y++) {
    const sy = reflect(y - pad, height);
    const srow = sy * width;
    const drow = y * pw;
    out.set(src.subarray(srow, srow + width), drow + pad);
    for (let x = 0; x < pad; x++) {
      out[drow + x] = src[srow + reflect(x - pad, width)];
      out[drow + pad + width + x] = src[srow + reflect(width + x, width)];
    }
  }
  return out;
}

/**
 * Reconstructs full RGB from a Bayer mosaic.
 * @param raw mosaic, row-major width·height, linear values (any scale)
 * @param pattern the CFA layout of the mosaic
 * @returns R, G, B planes, each width·height, same scale (values may overshoot slightly for the
 *   gradient-corrected algorithms; callers clip)
 */
export function demosaic(
  raw: Float32Array,
  width: number,
  height: number,
  pattern: CfaPattern,
  algorithm: DemosaicAlgorithm,
): RgbPlanes {
  if (width < 3 || height < 3)
    throw new RangeError(`demosaic needs at least 3×3 pixels, got ${width}×${height}`);
  switch (algorithm) {
    case 'bilinear':
      return bilinear(raw, width, height, pattern);
    case 'malvar':
      return malvar(raw, width, height, pattern);
    case 'hamilton-adams':
      return hamiltonAdams(raw, width, height, pattern);
  }
}

/** Which channel the horizontal and the vertical neighbours of a site carry, per 2×2 phase. */
function neighbourChannels(pattern: CfaPattern): { own: number[]; horiz: number[]; vert: number[] } {
  const ch = cfaChannels(pattern);
  const own: number[] = [];
  const horiz: number[] = [];
  const vert: number[] = [];
  for (let k = 0; k < 4; k++) {
    const px = k & 1;
    const py = k >> 1;
    own.push(ch[k]);
    horiz.push(ch[py * 2 + (1 - px)]);
    vert.push(ch[(1 - py) * 2 + px]);
  }
  return { own, horiz, vert };
}

/**
 * The planes a site of 2×2 phase k writes: its own colour, the colour of its horizontal
 * neighbours and of its vertical neighbours (for a red or blue site the latter two are green, and
 * the diagonal colour is the remaining one).
 */
interface Phase {
  own: Float32Array;
  horiz: Float32Array;
  vert: Float32Array;
  diag: Float32Array;
  isGreen: boolean;
}

function phases(pattern: CfaPattern, out: RgbPlanes): Phase[] {
  const { own, horiz, vert } = neighbourChannels(pattern);
  return [0, 1, 2, 3].map((k) => ({
    own: out[own[k]],
    horiz: out[horiz[k]],
    vert: out[vert[k]],
    diag: out[own[k] === 1 ? 1 : 2 - own[k]],
    isGreen: own[k] === 1,
  }));
}

function newPlanes(n: number): RgbPlanes {
  return [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
}

/** Bilinear demosaicing (see the module comment). */
function bilinear(raw: Float32Array, width: number, height: number, pattern: CfaPattern): RgbPlanes {
  const pw = width + 2 * PAD;
  const p = padReflect(raw, width, height, PAD);
  const out = newPlanes(width * height);
  const ph = phases(pattern, out);
  for (let y = 0; y < height; y++) {
    for (let px = 0; px < 2; px++) {
      const { own, horiz, vert, diag, isGreen } = ph[(y & 1) * 2 + px];
      let j = (y + PAD) * pw + px + PAD;
      for (let i = y * width + px, end = (y + 1) * width; i < end; i += 2, j += 2) {
        own[i] = p[j];
        if (isGreen) {
          horiz[i] = 0.5 * (p[j - 1] + p[j + 1]);
          vert[i] = 0.5 * (p[j - pw] + p[j + pw]);
        } else {
          horiz[i] = 0.25 * (p[j - 1] + p[j + 1] + p[j - pw] + p[j + pw]); // green
          diag[i] = 0.25 * (p[j - pw - 1] + p[j - pw + 1] + p[j + pw - 1] + p[j + pw + 1]);
        }
      }
    }
  }
  return out;
}

/** Malvar–He–Cutler gradient-corrected bilinear demosaicing (the paper's 5×5 filters, /8). */
function malvar(raw: Float32Array, width: number, height: number, pattern: CfaPattern): RgbPlanes {
  const pw = width + 2 * PAD;
  const pw2 = 2 * pw;
  const p = padReflect(raw, width, height, PAD);
  const out = newPlanes(width * height);
  const ph = phases(pattern, out);
  for (let y = 0; y < height; y++) {
    for (let px = 0; px < 2; px++) {
      const { own, horiz, vert, diag, isGreen } = ph[(y & 1) * 2 + px];
      let j = (y + PAD) * pw + px + PAD;
      for (let i = y * width + px, end = (y + 1) * width; i < end; i += 2, j += 2) {
        const v = p[j];
        const n = p[j - pw];
        const s = p[j + pw];
        const w = p[j - 1];
        const e = p[j + 1];
        const nn = p[j - pw2];
        const ss = p[j + pw2];
        const ww = p[j - 2];
        const ee = p[j + 2];
        const d4 = p[j - pw - 1] + p[j - pw + 1] + p[j + pw - 1] + p[j + pw + 1];
        own[i] = v;
        if (isGreen) {
          // colour of the horizontal neighbours: centre 5, W/E 4, diagonals −1, WW/EE −1, NN/SS +½
          horiz[i] = (5 * v + 4 * (w + e) - d4 - (ww + ee) + 0.5 * (nn + ss)) * 0.125;
          // colour of the vertical neighbours: the transpose
          vert[i] = (5 * v + 4 * (n + s) - d4 - (nn + ss) + 0.5 * (ww + ee)) * 0.125;
        } else {
          // green at red/blue: centre 4, N/S/W/E 2, NN/SS/WW/EE −1
          horiz[i] = (4 * v + 2 * (n + s + w + e) - (nn + ss + ww + ee)) * 0.125;
          // blue at red (red at blue): centre 6, diagonals 2, NN/SS/WW/EE −3/2
          diag[i] = (6 * v + 2 * d4 - 1.5 * (nn + ss + ww + ee)) * 0.125;
        }
      }
    }
  }
  return out;
}

/** Hamilton–Adams edge-directed green, then bilinear interpolation of colour differences. */
function hamiltonAdams(raw: Float32Array, width: number, height: number, pattern: CfaPattern): RgbPlanes {
  const pw = width + 2 * PAD;
  const pw2 = 2 * pw;
  const p = padReflect(raw, width, height, PAD);
  const out = newPlanes(width * height);
  const ph = phases(pattern, out);
  const green = out[1];
  // pass 1: green everywhere
  for (let y = 0; y < height; y++) {
    for (let px = 0; px < 2; px++) {
      const { isGreen } = ph[(y & 1) * 2 + px];
      let j = (y + PAD) * pw + px + PAD;
      for (let i = y * width + px, end = (y + 1) * width; i < end; i += 2, j += 2) {
        const v = p[j];
        if (isGreen) {
          green[i] = v;
          continue;
        }
        const w = p[j - 1];
        const e = p[j + 1];
        const n = p[j - pw];
        const s = p[j + pw];
        const lapH = 2 * v - p[j - 2] - p[j + 2];
        const lapV = 2 * v - p[j - pw2] - p[j + pw2];
        const dH = Math.abs(w - e) + Math.abs(lapH);
        const dV = Math.abs(n - s) + Math.abs(lapV);
        const gH = 0.5 * (w + e) + 0.25 * lapH;
        const gV = 0.5 * (n + s) + 0.25 * lapV;
        green[i] = dH < dV ? gH : dV < dH ? gV : 0.5 * (gH + gV);
      }
    }
  }
  // pass 2: colour differences D = raw − G (0 at green sites); red and blue are G + interpolated D
  const diff = new Float32Array(width * height);
  for (let i = 0; i < diff.length; i++) diff[i] = raw[i] - green[i];
  const d = padReflect(diff, width, height, PAD);
  for (let y = 0; y < height; y++) {
    for (let px = 0; px < 2; px++) {
      const { own, horiz, vert, diag, isGreen } = ph[(y & 1) * 2 + px];
      let j = (y + PAD) * pw + px + PAD;
      for (let i = y * width + px, end = (y + 1) * width; i < end; i += 2, j += 2) {
        const g = green[i];
        if (isGreen) {
          horiz[i] = g + 0.5 * (d[j - 1] + d[j + 1]);
          vert[i] = g + 0.5 * (d[j - pw] + d[j + pw]);
        } else {
          own[i] = raw[i];
          diag[i] = g + 0.25 * (d[j - pw - 1] + d[j - pw + 1] + d[j + pw - 1] + d[j + pw + 1]);
        }
      }
    }
  }
  return out;
}
