/**
 * Two-stage search of a fingerprint database (DESIGN §3.4): every stored digest is scored against
 * the query (digest detector, score.ts), streamed from the store in batches so the database need
 * not fit in memory; the best few — at least `minRerank`, and every one whose score stands out
 * from the rest at the database-wide false-alarm rate — are then tested with the full PCE
 * detector, which alone decides. Queries smaller than a fingerprint (crops) cannot be digested
 * without a shift search, so those fingerprints get the full detector directly.
 */
import { rotatePlane, type DetectOptions, type Plane } from '../prnu/index.js';
import type { ResidualResult } from '../pool/index.js';
import { testFingerprint, type MatchResult } from '../services/index.js';
import type { FingerprintRecord, Store } from '../store/index.js';
import { digestScore, standOutScore } from './score.js';

export interface SearchOptions extends DetectOptions {
  /** Candidates always re-ranked by full PCE (the best digest scores): 5. */
  minRerank?: number;
  /** Most candidates re-ranked by full PCE: 50. */
  maxRerank?: number;
  /** Database-wide false-alarm probability that sets the stand-out score: 1e-3. */
  standOutPfa?: number;
  /** Digests read per batch: 512. */
  batchSize?: number;
}

export const SEARCH_DEFAULTS = { minRerank: 5, maxRerank: 50, standOutPfa: 1e-3, batchSize: 512 };

/** A fingerprint as the digest stage ranked it. */
export interface DigestCandidate {
  camera: string;
  /** Digest score z (≈ N(0,1) for another sensor), the best over the query's orientations. */
  score: number;
}

export interface SearchReport {
  /** Full-detector results, best PCE first (not comparable last). */
  results: (MatchResult & { digestScore: number | null })[];
  /** The best digest scores, best first (at most maxRerank). */
  ranked: DigestCandidate[];
  /** Fingerprints in the store. */
  fingerprints: number;
  /** Digests scored. */
  scanned: number;
  /** The stand-out score and how many digests reached it. */
  standOut: { score: number; count: number };
  /** Fingerprints tested by the full detector after the digest stage. */
  reranked: number;
  /** Fingerprints larger than the query (a crop), tested by the full detector without a digest. */
  cropTested: number;
  /** Fingerprints of another size than the query in every orientation. */
  notComparable: number;
  seconds: { scan: number; rerank: number };
}

/** One orientation of the query, laid out as a fingerprint of its size would be. */
interface Orientation {
  h: number;
  w: number;
  residual: Float32Array;
  intensity: Float32Array;
}

/** The query turned by each quarter turn the detector would try, grouped by the size that results. */
function orientations(q: ResidualResult, rotations: boolean): Map<string, Orientation[]> {
  const byShape = new Map<string, Orientation[]>();
  for (const quarter of rotations ? [0, 1, 2, 3] : [0]) {
    const w: Plane = rotatePlane({ data: q.residual, h: q.height, w: q.width }, quarter);
    const i: Plane = rotatePlane({ data: q.intensity, h: q.height, w: q.width }, quarter);
    const key = `${w.w}x${w.h}`;
    const list = byShape.get(key) ?? [];
    list.push({ h: w.h, w: w.w, residual: w.data, intensity: i.data });
    byShape.set(key, list);
  }
  return byShape;
}

/** Keeps the `capacity` best candidates seen (a sorted array: capacity is small). */
class Best {
  readonly items: DigestCandidate[] = [];
  constructor(private readonly capacity: number) {}
  offer(c: DigestCandidate): void {
    const items = this.items;
    if (items.length === this.capacity && c.score <= items[items.length - 1].score) return;
    let at = items.length;
    while (at > 0 && items[at - 1].score < c.score) at--;
    items.splice(at, 0, c);
    if (items.length > this.capacity) items.pop();
  }
}

/** Searches every stored fingerprint for the query's camera. Digests must exist (ensureDigests). */
export async function searchStore(
  store: Store,
  q: ResidualResult,
  options: SearchOptions = {},
): Promise<SearchReport> {
  const opts = { ...SEARCH_DEFAULTS, ...options };
  if (!(opts.minRerank >= 1 && opts.maxRerank >= opts.minRerank)) {
    throw new RangeError(`need 1 ≤ minRerank (${opts.minRerank}) ≤ maxRerank (${opts.maxRerank})`);
  }
  const records = await store.listFingerprints();
  const shapes = orientations(q, options.rotations ?? true);
  const fits = (r: FingerprintRecord, strict: boolean) =>
    [...shapes.values()].some(([o]) =>
      strict ? o.h === r.height && o.w === r.width : o.h <= r.height && o.w <= r.width,
    );
  const digestible = records.filter((r) => fits(r, true));
  const cropped = records.filter((r) => !fits(r, true) && fits(r, false));
  const zStand = standOutScore(Math.max(1, digestible.length), opts.standOutPfa);

  const t0 = performance.now();
  const best = new Best(opts.maxRerank);
  let scanned = 0;
  let standing = 0;
  for (const group of shapes.values()) {
    const { w: width, h: height } = group[0];
    if (!digestible.some((r) => r.width === width && r.height === height)) continue;
    for await (const batch of store.scanDigests({ width, height, batchSize: opts.batchSize })) {
      for (const entry of batch) {
        let score = -Infinity;
        for (const o of group) score = Math.max(score, digestScore(entry.digest, o.residual, o.intensity));
        scanned++;
        if (score >= zStand) standing++;
        best.offer({ camera: entry.camera, score });
      }
    }
  }
  const t1 = performance.now();

  const chosen = best.items.slice(0, Math.min(opts.maxRerank, Math.max(opts.minRerank, standing)));
  const results: SearchReport['results'] = [];
  for (const c of [...chosen, ...cropped.map((r) => ({ camera: r.camera, score: null }))]) {
    const fp = await store.getFingerprint(c.camera);
    if (fp === undefined) continue; // deleted since the scan
    const r = testFingerprint(
      q,
      { camera: c.camera, width: fp.record.width, height: fp.record.height, data: fp.data },
      options,
    );
    results.push({ ...r, digestScore: c.score });
  }
  results.sort((a, b) => (b.pce ?? -Infinity) - (a.pce ?? -Infinity));
  const t2 = performance.now();
  return {
    results,
    ranked: best.items,
    fingerprints: records.length,
    scanned,
    standOut: { score: zStand, count: standing },
    reranked: chosen.length,
    cropTested: cropped.length,
    notComparable: records.length - digestible.length - cropped.length,
    seconds: { scan: (t1 - t0) / 1000, rerank: (t2 - t1) / 1000 },
  };
}
