/**
 * 1-D and 2-D complex DFTs over the PFFFT library (WASM, SIMD build).
 *
 * PFFFT handles lengths 2^a·3^b·5^c that are multiples of 16; any other length (e.g. a 3008-pixel
 * sensor row) goes through Bluestein's chirp-z identity, which expresses a length-N DFT as a
 * circular convolution of length M ≥ 2N−1 computed with PFFFT:
 *   X[k] = conj(c[k]) · Σ_n (x[n]·conj(c[n])) · c[k−n],   c[n] = exp(iπn²/N).
 * So every size gets the exact DFT, as numpy's fft2 would give, and no result depends on padding.
 *
 * Data layout: interleaved complex float32 (re, im), row-major. Unnormalised forward transform
 * (sign −1); the inverse divides by N, as numpy.fft.ifft.
 */
import PFFFT from '@echogarden/pffft-wasm/simd';

type PffftModule = Awaited<ReturnType<typeof PFFFT>>;
interface Wasm {
  m: PffftModule;
  heap(): Float32Array;
}

let wasmPromise: Promise<Wasm> | undefined;
let wasm: Wasm | undefined;

/** Loads the WASM module once per thread. Call (and await) before any transform. */
export async function initFft(): Promise<void> {
  wasmPromise ??= PFFFT().then((m: PffftModule) => {
    let view = new Float32Array(m.HEAPF32.buffer);
    wasm = {
      m,
      heap() {
        if (view.buffer !== m.HEAPF32.buffer) view = new Float32Array(m.HEAPF32.buffer);
        return view;
      },
    };
    return wasm;
  });
  await wasmPromise;
}

function requireWasm(): Wasm {
  if (!wasm) throw new Error('FFT not initialised: await initFft() first');
  return wasm;
}

const PFFFT_COMPLEX = 1;
const FORWARD = 0;
const BACKWARD = 1;

/** True when PFFFT can transform a complex sequence of length n directly. */
export function pffftSupports(n: number): boolean {
  if (n < 16 || n % 16 !== 0) return false;
  let r = n;
  for (const p of [2, 3, 5]) while (r % p === 0) r /= p;
  return r === 1;
}

/** Smallest length ≥ n that PFFFT supports directly. */
export function nextFastLength(n: number): number {
  let m = Math.max(16, n);
  while (!pffftSupports(m)) m++;
  return m;
}

/** A PFFFT plan with its aligned in/out/work buffers in the WASM heap. */
class Plan {
  readonly setup: number;
  readonly buf: number;
  readonly work: number;
  constructor(readonly n: number) {
    const { m } = requireWasm();
    this.setup = m._pffft_new_setup(n, PFFFT_COMPLEX);
    if (!this.setup) throw new Error(`PFFFT cannot plan length ${n}`);
    this.buf = m._pffft_aligned_malloc(n * 8);
    this.work = m._pffft_aligned_malloc(n * 8);
  }
  /** Transforms the n complex values at heap offset `buf` in place. */
  run(direction: number): void {
    requireWasm().m._pffft_transform_ordered(this.setup, this.buf, this.buf, this.work, direction);
  }
}

/**
 * A complex DFT of one length, forward or inverse, applied to `count` sequences of `n` complex
 * values stored at stride `stride` complex values in `data` (batched rows).
 */
export class Fft1d {
  private readonly plan: Plan;
  /** Bluestein only: chirp c[n] (interleaved) and the DFT of the length-M convolution kernel. */
  private readonly chirp?: Float32Array;
  private readonly kernelFwd?: Float32Array;
  private readonly kernelInv?: Float32Array;

  constructor(readonly n: number) {
    if (pffftSupports(n)) {
      this.plan = new Plan(n);
      return;
    }
    const m = nextFastLength(2 * n - 1);
    this.plan = new Plan(m);
    // c[k] = exp(iπk²/n); k² mod 2n keeps the angle exact for large k.
    const chirp = new Float32Array(2 * n);
    for (let k = 0; k < n; k++) {
      const angle = (Math.PI * ((k * k) % (2 * n))) / n;
      chirp[2 * k] = Math.cos(angle);
      chirp[2 * k + 1] = Math.sin(angle);
    }
    this.chirp = chirp;
    // Kernel b[k] = c[k] for |k| < n, wrapped circularly into length m; forward uses c, inverse conj(c).
    const makeKernel = (sign: number): Float32Array => {
      const heap = requireWasm().heap();
      const base = this.plan.buf >> 2;
      heap.fill(0, base, base + 2 * m);
      for (let k = 0; k < n; k++) {
        const re = chirp[2 * k];
        const im = sign * chirp[2 * k + 1];
        heap[base + 2 * k] = re;
        heap[base + 2 * k + 1] = im;
        if (k > 0) {
          heap[base + 2 * (m - k)] = re;
          heap[base + 2 * (m - k) + 1] = im;
        }
      }
      this.plan.run(FORWARD);
      return requireWasm()
        .heap()
        .slice(base, base + 2 * m);
    };
    this.kernelFwd = makeKernel(1);
    this.kernelInv = makeKernel(-1);
  }

  /**
   * Transforms rows in place. `data` holds complex values; row r starts at complex index
   * `offset + r·stride`. Inverse transforms are scaled by 1/n.
   */
  transformRows(
    data: Float32Array,
    rows: number,
    stride: number,
    inverse: boolean,
    offset = 0,
    normalise = true,
  ): void {
    const n = this.n;
    const base = this.plan.buf >> 2;
    const scale = inverse && normalise ? 1 / n : 1;
    for (let r = 0; r < rows; r++) {
      const start = 2 * (offset + r * stride);
      if (!this.chirp) {
        const heap = requireWasm().heap();
        heap.set(data.subarray(start, start + 2 * n), base);
        this.plan.run(inverse ? BACKWARD : FORWARD);
        const out = requireWasm().heap();
        if (scale !== 1) for (let i = 0; i < 2 * n; i++) data[start + i] = out[base + i] * scale;
        else data.set(out.subarray(base, base + 2 * n), start);
      } else {
        this.bluestein(data, start, inverse, scale);
      }
    }
  }

  private bluestein(data: Float32Array, start: number, inverse: boolean, scale: number): void {
    const n = this.n;
    const m = this.plan.n;
    const chirp = this.chirp!;
    const kernel = inverse ? this.kernelInv! : this.kernelFwd!;
    const s = inverse ? 1 : -1; // forward: multiply by conj(c); inverse by c
    const base = this.plan.buf >> 2;
    let heap = requireWasm().heap();
    heap.fill(0, base + 2 * n, base + 2 * m);
    for (let k = 0; k < n; k++) {
      const xr = data[start + 2 * k];
      const xi = data[start + 2 * k + 1];
      const cr = chirp[2 * k];
      const ci = s * chirp[2 * k + 1];
      heap[base + 2 * k] = xr * cr - xi * ci;
      heap[base + 2 * k + 1] = xr * ci + xi * cr;
    }
    this.plan.run(FORWARD);
    heap = requireWasm().heap();
    for (let k = 0; k < m; k++) {
      const ar = heap[base + 2 * k];
      const ai = heap[base + 2 * k + 1];
      const br = kernel[2 * k];
      const bi = kernel[2 * k + 1];
      heap[base + 2 * k] = ar * br - ai * bi;
      heap[base + 2 * k + 1] = ar * bi + ai * br;
    }
    this.plan.run(BACKWARD);
    heap = requireWasm().heap();
    const norm = scale / m;
    for (let k = 0; k < n; k++) {
      const yr = heap[base + 2 * k] * norm;
      const yi = heap[base + 2 * k + 1] * norm;
      const cr = chirp[2 * k];
      const ci = s * chirp[2 * k + 1];
      data[start + 2 * k] = yr * cr - yi * ci;
      data[start + 2 * k + 1] = yr * ci + yi * cr;
    }
  }
}

const planCache = new Map<number, Fft1d>();
/** A cached 1-D transform of length n (plans live for the thread's lifetime). */
export function fft1d(n: number): Fft1d {
  let p = planCache.get(n);
  if (!p) {
    p = new Fft1d(n);
    planCache.set(n, p);
  }
  return p;
}

/** Columns are moved through a contiguous scratch block of this many columns at a time. */
const COLUMN_BLOCK = 16;

/** Transforms every column of a (height, width) interleaved complex array in place. */
function transformColumns(
  data: Float32Array,
  height: number,
  width: number,
  inverse: boolean,
  normalise = true,
): void {
  const colFft = fft1d(height);
  const block = new Float64Array(COLUMN_BLOCK * height);
  const block32 = new Float32Array(block.buffer);
  const src = new Float64Array(data.buffer, data.byteOffset, height * width);
  for (let c0 = 0; c0 < width; c0 += COLUMN_BLOCK) {
    const nc = Math.min(COLUMN_BLOCK, width - c0);
    // gather: block[j·height + r] = data[r, c0 + j] (a complex value moved as one float64)
    for (let r = 0; r < height; r++) {
      const row = r * width + c0;
      for (let j = 0; j < nc; j++) block[j * height + r] = src[row + j];
    }
    colFft.transformRows(block32, nc, height, inverse, 0, normalise);
    for (let r = 0; r < height; r++) {
      const row = r * width + c0;
      for (let j = 0; j < nc; j++) src[row + j] = block[j * height + r];
    }
  }
}

/**
 * In-place 2-D complex DFT of a (height, width) interleaved complex array: rows, then columns.
 * The inverse is scaled by 1/(height·width), as numpy.fft.ifft2, unless `normalise` is false
 * (for callers that fold the scale into a later pass).
 */
export function fft2(
  data: Float32Array,
  height: number,
  width: number,
  inverse = false,
  normalise = true,
): void {
  if (data.length !== 2 * height * width)
    throw new Error(`fft2: expected ${2 * height * width} floats, got ${data.length}`);
  fft1d(width).transformRows(data, height, width, inverse, 0, normalise);
  transformColumns(data, height, width, inverse, normalise);
}

/**
 * The full complex 2-D DFT of a real (height, width) array. Rows go two at a time through one
 * complex transform: for z = x₁ + i·x₂, X₁[k] = (Z[k] + Z*[−k])/2 and X₂[k] = (Z[k] − Z*[−k])/2i.
 */
export function rfft2(real: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(2 * height * width);
  const rowFft = fft1d(width);
  const z = new Float32Array(2 * width);
  for (let r = 0; r < height; r += 2) {
    const a = r * width;
    const b = (r + 1) * width;
    const pair = r + 1 < height;
    for (let c = 0; c < width; c++) {
      z[2 * c] = real[a + c];
      z[2 * c + 1] = pair ? real[b + c] : 0;
    }
    rowFft.transformRows(z, 1, width, false);
    for (let k = 0; k < width; k++) {
      const m = k === 0 ? 0 : width - k;
      const zr = z[2 * k],
        zi = z[2 * k + 1];
      const mr = z[2 * m],
        mi = -z[2 * m + 1]; // Z*[−k]
      out[2 * (a + k)] = (zr + mr) / 2;
      out[2 * (a + k) + 1] = (zi + mi) / 2;
      if (pair) {
        // (Z − Z*[−k]) / 2i = (di − i·dr)/2 · (−1)… written out: (dr + i·di)/(2i) = di/2 − i·dr/2
        out[2 * (b + k)] = (zi - mi) / 2;
        out[2 * (b + k) + 1] = -(zr - mr) / 2;
      }
    }
  }
  transformColumns(out, height, width, false);
  return out;
}

/**
 * real(IFFT2(spec)) for a (height, width) complex spectrum (destroys `spec`). Columns first, then
 * rows two at a time: real(ifft(y)) = ifft((y[k] + y*[−k])/2), whose result is real, so two such
 * rows share one complex inverse transform.
 */
export function irfft2Real(spec: Float32Array, height: number, width: number): Float32Array {
  transformColumns(spec, height, width, true);
  const out = new Float32Array(height * width);
  const rowFft = fft1d(width);
  const z = new Float32Array(2 * width);
  for (let r = 0; r < height; r += 2) {
    const a = 2 * r * width;
    const b = 2 * (r + 1) * width;
    const pair = r + 1 < height;
    for (let k = 0; k < width; k++) {
      const m = k === 0 ? 0 : width - k;
      // h₁ = (y₁[k] + y₁*[−k])/2, h₂ likewise; z = h₁ + i·h₂
      const h1r = (spec[a + 2 * k] + spec[a + 2 * m]) / 2;
      const h1i = (spec[a + 2 * k + 1] - spec[a + 2 * m + 1]) / 2;
      let h2r = 0,
        h2i = 0;
      if (pair) {
        h2r = (spec[b + 2 * k] + spec[b + 2 * m]) / 2;
        h2i = (spec[b + 2 * k + 1] - spec[b + 2 * m + 1]) / 2;
      }
      z[2 * k] = h1r - h2i;
      z[2 * k + 1] = h1i + h2r;
    }
    rowFft.transformRows(z, 1, width, true);
    for (let c = 0; c < width; c++) {
      out[r * width + c] = z[2 * c];
      if (pair) out[(r + 1) * width + c] = z[2 * c + 1];
    }
  }
  return out;
}

/** Packs a real (height·width) array into a new interleaved complex array (imaginary parts 0). */
export function realToComplex(real: ArrayLike<number>, n = real.length): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) out[2 * i] = real[i];
  return out;
}
