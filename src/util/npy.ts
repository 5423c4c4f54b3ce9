/**
 * NumPy .npy (format 1.0/2.0) reading and writing for float32, float16 and uint8 arrays in C order.
 * The file format: magic "\x93NUMPY", version, header length, a Python-dict header, raw data.
 */
import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';
import { writeChunksAtomic } from './atomic.js';

export type NpyDtype = '<f4' | '<f2' | '|u1' | '<f8';
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Float32Array for <f4, Uint16Array (raw half floats) for <f2, Uint8Array for |u1, Float64Array for <f8. */
  data: Float32Array | Uint16Array | Uint8Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const BYTES: Record<NpyDtype, number> = { '<f4': 4, '<f2': 2, '|u1': 1, '<f8': 8 };

/** The header bytes (magic … padded dict) for an array of this dtype and shape. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pre = 10;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
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

/** Parses a .npy file's bytes; `name` is used in error messages. */
export function decodeNpy(bytes: Uint8Array, name = 'array'): NpyArray {
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
    throw new InputError(`${name}: unsupported .npy dtype ${descr} (expected <f4, <f2, <f8 or |u1)`);
  const dtype = descr as NpyDtype;
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0))
    throw new InputError(`${name}: bad .npy shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const need = count * BYTES[dtype];
  if (bytes.length - offset < need)
    throw new InputError(`${name}: truncated .npy data (${bytes.length - offset} of ${need} bytes)`);
  // Uint8Array.prototype.slice copies (Buffer#slice would return a view into a shared pool).
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + need);
  const buf = copy.buffer;
  const data =
    dtype === '<f4'
      ? new Float32Array(buf, 0, count)
      : dtype === '<f2'
        ? new Uint16Array(buf, 0, count)
        : dtype === '<f8'
          ? new Float64Array(buf, 0, count)
          : new Uint8Array(buf, 0, count);
  if (fortran === 'True') {
    if (shape.length > 2)
      throw new InputError(`${name}: Fortran-order .npy arrays of more than 2 dimensions are not supported`);
    if (shape.length === 2) return { dtype, shape, data: transposeToC(data, shape[0], shape[1]) };
  }
  return { dtype, shape, data };
}

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

/** Converts any float .npy array to Float32Array. */
export function npyToFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.data instanceof Float64Array) return Float32Array.from(arr.data);
  if (arr.dtype === '<f2') {
    const src = arr.data as Uint16Array;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
    return out;
  }
  return Float32Array.from(arr.data as Uint8Array);
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
