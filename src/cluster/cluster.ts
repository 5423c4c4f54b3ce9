/**
 * Blind source clustering as a service: photos in, clusters out, no camera known beforehand.
 *
 *   1. every photo → its centred crop's weighted residual, zero-mean and unit-norm (worker pool,
 *      a bounded window of photos in flight); photos are comparable only when their pixel sizes
 *      are equal (see below), and each size is a group; crops are kept as float32 rows in
 *      shared-memory blocks, so memory is n × crop² × 4 bytes whatever the photos' size;
 *   2. per group, the n×n NCC matrix as dot products of blocks of rows, block pairs spread over
 *      the pool (both cores);
 *   3. σ0 from the matrices, the threshold τ from the false-alarm rate over all pairs compared
 *      (threshold.ts), and per group the clustering on cluster fingerprints (agglomerate.ts).
 *
 * Comparability. PRNU is a pattern fixed to the sensor's pixel grid, so two residuals correlate
 * only where their pixels come from the same photosites. camprint never applies EXIF rotation
 * (pixels stay in sensor order), and cameras write sensor-sized images, so equal pixel sizes put
 * the centred crops on the same photosites. Photos of different sizes are not compared: a
 * different size means another sensor or mode, or a resized or cropped photo, whose alignment a
 * zero-shift correlation cannot find (that needs a PCE shift search, as `match` does). A photo
 * whose pixels were rotated by software (portrait pixel layout) falls in the group of its
 * transposed size: it is compared with other rotated photos of that size, not with the landscape
 * ones, and a camera with both kinds shows up as two clusters.
 */
import type { ResidualOptions } from '../prnu/index.js';
import { RESIDUAL_DEFAULTS } from '../prnu/index.js';
import { runClusterCrop, runClusterDots, threadCount } from '../pool/index.js';
import { InputError } from '../util/errors.js';
import { agglomerate, attributable } from './agglomerate.js';
import type { ClusterCropResult } from './task.js';
import { nullScale, zThreshold } from './threshold.js';
import { WEIGHT_DEFAULTS, type WeightOptions } from './weight.js';

export interface ClusterOptions extends ResidualOptions {
  /** Largest side of the centred crop compared (default 512). */
  crop?: number;
  /** Family-wise false-alarm probability over all pairs compared (default 1e-3). */
  pfa?: number;
  /** Pixel weighting of the residual (weight.ts); false: plain residuals. */
  weight?: WeightOptions | false;
  maxPixels?: number;
  /** Photos per shared-memory block of crops (a multiple of 4; default 32). */
  blockRows?: number;
  /** Progress: phase, done, total, and the file or block just finished. */
  onProgress?: (phase: 'residuals' | 'correlations', done: number, total: number, detail: string) => void;
  /** Called for each photo that cannot be read (it is left out, not fatal). */
  onSkip?: (file: string, reason: string) => void;
  /**
   * The true source of photos, when known (scoring runs): the report then says how many photos a
   * perfect clustering could defend at the threshold (agglomerate.ts: attributable).
   */
  sourceOf?: (file: string) => string | undefined;
}

export const CLUSTER_DEFAULTS = { crop: 512, pfa: 1e-3, blockRows: 32 } as const;

/** Photos of one pixel size: comparable with each other. */
export interface ClusterGroup {
  /** "WIDTHxHEIGHT" of its photos. */
  size: string;
  photos: number;
  /** The crop compared: [rows, columns]. */
  crop: [number, number];
  /** Pixels per crop (N). */
  pixels: number;
  /** NCC above which one pair would be declared a match: τ·σ0/√N. */
  nccThreshold: number | null;
  clusters: number;
  /** Refinement rounds, and whether the refinement settled (agglomerate.ts). */
  rounds: number;
  converged: boolean;
}

export interface PhotoCluster {
  /** 1, 2, …: largest cluster first. */
  id: number;
  /** The group (pixel size) of its photos. */
  size: string;
  files: string[];
}

export interface ClusterReport {
  /** Photos clustered (readable ones), in the order given. */
  files: string[];
  /** Cluster id of each photo of `files`. */
  labels: number[];
  clusters: PhotoCluster[];
  groups: ClusterGroup[];
  skipped: { file: string; reason: string }[];
  threshold: {
    pfa: number;
    /** Pairs compared, n(n − 1)/2 summed over groups: the Bonferroni family. */
    tests: number;
    /** z = NCC·√N/σ0 threshold; null when no two photos are comparable. */
    z: number | null;
    /** Where the provisional seeding merges stop: Q⁻¹(P_FA / photos compared) (agglomerate.ts). */
    seedZ: number | null;
    /** H0 standard deviation of NCC·√N, estimated from the negative pairs (threshold.ts). */
    sigma0: number;
    sigma0Pairs: number;
  };
  /** With `sourceOf`: photos with a known source, and those whose z against their own source's
   * fingerprint (all its other photos) reaches τ: the recall a perfect clustering could reach. */
  attainable?: { photos: number; reach: number };
  crop: number;
  weighting: WeightOptions | false;
  threads: number;
  seconds: number;
  timings: { residuals: number; correlations: number; clustering: number };
}

/**
 * Crops of one group, as rows of float32 blocks in shared memory (for the pool's dot tasks). Every
 * block but the last holds `blockRows` rows; the last grows by doubling from 4 rows, so a group
 * of one photo costs one photo's memory, not a block's.
 */
class CropRows {
  readonly blocks: Float32Array[] = [];
  /** Index (in the caller's file list) of each row. */
  readonly order: number[] = [];
  constructor(
    readonly size: string,
    readonly ch: number,
    readonly cw: number,
    readonly blockRows: number,
  ) {}
  get N(): number {
    return this.ch * this.cw;
  }
  get count(): number {
    return this.order.length;
  }
  add(index: number, crop: Float32Array): void {
    const N = this.N;
    const row = this.count % this.blockRows;
    const last = this.blocks.length - 1;
    if (row === 0) {
      this.blocks.push(new Float32Array(new SharedArrayBuffer(4 * N * 4)));
    } else if (row * N === this.blocks[last].length) {
      const rows = Math.min(this.blockRows, 2 * row);
      const grown = new Float32Array(new SharedArrayBuffer(rows * N * 4));
      grown.set(this.blocks[last]);
      this.blocks[last] = grown;
    }
    this.blocks[this.blocks.length - 1].set(crop, row * N);
    this.order.push(index);
  }
  /** Rows used in block b, rounded up to a multiple of 4 (the rest are zero). */
  rows(b: number): number {
    const used = Math.min(this.blockRows, this.count - b * this.blockRows);
    return Math.ceil(used / 4) * 4;
  }
}

/** Runs `fn` on every item with at most `limit` in flight; rejects with the first error. */
async function windowed<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Clusters photos by source camera. Unreadable photos are skipped (reported through `onSkip` and
 * in the report); an InputError when none is left.
 */
export async function clusterPhotos(
  files: readonly string[],
  opts: ClusterOptions = {},
): Promise<ClusterReport> {
  const t0 = performance.now();
  if (files.length === 0) throw new InputError('no images to cluster');
  const side = opts.crop ?? CLUSTER_DEFAULTS.crop;
  const pfa = opts.pfa ?? CLUSTER_DEFAULTS.pfa;
  const blockRows = opts.blockRows ?? CLUSTER_DEFAULTS.blockRows;
  if (blockRows % 4 !== 0 || blockRows < 4)
    throw new RangeError(`blockRows must be a multiple of 4, got ${blockRows}`);
  const weight = opts.weight === undefined ? { ...WEIGHT_DEFAULTS } : opts.weight;
  const options: ResidualOptions = {
    levels: opts.levels ?? RESIDUAL_DEFAULTS.levels,
    sigma: opts.sigma ?? RESIDUAL_DEFAULTS.sigma,
    wienerSigma: opts.wienerSigma ?? RESIDUAL_DEFAULTS.wienerSigma,
  };
  const threads = threadCount();

  // 1. Residual crops, streamed: a window of photos in flight, each crop stored as it arrives.
  const groups = new Map<string, CropRows>();
  const skipped: { file: string; reason: string }[] = [];
  let done = 0;
  await windowed(
    files.map((file, index) => ({ file, index })),
    2 * threads,
    async ({ file, index }) => {
      let r: ClusterCropResult;
      try {
        r = await runClusterCrop({ file, side, options, weight, maxPixels: opts.maxPixels });
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        skipped.push({ file, reason: err.message });
        opts.onSkip?.(file, err.message);
        opts.onProgress?.('residuals', ++done, files.length, file);
        return;
      }
      const size = `${r.width}x${r.height}`;
      let g = groups.get(size);
      if (!g) groups.set(size, (g = new CropRows(size, r.ch, r.cw, blockRows)));
      g.add(index, r.crop);
      opts.onProgress?.('residuals', ++done, files.length, file);
    },
  );
  const tResiduals = performance.now();
  if (groups.size === 0)
    throw new InputError(`none of the ${files.length} images could be read (${skipped[0]?.reason})`);

  // 2. Per group, the NCC matrix from block pairs (b ≤ c), on the pool.
  const list = [...groups.values()].sort((a, b) => b.count - a.count || a.size.localeCompare(b.size));
  const jobs: { g: CropRows; S: Float32Array; b: number; c: number }[] = [];
  const matrices = list.map((g) => {
    const S = new Float32Array(g.count * g.count);
    for (let b = 0; b < g.blocks.length; b++)
      for (let c = b; c < g.blocks.length; c++) jobs.push({ g, S, b, c });
    return { g, S, n: g.count, N: g.N };
  });
  let tiles = 0;
  await windowed(jobs, 2 * threads, async ({ g, S, b, c }) => {
    const rowsA = g.rows(b);
    const rowsB = g.rows(c);
    const out = await runClusterDots({
      a: g.blocks[b],
      rowsA,
      b: g.blocks[c],
      rowsB,
      N: g.N,
      symmetric: b === c,
    });
    const n = g.count;
    for (let i = 0; i < rowsA; i++) {
      const gi = b * g.blockRows + i;
      if (gi >= n) break;
      for (let j = 0; j < rowsB; j++) {
        const gj = c * g.blockRows + j;
        if (gj >= n) break;
        const v = out[i * rowsB + j];
        S[gi * n + gj] = v;
        S[gj * n + gi] = v;
      }
    }
    opts.onProgress?.('correlations', ++tiles, jobs.length, `${g.size} block ${b}×${c}`);
  });
  const tCorrelations = performance.now();

  // 3. Threshold over every pair compared, then each group's clustering, in the files' order.
  const tests = matrices.reduce((s, m) => s + (m.n * (m.n - 1)) / 2, 0);
  const { sigma0, pairs: sigma0Pairs } = nullScale(matrices);
  const z = tests > 0 ? zThreshold(pfa, tests) : null;
  // Seeding merges are provisional (each is re-checked at τ by the refinement): they stop at the
  // threshold for one test per photo instead of one per pair, so that a camera whose photos are
  // too weak to pair at τ still forms a cluster whose fingerprint its photos then reach.
  const compared = matrices.reduce((s, m) => s + (m.n > 1 ? m.n : 0), 0);
  const seedZ = z === null ? null : Math.min(z, zThreshold(pfa, compared));
  const label = new Int32Array(files.length).fill(-1);
  const found: { size: string; members: number[] }[] = [];
  const groupReports: ClusterGroup[] = [];
  const attainable = opts.sourceOf ? { photos: 0, reach: 0 } : undefined;
  const sourceCodes = new Map<string, number>();
  for (const { g, S, n, N } of matrices) {
    // Rows arrived in completion order: permute to the order of the files, so that the result
    // does not depend on scheduling.
    const perm = g.order.map((index, row) => ({ index, row })).sort((a, b) => a.index - b.index);
    const P = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = perm[i].row;
      for (let j = 0; j < n; j++) P[i * n + j] = S[ri * n + perm[j].row];
    }
    const result =
      z === null || n < 2
        ? { labels: new Int32Array(n).map((_, i) => i), clusters: n, rounds: 0, converged: true }
        : agglomerate(P, n, { threshold: z, seedThreshold: seedZ!, scale: Math.sqrt(N) / sigma0 });
    if (attainable && z !== null) {
      const sources = new Int32Array(n).map((_, i) => {
        const src = opts.sourceOf!(files[perm[i].index]);
        if (src === undefined) return -1;
        if (!sourceCodes.has(src)) sourceCodes.set(src, sourceCodes.size);
        return sourceCodes.get(src)!;
      });
      const a = attributable(P, n, sources, Math.sqrt(N) / sigma0, z);
      attainable.photos += a.photos;
      attainable.reach += a.reach;
    }
    const members: number[][] = Array.from({ length: result.clusters }, () => []);
    for (let i = 0; i < n; i++) members[result.labels[i]].push(perm[i].index);
    for (const m of members) found.push({ size: g.size, members: m });
    groupReports.push({
      size: g.size,
      photos: n,
      crop: [g.ch, g.cw],
      pixels: N,
      nccThreshold: z === null ? null : (z * sigma0) / Math.sqrt(N),
      clusters: result.clusters,
      rounds: result.rounds,
      converged: result.converged,
    });
  }
  found.sort((a, b) => b.members.length - a.members.length || a.members[0] - b.members[0]);
  const clusters: PhotoCluster[] = found.map((f, k) => {
    for (const i of f.members) label[i] = k + 1;
    return { id: k + 1, size: f.size, files: f.members.map((i) => files[i]) };
  });
  const kept = files.map((file, i) => ({ file, label: label[i] })).filter((x) => x.label > 0);
  const rank = new Map(files.map((f, i) => [f, i]));
  skipped.sort((a, b) => rank.get(a.file)! - rank.get(b.file)!);
  const tEnd = performance.now();
  return {
    files: kept.map((x) => x.file),
    labels: kept.map((x) => x.label),
    clusters,
    groups: groupReports,
    skipped,
    threshold: { pfa, tests, z, seedZ, sigma0, sigma0Pairs },
    ...(attainable ? { attainable } : {}),
    crop: side,
    weighting: weight,
    threads,
    seconds: (tEnd - t0) / 1000,
    timings: {
      residuals: (tResiduals - t0) / 1000,
      correlations: (tCorrelations - tResiduals) / 1000,
      clustering: (tEnd - tCorrelations) / 1000,
    },
  };
}
