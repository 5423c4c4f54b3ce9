/** Reading a data set's shards back (for evaluation in TypeScript and for tests). */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../util/errors.js';
import { halfsToFloat32, npyToFloat32, readNpy, readNpyHeader } from '../../util/npy.js';
import { readManifest, type Manifest } from './manifest.js';
import type { Split } from './options.js';

export interface ShardData {
  /** Crops (count, channels, crop, crop), float32 (decoded from the stored float16). */
  x: Float32Array;
  /** Class index per crop. */
  y: Int16Array;
  /** Source photo (index into manifest.sources) per crop. */
  src: Int32Array;
  /** [count, channels, crop, crop] */
  shape: [number, number, number, number];
}

/**
 * Shard `i` of a split of the data set in folder `ds`, checked against its manifest (dtypes,
 * shapes, counts). Pass the manifest when it is already read.
 * @throws InputError naming the file when the shard is missing or does not fit
 */
export function readShard(ds: string, split: Split, i: number, manifest?: Manifest): ShardData {
  const m = manifest ?? readManifest(ds);
  const entry = m.shards[split]?.[i];
  if (!entry)
    throw new InputError(
      `${ds}: the ${split} split has no shard ${i} (it has ${m.shards[split]?.length ?? 0})`,
    );
  const shape: ShardData['shape'] = [entry.count, m.channels, m.crop, m.crop];
  const xPath = join(ds, entry.x);
  const xa = readNpy(xPath);
  if ((xa.dtype !== '<f2' && xa.dtype !== '<f4') || xa.shape.join() !== shape.join())
    throw new InputError(
      `${xPath}: expected float16 (${shape.join(', ')}), got ${xa.dtype} (${xa.shape.join(', ')})`,
    );
  const ya = readNpy(join(ds, entry.y));
  if (ya.dtype !== '<i2' || ya.shape.join() !== String(entry.count))
    throw new InputError(
      `${join(ds, entry.y)}: expected int16 (${entry.count},), got ${ya.dtype} (${ya.shape.join(', ')})`,
    );
  const sa = readNpy(join(ds, entry.src));
  if (sa.dtype !== '<i4' || sa.shape.join() !== String(entry.count))
    throw new InputError(
      `${join(ds, entry.src)}: expected int32 (${entry.count},), got ${sa.dtype} (${sa.shape.join(', ')})`,
    );
  return { x: npyToFloat32(xa), y: ya.data as Int16Array, src: sa.data as Int32Array, shape };
}

/**
 * Up to `n` crops of class `label` from a data set's shards (train, then val, then test), each
 * (channels, crop, crop) float32; only those crops' bytes are read (a shard may hold gigabytes).
 * @throws InputError naming the file when a shard is missing or does not fit its manifest
 */
export function readClassCrops(ds: string, label: number, n: number, manifest?: Manifest): Float32Array[] {
  const m = manifest ?? readManifest(ds);
  const values = m.channels * m.crop * m.crop;
  const out: Float32Array[] = [];
  for (const split of ['train', 'val', 'test'] as const) {
    for (const entry of m.shards[split]) {
      if (out.length >= n) return out;
      const ya = readNpy(join(ds, entry.y));
      if (ya.dtype !== '<i2' || ya.shape.join() !== String(entry.count))
        throw new InputError(`${join(ds, entry.y)}: expected int16 (${entry.count},), got ${ya.dtype}`);
      const rows: number[] = [];
      const y = ya.data as Int16Array;
      for (let i = 0; i < y.length && out.length + rows.length < n; i++) if (y[i] === label) rows.push(i);
      if (rows.length === 0) continue;
      const xPath = join(ds, entry.x);
      const h = readNpyHeader(xPath);
      const shape = [entry.count, m.channels, m.crop, m.crop];
      if ((h.dtype !== '<f2' && h.dtype !== '<f4') || h.shape.join() !== shape.join() || h.fortran)
        throw new InputError(
          `${xPath}: expected float16 (${shape.join(', ')}), got ${h.dtype} (${h.shape.join(', ')})`,
        );
      const bytesPer = h.dtype === '<f2' ? 2 : 4;
      const buf = Buffer.alloc(values * bytesPer);
      const fd = openSync(xPath, 'r');
      try {
        for (const row of rows) {
          const got = readSync(fd, buf, 0, buf.length, h.offset + row * buf.length);
          if (got !== buf.length) throw new InputError(`${xPath}: truncated at crop ${row}`);
          const copy = new Uint8Array(buf).buffer;
          out.push(bytesPer === 2 ? halfsToFloat32(new Uint16Array(copy)) : new Float32Array(copy));
        }
      } finally {
        closeSync(fd);
      }
    }
  }
  return out;
}
