/**
 * Pictures for the workbench, rendered with sharp: a fingerprint's centre tile, its spectrum
 * (the project's FFT), and example crops of a data set class.
 */
import sharp from 'sharp';
import { fft2, initFft } from '../prnu/index.js';

/** Values mapped to 0–255 between two levels (clipped). */
function toBytes(
  values: Float32Array,
  lo: number,
  hi: number,
  out = new Uint8Array(values.length),
): Uint8Array {
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] - lo) * scale;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

/** The q-quantile (0–1) of the values (a sorted sample of at most 65,536). */
function quantile(values: Float32Array, q: number): number {
  const step = Math.max(1, Math.floor(values.length / 65536));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i])) sample.push(values[i]);
  if (sample.length === 0) return 0;
  sample.sort((a, b) => a - b);
  return sample[Math.min(sample.length - 1, Math.max(0, Math.round(q * (sample.length - 1))))];
}

/** The centred (side × side) window of a (height, width) array (smaller when the array is). */
function centreTile(
  data: Float32Array,
  height: number,
  width: number,
  side: number,
): { tile: Float32Array; h: number; w: number } {
  const h = Math.min(side, height);
  const w = Math.min(side, width);
  const y0 = Math.floor((height - h) / 2);
  const x0 = Math.floor((width - w) / 2);
  const tile = new Float32Array(h * w);
  for (let y = 0; y < h; y++)
    tile.set(data.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return { tile, h, w };
}

function png(bytes: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Buffer> {
  return sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    raw: { width, height, channels },
  })
    .png()
    .toBuffer();
}

/**
 * A fingerprint K as a PNG. tile: its centre 256×256, contrast-stretched symmetrically to ±3σ
 * (grey 128 is zero). spectrum: the log-magnitude 2-D DFT of its centre (up to 512×512,
 * Hann-windowed), zero frequency in the middle, stretched between its 1st and 99.9th
 * percentiles and shown at 256×256; periodic patterns (JPEG grid, CFA, line noise) are the bright
 * dots and lines.
 */
export async function fingerprintPng(
  data: Float32Array,
  height: number,
  width: number,
  view: 'tile' | 'spectrum',
): Promise<Buffer> {
  if (view === 'tile') {
    const { tile, h, w } = centreTile(data, height, width, 256);
    let sum = 0;
    let sq = 0;
    for (const v of tile) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / tile.length;
    const sd = Math.sqrt(Math.max(0, sq / tile.length - mean * mean)) || 1;
    return png(toBytes(tile, mean - 3 * sd, mean + 3 * sd), w, h, 1);
  }
  await initFft();
  const side = Math.min(512, height, width) & ~1;
  const { tile, h, w } = centreTile(data, height, width, side);
  let mean = 0;
  for (const v of tile) mean += v / tile.length;
  const z = new Float32Array(2 * h * w);
  for (let y = 0; y < h; y++) {
    const wy = 0.5 - 0.5 * Math.cos((2 * Math.PI * (y + 0.5)) / h);
    for (let x = 0; x < w; x++) {
      const wx = 0.5 - 0.5 * Math.cos((2 * Math.PI * (x + 0.5)) / w);
      z[2 * (y * w + x)] = (tile[y * w + x] - mean) * wy * wx;
    }
  }
  fft2(z, h, w);
  // log |F|, shifted so that frequency 0 sits at (h/2, w/2).
  const mag = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const sy = (y + h / 2) % h;
    for (let x = 0; x < w; x++) {
      const sx = (x + w / 2) % w;
      const i = 2 * (y * w + x);
      mag[sy * w + sx] = Math.log(Math.hypot(z[i], z[i + 1]) + 1e-12);
    }
  }
  const bytes = toBytes(mag, quantile(mag, 0.01), quantile(mag, 0.999));
  return sharp(Buffer.from(bytes), { raw: { width: w, height: h, channels: 1 } })
    .resize(256, 256, { fit: 'fill', kernel: 'lanczos3' })
    .png()
    .toBuffer();
}

/**
 * Crops (each (channels, side, side), channel-first) side by side in a grid of up to 8 columns,
 * each contrast-stretched on its own (1st–99th percentile per channel), enlarged by a whole
 * factor to at least 64 px, 2 px apart.
 */
export async function cropsPng(crops: Float32Array[], channels: number, side: number): Promise<Buffer> {
  const n = Math.max(1, crops.length);
  const cols = Math.min(8, n);
  const rows = Math.ceil(n / cols);
  const scale = Math.max(1, Math.ceil(64 / side));
  const cell = side * scale;
  const gap = 2;
  const W = cols * cell + (cols - 1) * gap;
  const H = rows * cell + (rows - 1) * gap;
  const out = new Uint8Array(W * H * 3).fill(32);
  const plane = side * side;
  crops.forEach((crop, k) => {
    const ox = (k % cols) * (cell + gap);
    const oy = Math.floor(k / cols) * (cell + gap);
    const bytes: Uint8Array[] = [];
    for (let c = 0; c < channels; c++) {
      const p = crop.subarray(c * plane, (c + 1) * plane);
      bytes.push(toBytes(p, quantile(p, 0.01), quantile(p, 0.99)));
    }
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const src = Math.floor(y / scale) * side + Math.floor(x / scale);
        const dst = 3 * ((oy + y) * W + ox + x);
        for (let c = 0; c < 3; c++) out[dst + c] = bytes[channels >= 3 ? c : 0][src];
      }
    }
  });
  return png(out, W, H, 3);
}
