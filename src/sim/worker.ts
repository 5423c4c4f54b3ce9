/**
 * Worker-thread entry (piscina): renders one shot and writes its JPEG atomically. Each worker
 * keeps the PRNU patterns of the last few devices it rendered, since consecutive tasks mostly
 * share a device.
 */
import { writeFileAtomic } from '../util/atomic.js';
import { devicePrnu } from './camera.js';
import { renderShot, type ShotSpec } from './render.js';

/** One task: the shot and the file it goes to. */
export interface ShotTask {
  spec: ShotSpec;
  /** Absolute path of the JPEG. */
  file: string;
}

const PRNU_CACHE_SIZE = 4;
const prnuCache = new Map<string, Float32Array>();

function prnuFor(spec: ShotSpec): Float32Array {
  const { device, width, height } = spec;
  const key = `${device.seed}:${device.prnuStd}:${device.prnuLowFrequency}:${width}x${height}`;
  let k = prnuCache.get(key);
  if (k) {
    prnuCache.delete(key); // most recently used goes last
  } else {
    k = devicePrnu(device, width, height);
    if (prnuCache.size >= PRNU_CACHE_SIZE) prnuCache.delete(prnuCache.keys().next().value as string);
  }
  prnuCache.set(key, k);
  return k;
}

/** Renders the shot and writes it; returns the file and its size in bytes. */
export async function runShot(task: ShotTask): Promise<{ file: string; bytes: number }> {
  const jpeg = await renderShot(task.spec, prnuFor(task.spec));
  writeFileAtomic(task.file, jpeg);
  return { file: task.file, bytes: jpeg.length };
}

export default runShot;
