/**
 * Digests for fingerprints stored without one (older stores, imports by other tools), or with one
 * smaller than today's default for their size (stores from before digests grew with the pixel
 * count: a 6 MP fingerprint had 16,384 values, too few to find weak probes).
 */
import type { Store } from '../store/index.js';
import { defaultDigestSize, makeDigest } from './digest.js';

/**
 * Computes and stores the digest of every fingerprint that has none (or, without an explicit
 * `digestSize`, a smaller one than the default for its size), one fingerprint in memory at a
 * time. Returns how many it made. A fingerprint replaced meanwhile is skipped (its new version
 * came with its own digest, or the next call makes one).
 */
export async function ensureDigests(
  store: Store,
  options: { digestSize?: number; onProgress?: (done: number, total: number, camera: string) => void } = {},
): Promise<number> {
  const wanted = (pixels: number) => options.digestSize ?? defaultDigestSize(pixels);
  const missing = (await store.listFingerprints()).filter(
    (r) =>
      r.digestSize === 0 || (options.digestSize === undefined && r.digestSize < wanted(r.width * r.height)),
  );
  let made = 0;
  for (const [i, r] of missing.entries()) {
    const fp = await store.getFingerprint(r.camera);
    if (fp !== undefined && fp.record.dataSha256 === r.dataSha256) {
      try {
        await store.putDigest(r.camera, r.dataSha256, makeDigest(fp.data, wanted(fp.data.length)));
        made++;
      } catch (err) {
        // Replaced between the read and the write: the newer fingerprint is not ours to digest.
        const now = await store.getFingerprintRecord(r.camera);
        if (now !== undefined && now.dataSha256 === r.dataSha256) throw err;
      }
    }
    options.onProgress?.(i + 1, missing.length, r.camera);
  }
  return made;
}
