/**
 * The digest stage's inner loop on WebAssembly SIMD: digest-sums.as.ts (AssemblyScript, compiled
 * by `npm run build` to digest-sums.wasm beside this file) takes the five sums of the digest
 * detector (score.ts) for four orientations of the query at once, one per SIMD lane. Measured
 * 3–5× faster than the same sums in JavaScript (bench/search.ts), with z equal to digestScore's to
 * about 1e-6 (search.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { FingerprintDigest } from '../store/index.js';
import { scoreFromSums } from './score.js';

type DigestSumsMany = (
  query: number,
  table: number,
  count: number,
  band: number,
  scratch: number,
  out: number,
) => void;

let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./digest-sums.wasm', import.meta.url)));
  return compiled;
}

const PAGE = 65536;
/** Float32 per pixel of the laid-out query: W of orientations 0–3, then I of orientations 0–3. */
const LANES = 4;
const PER_PIXEL = 2 * LANES;
/** Bytes of the sums the kernel writes per digest: 5 float64 per orientation. */
const SUMS_BYTES = 5 * LANES * 8;
/** Bytes per digest in the batch table: address, k, cursor, padding (u32 each). */
const TABLE_BYTES = 16;
/**
 * Pixels per band of scoreMany: 8,192 pixels of laid-out query are 256 KB, which stay in a core's
 * L2 cache while every digest of the batch reads its samples there (measured at 6 MP, batches
 * of 21 digests: 3.1 ms per digest with 8,192, 4.0 with 32,768, 4.5 with 131,072; 7.2 ms
 * scored one by one).
 */
const BAND_PIXELS = 8_192;

/**
 * Scores digests against one query at a time. Memory layout: [query][batch table][scratch
 * sums][sums][digests]; the query stays laid out until the next setQuery with another key, so a
 * worker thread that scores many batches of one query lays it out once.
 */
export class DigestScorer {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly sumsMany: DigestSumsMany;
  private key: string | undefined;
  private pixels = 0;
  private orientations = 0;

  constructor() {
    const instance = new WebAssembly.Instance(kernelModule(), {
      env: {
        memory: this.memory,
        abort: () => {
          throw new Error('digest kernel aborted');
        },
      },
    });
    this.sumsMany = instance.exports.digestSumsMany as DigestSumsMany;
  }

  /**
   * Lays out 1 to 4 orientations of the query (residual W and grey intensity I, each laid out
   * like the fingerprint, all of one size); `key` names this query so that the same one is not
   * laid out twice.
   */
  setQuery(key: string, residuals: readonly Float32Array[], intensities: readonly Float32Array[]): void {
    if (key === this.key) return;
    const count = residuals.length;
    if (count < 1 || count > LANES || intensities.length !== count)
      throw new RangeError(`Expected 1 to ${LANES} orientations but received ${count}`);
    const pixels = residuals[0].length;
    this.reserve(pixels * PER_PIXEL * 4);
    const query = new Float32Array(this.memory.buffer, 0, pixels * PER_PIXEL);
    query.fill(0); // lanes of orientations not given stay 0, so their sums are 0 (score 0)
    for (let o = 0; o < count; o++) {
      const w = residuals[o];
      const i = intensities[o];
      if (w.length !== pixels || i.length !== pixels)
        throw new RangeError(`orientation ${o}: ${w.length}/${i.length} values, expected ${pixels}`);
      for (let p = 0, at = o; p < pixels; p++, at += PER_PIXEL) {
        query[at] = w[p];
        query[at + LANES] = i[p];
      }
    }
    this.key = key;
    this.pixels = pixels;
    this.orientations = count;
  }

  /** The best z over the query's orientations for one digest. */
  score(digest: FingerprintDigest): number {
    return this.scoreMany([digest])[0];
  }

  /**
   * The best z over the query's orientations for each digest, all scored in one walk through the
   * query (band by band: see digest-sums.as.ts), which on a large query reads it from memory
   * once per batch instead of once per digest.
   */
  scoreMany(digests: readonly FingerprintDigest[]): Float64Array {
    if (this.key === undefined) throw new Error('DigestScorer: setQuery first');
    const count = digests.length;
    const tableAt = this.pixels * PER_PIXEL * 4;
    const scratchAt = tableAt + count * TABLE_BYTES;
    const outAt = scratchAt + count * SUMS_BYTES;
    let at = outAt + count * SUMS_BYTES;
    const placed: number[] = [];
    for (const d of digests) {
      placed.push(at);
      at += d.indices.length * 8;
    }
    this.reserve(at);
    const buffer = this.memory.buffer;
    const table = new Uint32Array(buffer, tableAt, count * 4);
    digests.forEach(({ indices, values }, n) => {
      const k = indices.length;
      // Indices are checked at the store's edge (strictly increasing, inside the fingerprint); a
      // digest of another size than the query would read out of bounds, so check the last one.
      if (k > 0 && indices[k - 1] >= this.pixels)
        throw new RangeError(`digest index ${indices[k - 1]} outside the query's ${this.pixels} pixels`);
      new Uint32Array(buffer, placed[n], k).set(indices);
      new Float32Array(buffer, placed[n] + 4 * k, k).set(values);
      table[4 * n] = placed[n];
      table[4 * n + 1] = k;
    });
    this.sumsMany(0, tableAt, count, BAND_PIXELS, scratchAt, outAt);
    const sums = new Float64Array(buffer, outAt, count * 5 * LANES);
    const scores = new Float64Array(count);
    digests.forEach(({ indices }, n) => {
      let best = -Infinity;
      for (let o = 0; o < this.orientations; o++)
        best = Math.max(best, scoreFromSums(sums, n * 5 * LANES + o * 5, indices.length));
      scores[n] = best;
    });
    return scores;
  }

  private reserve(bytes: number): void {
    const need = Math.ceil(bytes / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
  }
}

let mainThread: DigestScorer | undefined;

/** One scorer per thread (the query it holds is reused across batches). */
export function threadScorer(): DigestScorer {
  mainThread ??= new DigestScorer();
  return mainThread;
}
