/**
 * Test data for the Store contract (contract.ts) and its writer processes (contract-writer.ts).
 */
import { createHash } from 'node:crypto';
import type { ImageInput, MatchInput, PutFingerprintInput } from './types.js';

/** Deterministic pseudo-random 32-bit words (mulberry32). */
export function words(seed: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}

export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function imageInput(tag: string, extra: Partial<ImageInput> = {}): ImageInput {
  return {
    sha256: sha256Of(tag),
    path: `/evidence/${tag}.jpg`,
    width: 640,
    height: 480,
    format: 'jpeg',
    ...extra,
  };
}

/** A small fingerprint whose values depend on `seed`. */
export function fingerprintInput(
  camera: string,
  seed: number,
  extra: Partial<PutFingerprintInput> = {},
): PutFingerprintInput {
  const width = 8;
  const height = 6;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 131 + i) * 0.01;
  return {
    camera,
    width,
    height,
    images: 2,
    quality: { meanPce: 1000 + seed, energy: 0.5 },
    params: { sigma: 5, levels: 4 },
    data,
    sources: [imageInput(`${camera}-${seed}-a`), imageInput(`${camera}-${seed}-b`)],
    ...extra,
  };
}

/** A match of image `tag` with camera "cam". */
export function matchInput(tag: string): MatchInput {
  return {
    image: imageInput(tag),
    camera: 'cam',
    pce: 812.25,
    ncc: 0.0125,
    pFalseAlarm: 1e-180,
    shiftY: 4,
    decision: 'match',
    threshold: 60,
    params: { search: 'full' },
  };
}
