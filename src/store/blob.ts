/**
 * Float32Array ↔ bytes for fingerprint blobs: IEEE 754 binary32, little-endian, in array order
 * (row-major (height, width) for a fingerprint). Bit-exact both ways (NaN payloads, −0 and
 * subnormals included), whatever the array's byteOffset and whatever the host's byte order.
 */
import { endianness } from 'node:os';
import { InputError } from '../util/errors.js';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The array's bytes in little-endian order. On a little-endian host this is a view of the
 * array's own memory (no copy): use it before the array can change.
 */
export function float32ToBytes(data: Float32Array): Buffer {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return view;
  const out = Buffer.from(view);
  out.swap32();
  return out;
}

/**
 * A new Float32Array (its own aligned memory) from little-endian bytes. `count` is the number
 * of values the caller expects; `name` says what the bytes are, for the error when the length
 * does not match.
 */
export function bytesToFloat32(bytes: Uint8Array, count: number, name: string): Float32Array {
  checkFloat32Length(bytes.byteLength, count, name);
  const out = new Float32Array(count);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(bytes);
  if (!LITTLE_ENDIAN) Buffer.from(out.buffer).swap32();
  return out;
}

/**
 * Refuses stored data of `byteLength` bytes that should hold `count` float32 values (a corrupt
 * database), with the message bytesToFloat32 gives; for backends that read a blob in pieces.
 */
export function checkFloat32Length(byteLength: number, count: number, name: string): void {
  if (byteLength !== count * 4) {
    throw new InputError(
      `${name}: stored data has ${byteLength} bytes but ${count} float32 values need ${count * 4}; the database is corrupt`,
    );
  }
}

/**
 * A fingerprint digest as one blob: k uint32 indices then k float32 values, both little-endian.
 * The caller has checked the digest (checkDigest in validate.ts).
 */
export function digestToBytes(indices: Uint32Array, values: Float32Array): Buffer {
  const out = Buffer.alloc(indices.length * 8);
  out.set(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength));
  if (!LITTLE_ENDIAN) out.subarray(0, indices.length * 4).swap32();
  out.set(float32ToBytes(values), indices.length * 4);
  return out;
}

/** The digest a blob holds (views of the blob's own memory where aligned, else new arrays); `name` says whose, for the error when the blob is torn. */
export function bytesToDigest(
  bytes: Uint8Array,
  name: string,
): { indices: Uint32Array; values: Float32Array } {
  if (bytes.byteLength % 8 !== 0) {
    throw new InputError(
      `${name}: stored digest has ${bytes.byteLength} bytes, not a multiple of 8; the database is corrupt`,
    );
  }
  const k = bytes.byteLength / 8;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    // The driver's buffer is the digest's own: view it in place (a scan reads thousands of them).
    return {
      indices: new Uint32Array(bytes.buffer, bytes.byteOffset, k),
      values: new Float32Array(bytes.buffer, bytes.byteOffset + k * 4, k),
    };
  }
  const indices = new Uint32Array(k);
  new Uint8Array(indices.buffer).set(bytes.subarray(0, k * 4));
  if (!LITTLE_ENDIAN) Buffer.from(indices.buffer).swap32();
  const values = bytesToFloat32(bytes.subarray(k * 4), k, name);
  return { indices, values };
}
