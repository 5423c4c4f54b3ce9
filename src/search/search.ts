/**
 * Two-stage search of a fingerprint database (DESIGN §3.4): every stored digest is scored against
 * the query (digest detector, score.ts), streamed from the store in batches so the database need
 * not fit in memory; the best few — at least `minRerank`, and every one whose score stands out
 * from the rest at the database-wide false-alarm rate — are then tested with the full PCE
 * detector, which alone decides. Queries smaller than a fingerprint (crops) cannot be digested
 * without a shift search, so those fingerprints get the full detector directly.
 */
import { rotatePlane, type DetectOptions, type Plane } from '../prnu/index.js';
import { runDigestScores, threadCount, type ResidualResult } from '../pool/index.js';
import { testFingerprint, type MatchResult } from '../services/index.js';
import type { DigestEntry, FingerprintDigest, FingerprintRecord, Store } from '../store/index.js';
import { standOutScore } from './score.js';
import { defaultDigestSize } from './digest.js';
import { threadScorer } from './kernel.js';
import { randomUUID } from 'node:crypto';

export interface SearchOptions extends DetectOptions {
  /** Candidates always re-ranked by full PCE (the best digest scores): 5. */
  minRerank?: number;
  /** Most candidates re-ranked by full PCE: 50. */
  maxRerank?: number;
  /** Database-wide false-alarm probability that sets the stand-out score: 1e-3. */
  standOutPfa?: number;
  /** Digests read per batch: 512. */
  batchSize?: number;
  /** Score on the worker pool from this many digestible fingerprints (per shard) on: 512. */
  parallelFrom?: number;
}

/**
 * Digest bytes read per batch of a scan (what one worker scores at a time), and the fewest
 * digests per batch. Measured at 10,000 × 512×512: 1.05 s per scan with 16 MB batches, 1.30 s
 * with 64 MB (reading overlaps scoring less); at 1,000 × 6 MP batches of 5, 16 and 32 digests
 * took 5.1, 3.7 and 3.2 s.
 */
const SCAN_BATCH_BYTES = 16 * 1024 * 1024;
const MIN_BATCH_DIGESTS = 32;

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
export interface Orientation {
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

/** What a search of this store for this query involves: which fingerprints fit how. */
export interface SearchPlan {
  /** Fingerprints in the store. */
  fingerprints: number;
  /** The query's orientations, grouped by the fingerprint size each fits. */
  shapes: Map<string, Orientation[]>;
  /** Fingerprints of the query's size (in some orientation): scored by digest. */
  digestible: FingerprintRecord[];
  /** Fingerprints larger than the query (a crop): the full detector only. */
  cropped: FingerprintRecord[];
  /** The digest score that stands out from all digestible fingerprints at standOutPfa. */
  standOutScore: number;
}

/** The digest stage over one shard of the store (or all of it). */
export interface ShardScan {
  /** The best maxRerank candidates, best first. */
  ranked: DigestCandidate[];
  scanned: number;
  /** Digests that reached the plan's stand-out score. */
  standing: number;
  seconds: number;
}

function checkedOptions(options: SearchOptions) {
  const opts = { ...SEARCH_DEFAULTS, ...options };
  if (!(opts.minRerank >= 1 && opts.maxRerank >= opts.minRerank)) {
    throw new RangeError(`need 1 ≤ minRerank (${opts.minRerank}) ≤ maxRerank (${opts.maxRerank})`);
  }
  return opts;
}

export async function planSearch(
  store: Store,
  q: ResidualResult,
  options: SearchOptions = {},
): Promise<SearchPlan> {
  const opts = checkedOptions(options);
  const records = await store.listFingerprints();
  const shapes = orientations(q, options.rotations ?? true);
  const fits = (r: FingerprintRecord, strict: boolean) =>
    [...shapes.values()].some(([o]) =>
      strict ? o.h === r.height && o.w === r.width : o.h <= r.height && o.w <= r.width,
    );
  const digestible = records.filter((r) => fits(r, true));
  return {
    fingerprints: records.length,
    shapes,
    digestible,
    cropped: records.filter((r) => !fits(r, true) && fits(r, false)),
    standOutScore: standOutScore(Math.max(1, digestible.length), opts.standOutPfa),
  };
}

/** Digests scored on worker threads when the store holds at least this many (else here). */
const PARALLEL_FROM = 512;

/** A copy of the array in shared memory (worker threads read it without a copy of their own). */
function shared(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/**
 * The batch's digests, each in an ArrayBuffer of its own, so a worker can take them without a
 * copy: the store's blob when the digest views one whole (the usual case), else a copy.
 */
function movable(batch: DigestEntry[]): FingerprintDigest[] {
  return batch.map(({ digest: d }) => {
    const k = d.indices.length;
    const whole =
      d.indices.buffer === d.values.buffer &&
      !(d.indices.buffer instanceof SharedArrayBuffer) &&
      d.indices.byteOffset === 0 &&
      d.values.byteOffset === 4 * k &&
      d.indices.buffer.byteLength === 8 * k;
    if (whole) return d;
    const buffer = new ArrayBuffer(8 * k);
    const indices = new Uint32Array(buffer, 0, k);
    const values = new Float32Array(buffer, 4 * k, k);
    indices.set(d.indices);
    values.set(d.values);
    return { indices, values };
  });
}

/**
 * Scores every digest of one shard (`shard` of `shards`) against the query, streamed in batches.
 * On a large store the batches are scored on the worker pool while the next ones are read.
 */
export async function scanShard(
  store: Store,
  plan: SearchPlan,
  options: SearchOptions = {},
  shard = { index: 0, count: 1 },
): Promise<ShardScan> {
  const opts = checkedOptions(options);
  const t0 = performance.now();
  const best = new Best(opts.maxRerank);
  let scanned = 0;
  let standing = 0;
  const take = (camera: string, score: number) => {
    scanned++;
    if (score >= plan.standOutScore) standing++;
    best.offer({ camera, score });
  };
  const parallel =
    threadCount() > 1 && plan.digestible.length >= (options.parallelFrom ?? PARALLEL_FROM) * shard.count;
  const inFlight: Promise<void>[] = [];
  for (const group of plan.shapes.values()) {
    const { w: width, h: height } = group[0];
    if (!plan.digestible.some((r) => r.width === width && r.height === height)) continue;
    const residuals = group.map((o) => (parallel ? shared(o.residual) : o.residual));
    const intensities = group.map((o) => (parallel ? shared(o.intensity) : o.intensity));
    // Batches of about SCAN_BATCH_BYTES (128 digests at 512×512), but at least 32 digests, so
    // that a large query's bands are shared by enough of them (32 at 6 MP: 96 MB).
    const perBatch = Math.floor(SCAN_BATCH_BYTES / (8 * defaultDigestSize(width * height)));
    const batchSize = Math.min(opts.batchSize, Math.max(MIN_BATCH_DIGESTS, perBatch));
    const queryKey = randomUUID();
    for await (const batch of store.scanDigests({ width, height, batchSize, shard })) {
      if (!parallel) {
        const scorer = threadScorer();
        scorer.setQuery(queryKey, residuals, intensities);
        const scores = scorer.scoreMany(batch.map((e) => e.digest));
        batch.forEach((entry, j) => take(entry.camera, scores[j]));
        continue;
      }
      const cameras = batch.map((e) => e.camera);
      const task = runDigestScores({ queryKey, residuals, intensities, digests: movable(batch) }).then(
        (scores) => {
          for (let j = 0; j < cameras.length; j++) take(cameras[j], scores[j]);
        },
      );
      task.catch(() => undefined); // handled below (Promise.all); not an unhandled rejection meanwhile
      inFlight.push(task);
      // Reading stays at most two batches per thread ahead of the scoring.
      if (inFlight.length >= 2 * threadCount()) await inFlight.shift();
    }
  }
  await Promise.all(inFlight);
  return { ranked: best.items, scanned, standing, seconds: (performance.now() - t0) / 1000 };
}

/** The shards' scans as one: the best candidates overall, the counts summed. */
export function mergeScans(scans: ShardScan[], options: SearchOptions = {}): ShardScan {
  const best = new Best(checkedOptions(options).maxRerank);
  for (const s of scans) for (const c of s.ranked) best.offer(c);
  return {
    ranked: best.items,
    scanned: scans.reduce((a, s) => a + s.scanned, 0),
    standing: scans.reduce((a, s) => a + s.standing, 0),
    seconds: Math.max(0, ...scans.map((s) => s.seconds)),
  };
}

/**
 * The full detector on the scan's best candidates (at least minRerank, every stand-out, at most
 * maxRerank) and on every fingerprint the query is a crop of; the report, best PCE first.
 */
export async function rerank(
  store: Store,
  q: ResidualResult,
  plan: SearchPlan,
  scan: ShardScan,
  options: SearchOptions = {},
): Promise<SearchReport> {
  const opts = checkedOptions(options);
  const t0 = performance.now();
  const chosen = scan.ranked.slice(0, Math.min(opts.maxRerank, Math.max(opts.minRerank, scan.standing)));
  const results: SearchReport['results'] = [];
  for (const c of [...chosen, ...plan.cropped.map((r) => ({ camera: r.camera, score: null }))]) {
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
  return {
    results,
    ranked: scan.ranked,
    fingerprints: plan.fingerprints,
    scanned: scan.scanned,
    standOut: { score: plan.standOutScore, count: scan.standing },
    reranked: chosen.length,
    cropTested: plan.cropped.length,
    notComparable: plan.fingerprints - plan.digestible.length - plan.cropped.length,
    seconds: { scan: scan.seconds, rerank: (performance.now() - t0) / 1000 },
  };
}

/** Searches every stored fingerprint for the query's camera, in this process. Digests must exist (ensureDigests). */
export async function searchStore(
  store: Store,
  q: ResidualResult,
  options: SearchOptions = {},
): Promise<SearchReport> {
  const plan = await planSearch(store, q, options);
  return rerank(store, q, plan, await scanShard(store, plan, options), options);
}
