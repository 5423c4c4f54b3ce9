/**
 * NumPy .npy (format 1.0/2.0) reading and writing for float32, float16, float64, uint8, int16 and
 * int32 arrays in C order, little-endian. The file format: magic "\x93NUMPY", version, header
 * length, a Python-dict header, raw data. Half floats (<f2) are held as their raw bits in a
 * Uint16Array; `floatToHalf` / `halfToFloat` convert (IEEE 754 binary16, round to nearest even).
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from './errors.js';
import { tempPathFor, writeChunksAtomic } from './atomic.js';

export type NpyDtype = '<f4' | '<f2' | '|u1' | '<f8' | '<i2' | '<i4';
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /**
   * Float32Array for <f4, Uint16Array (raw half floats) for <f2, Uint8Array for |u1, Float64Array
   * for <f8, Int16Array for <i2, Int32Array for <i4.
   */
  data: Float32Array | Uint16Array | Uint8Array | Float64Array | Int16Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const BYTES: Record<NpyDtype, number> = { '<f4': 4, '<f2': 2, '|u1': 1, '<f8': 8, '<i2': 2, '<i4': 4 };

/**
 * The header bytes (magic … padded dict) for an array of this dtype and shape: a multiple of 64
 * bytes, and at least `minLength` (so that a header written before the row count is known can
 * be rewritten in place with the final shape).
 */
export function npyHeader(dtype: NpyDtype, shape: readonly number[], minLength = 0): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pre = 10;
  const total = Math.ceil(Math.max(pre + dict.length + 1, minLength) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = dict.length & 0xff;
  out[9] = dict.length >> 8;
  out.set(Buffer.from(dict, 'latin1'), pre);
  return out;
}

/** Encodes a typed array as a complete .npy file in memory. */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const header = npyHeader(arr.dtype, arr.shape);
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** Writes a float32 2-D array (height, width) atomically as .npy. */
export async function writeNpyFloat32(
  path: string,
  data: Float32Array,
  shape: readonly number[],
): Promise<void> {
  const header = npyHeader('<f4', shape);
  await writeChunksAtomic(path, [header, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Writes any supported array atomically as .npy (temporary file, fsync'd, renamed). */
export async function writeNpy(path: string, arr: NpyArray): Promise<void> {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length)
    throw new RangeError(
      `shape (${arr.shape.join(', ')}) holds ${count} values but the data has ${arr.data.length}`,
    );
  if (arr.data.BYTES_PER_ELEMENT !== BYTES[arr.dtype])
    throw new RangeError(
      `dtype ${arr.dtype} needs ${BYTES[arr.dtype]}-byte elements, not ${arr.data.BYTES_PER_ELEMENT}`,
    );
  const header = npyHeader(arr.dtype, arr.shape);
  await writeChunksAtomic(path, [
    header,
    new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength),
  ]);
}

/**
 * A .npy file written row block by row block, for arrays too large to hold in memory (shape
 * (rows, ...rowShape), the row count known only at the end). Data goes to a temporary sibling
 * file behind a header sized for `maxRows`; `close()` writes the final header in place, fsyncs
 * and renames, so the target appears complete or not at all. `discard()` removes the temporary.
 */
export class NpyRowWriter {
  private fd: number | undefined;
  private readonly tmp: string;
  private readonly headerLength: number;
  private readonly rowLength: number;
  private position: number;
  rows = 0;

  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly rowShape: readonly number[],
    maxRows: number,
  ) {
    this.rowLength = rowShape.reduce((a, b) => a * b, 1);
    this.headerLength = npyHeader(dtype, [maxRows, ...rowShape]).length;
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = tempPathFor(path);
    this.fd = openSync(this.tmp, 'w');
    // Placeholder header (rewritten by close), so the data starts at its final offset.
    writeSync(this.fd, npyHeader(dtype, [0, ...rowShape], this.headerLength));
    this.position = this.headerLength;
  }

  /** Appends whole rows (`data.length` must be a multiple of the row length). */
  append(data: NpyArray['data']): void {
    if (this.fd === undefined) throw new Error(`${this.path}: writer already closed`);
    if (data.BYTES_PER_ELEMENT !== BYTES[this.dtype] || data.length % this.rowLength !== 0)
      throw new RangeError(
        `${this.path}: ${data.length} values are not whole rows of ${this.rowLength} ${this.dtype}`,
      );
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.fd, bytes, done, bytes.length - done, this.position + done);
    }
    this.position += bytes.length;
    this.rows += data.length / this.rowLength;
  }

  /** Writes the final header, syncs and renames the file into place. */
  close(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: writer already closed`);
    const fd = this.fd;
    this.fd = undefined;
    try {
      const header = npyHeader(this.dtype, [this.rows, ...this.rowShape], this.headerLength);
      if (header.length !== this.headerLength)
        throw new RangeError(`${this.path}: ${this.rows} rows exceed the header's reserved size`);
      writeSync(fd, header, 0, header.length, 0);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(this.tmp, this.path);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(this.tmp, { force: true });
      throw err;
    }
  }

  /** Abandons the file: closes and removes the temporary. */
  discard(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    rmSync(this.tmp, { force: true });
  }
}

/** What a .npy header says: dtype, shape, order, and where the data starts and how long it is. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  fortran: boolean;
  /** Byte offset of the data. */
  offset: number;
  /** Bytes of data the shape and dtype need. */
  need: number;
}

/** Parses the header at the start of a .npy file's bytes (the data need not follow). */
function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  if (bytes.length < 12 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(`${name}: not a NumPy .npy file (bad magic)`);
  }
  const major = bytes[6];
  const headerLen =
    major === 1
      ? bytes[8] | (bytes[9] << 8)
      : new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new InputError(`${name}: truncated .npy header`);
  const header = Buffer.from(bytes.subarray(start, start + headerLen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new InputError(`${name}: unreadable .npy header`);
  if (!(descr in BYTES))
    throw new InputError(
      `${name}: unsupported .npy dtype ${descr} (expected <f4, <f2, <f8, |u1, <i2 or <i4)`,
    );
  const dtype = descr as NpyDtype;
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0))
    throw new InputError(`${name}: bad .npy shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  return { dtype, shape, fortran: fortran === 'True', offset: start + headerLen, need: count * BYTES[dtype] };
}

/** Reads only a .npy file's header (and checks the file is long enough for its data). */
export function readNpyHeader(path: string): NpyHeader {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(65536 + 12);
    const got = readSync(fd, head, 0, head.length, 0);
    const h = parseNpyHeader(head.subarray(0, got), path);
    const size = fstatSync(fd).size;
    if (size - h.offset < h.need)
      throw new InputError(`${path}: truncated .npy data (${size - h.offset} of ${h.need} bytes)`);
    return h;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Parses a .npy file's bytes; `name` is used in error messages. */
export function decodeNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  const { dtype, shape, fortran, offset, need } = parseNpyHeader(bytes, name);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset < need)
    throw new InputError(`${name}: truncated .npy data (${bytes.length - offset} of ${need} bytes)`);
  // Uint8Array.prototype.slice copies (Buffer#slice would return a view into a shared pool).
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + need);
  const buf = copy.buffer;
  const data = VIEW[dtype](buf, count);
  if (fortran) {
    if (shape.length > 2)
      throw new InputError(`${name}: Fortran-order .npy arrays of more than 2 dimensions are not supported`);
    if (shape.length === 2) return { dtype, shape, data: transposeToC(data, shape[0], shape[1]) };
  }
  return { dtype, shape, data };
}

const VIEW: Record<NpyDtype, (buf: ArrayBuffer, n: number) => NpyArray['data']> = {
  '<f4': (b, n) => new Float32Array(b, 0, n),
  '<f2': (b, n) => new Uint16Array(b, 0, n),
  '<f8': (b, n) => new Float64Array(b, 0, n),
  '|u1': (b, n) => new Uint8Array(b, 0, n),
  '<i2': (b, n) => new Int16Array(b, 0, n),
  '<i4': (b, n) => new Int32Array(b, 0, n),
};

/** Column-major (rows, cols) data → row-major copy. */
function transposeToC<T extends NpyArray['data']>(data: T, rows: number, cols: number): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out[r * cols + c] = data[c * rows + r];
  return out;
}

/** Reads a .npy file from disk (errors name the file). */
export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeNpy(bytes, path);
}

/** Converts any .npy array to Float32Array (half floats decoded, integers converted). */
export function npyToFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.dtype === '<f2') return halfsToFloat32(arr.data as Uint16Array);
  return Float32Array.from(arr.data);
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

let halfTable: Float32Array | undefined;

/** Half-float bits → float32, for a whole array (a 65536-entry table, built on first use). */
export function halfsToFloat32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  const t = halfTable;
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * number → IEEE 754 binary16 bits, rounded to nearest (ties to even) from the float32 value, as
 * numpy's `astype(float16)`: overflow gives ±Infinity, tiny values subnormals or ±0, NaN stays NaN.
 */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // the half exponent field (bias 15 instead of 127)
  if (e >= 31) return sign | 0x7c00;
  if (e >= 1) {
    // Normal: keep 10 of the 23 mantissa bits; a carry out of the mantissa bumps the exponent
    // (and 0x7bff + 1 = 0x7c00 is Infinity), as it should.
    const h = sign | (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    return rest > 0x1000 || (rest === 0x1000 && h & 1) ? h + 1 : h;
  }
  // Subnormal half: value = full · 2^(exp − 150) = m · 2^−24, so m = full >> (14 − e).
  const shift = 14 - e;
  if (shift > 24) return sign;
  const full = mant | 0x800000;
  const m = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return sign | (rest > halfway || (rest === halfway && m & 1) ? m + 1 : m);
}

/** float32 array → half-float bits (round to nearest even), into `out` when given. */
export function float32ToHalfs(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = floatToHalf(src[i]);
  return out;
}
