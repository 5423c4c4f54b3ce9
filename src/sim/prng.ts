/**
 * Seeded randomness for the simulator: a 32-bit hash to derive independent seeds from labels,
 * the xoshiro128** generator (Blackman & Vigna) and Gaussian deviates by the ziggurat method.
 * Everything is integer or IEEE double arithmetic, so the same seed gives the same numbers on
 * every thread and every run.
 */

/** murmur3's 32-bit finaliser: a bijective avalanche mix of one word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a list of labels (integers or strings) to a 32-bit seed, e.g.
 * `hashSeed(seed, 'natural', model, device, index)`. Different lists give unrelated seeds.
 * Integers beyond 32 bits (up to 2^53) contribute both halves.
 */
export function hashSeed(...parts: (number | string)[]): number {
  let h = 0x9e3779b9;
  const absorb = (w: number): void => {
    h = fmix32((h ^ fmix32(w >>> 0)) + 0x7f4a7c15);
  };
  for (const p of parts) {
    if (typeof p === 'number') {
      absorb(0x6e756d); // type tag: number
      absorb(p >>> 0);
      absorb(Math.floor(p / 0x100000000) >>> 0);
    } else {
      absorb(0x737472); // type tag: string
      absorb(p.length);
      for (let i = 0; i < p.length; i++) absorb(p.charCodeAt(i));
    }
  }
  return h;
}

/** xoshiro128**: 128-bit state, period 2^128 − 1, 32-bit outputs. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds the state from a 32-bit seed with splitmix32, so nearby seeds give unrelated streams. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** Next output as an unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Log-uniform double in [lo, hi) (lo, hi > 0): every octave equally likely. */
  logUniform(lo: number, hi: number): number {
    return lo * Math.pow(hi / lo, this.next());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A shuffled copy of `items` (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /**
   * Standard normal deviate N(0, 1), by the ziggurat method of Marsaglia & Tsang (2000) with
   * 128 layers: one 32-bit draw and a table look-up in 98.8 % of cases.
   */
  gauss(): number {
    const hz = this.u32() | 0;
    const iz = hz & 127;
    if (Math.abs(hz) < ZIG_K[iz]) return hz * ZIG_W[iz];
    return this.gaussTail(hz, iz);
  }

  /** The ziggurat's slow path: wedges and the tail beyond r. */
  private gaussTail(hz: number, iz: number): number {
    for (;;) {
      const x = hz * ZIG_W[iz];
      if (iz === 0) {
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(1 - this.next()) / ZIG_R;
          ty = -Math.log(1 - this.next());
        } while (ty + ty < tx * tx);
        return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      if (ZIG_F[iz] + this.next() * (ZIG_F[iz - 1] - ZIG_F[iz]) < Math.exp(-0.5 * x * x)) return x;
      hz = this.u32() | 0;
      iz = hz & 127;
      if (Math.abs(hz) < ZIG_K[iz]) return hz * ZIG_W[iz];
    }
  }

  /** Fills `out` with independent N(0, std²) deviates and returns it. */
  fillGauss(out: Float32Array, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = std * this.gauss();
    return out;
  }
}

/** Start of the ziggurat's tail. */
const ZIG_R = 3.442619855899;
/** Ziggurat tables (Marsaglia & Tsang 2000, 128 layers): thresholds, widths, densities. */
const ZIG_K = new Float64Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = Math.floor((dn / q) * m1);
  ZIG_K[1] = 0;
  ZIG_W[0] = q / m1;
  ZIG_W[127] = dn / m1;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / m1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
