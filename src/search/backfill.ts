/** Digests for fingerprints stored without one (older stores, imports by other tools). */
import type { Store } from '../store/index.js';
import { DEFAULT_DIGEST_SIZE, makeDigest } from './digest.js';

/**
 * Computes and stores the digest of every fingerprint that has none, one fingerprint in memory
 * at a time. Returns how many it made. A fingerprint replaced meanwhile is skipped (its new
 * version came with its own digest, or the next call makes one).
 */
export async function ensureDigests(
  store: Store,
  options: { digestSize?: number; onProgress?: (done: number, total: number, camera: string) => void } = {},
): Promise<number> {
  const missing = (await store.listFingerprints()).filter((r) => r.digestSize === 0);
  let made = 0;
  for (const [i, r] of missing.entries()) {
    const fp = await store.getFingerprint(r.camera);
    if (fp !== undefined && fp.record.dataSha256 === r.dataSha256) {
      try {
        await store.putDigest(
          r.camera,
          r.dataSha256,
          makeDigest(fp.data, options.digestSize ?? DEFAULT_DIGEST_SIZE),
        );
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
