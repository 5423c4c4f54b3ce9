/**
 * Clustering without a cluster count, on cluster fingerprints computed from the NCC matrix alone.
 *
 * The fingerprint of a cluster A is the sum F_A = Σ_{a∈A} x_a of its members' unit-norm residual
 * crops (the mean, up to a scale that NCC ignores; Caldelli et al. 2010, Lin & Li 2017, Marra et
 * al. 2017 refine clusters with such averaged fingerprints). Its correlations need no pixels:
 *   ⟨F_A, F_B⟩ = Σ_{a∈A, b∈B} S_ab = G(A, B),   ‖F_A‖² = G(A, A),
 *   z(A, B) = G(A, B) / √(G(A, A) G(B, B)) · √N / σ0,
 * which under H0 (A and B from different sensors) is ≈ N(0, 1) like a pairwise z (threshold.ts).
 * For a photo x against its own cluster the photo is left out: F_{A∖x} = F_A − x, so
 *   ⟨x, F_{A∖x}⟩ = P(x, A) − S_xx,   ‖F_{A∖x}‖² = G(A, A) − 2 P(x, A) + S_xx,   P(x, A) = Σ_{a∈A} S_xa.
 *
 * The procedure:
 *   1. seeding: greedy agglomeration, always merging the two clusters with the highest z(A, B),
 *      while it is ≥ `seedThreshold` (a lower bar than τ: pairs of single photos are weak, a
 *      cluster's fingerprint grows stronger as it gathers members — z of a photo against m others
 *      of its source grows as √m — and every seeding merge is re-checked at τ below);
 *   2. refinement, repeated until nothing changes: (a) every photo moves to the cluster whose
 *      fingerprint (without it) it correlates with most, if that z ≥ τ, and becomes a cluster of
 *      its own when no fingerprint, not even its own cluster's, reaches τ; (b) clusters whose
 *      fingerprints correlate with z ≥ τ are merged, greedily, best first.
 * At convergence every photo in a cluster of two or more matches the fingerprint of the rest of
 * its cluster at z ≥ τ, and no two clusters' fingerprints match: the decisions of the detector,
 * each at the false-alarm rate that set τ.
 */

export interface AgglomerateOptions {
  /** z threshold τ for every final decision (threshold.ts: zThreshold). */
  threshold: number;
  /** z threshold of the seeding merges (default: τ). */
  seedThreshold?: number;
  /** z per unit NCC: √N / σ0. */
  scale: number;
  /** Refinement rounds at most (default 50). */
  maxRounds?: number;
}

export interface AgglomerateResult {
  /** Cluster of each photo, 0-based, numbered by first appearance. */
  labels: Int32Array;
  clusters: number;
  /** Rounds of refinement run. */
  rounds: number;
  /** False when maxRounds stopped the refinement before it settled. */
  converged: boolean;
  /** Seeding merges, refinement merges and photo moves done. */
  seedMerges: number;
  merges: number;
  moves: number;
}

/**
 * Greedy agglomeration on cluster sums: repeatedly merges the active pair (i, j) with the highest
 * z = scale · G_ij / √(G_ii G_jj) while it is ≥ `threshold`. `G` (k×k, row-major, symmetric) and
 * `members` are updated in place (j is merged into i; j's member list emptied).
 * @returns the number of merges
 */
export function mergeClusters(
  G: Float64Array,
  k: number,
  members: number[][],
  scale: number,
  threshold: number,
): number {
  const active = new Uint8Array(k);
  for (let i = 0; i < k; i++) active[i] = members[i].length > 0 ? 1 : 0;
  const best = new Int32Array(k).fill(-1);
  const bestZ = new Float64Array(k).fill(-Infinity);
  const z = (i: number, j: number): number => {
    const d = G[i * k + i] * G[j * k + j];
    return d > 0 ? (scale * G[i * k + j]) / Math.sqrt(d) : -Infinity;
  };
  const rowBest = (i: number): void => {
    let b = -1;
    let bz = -Infinity;
    for (let j = 0; j < k; j++) {
      if (j === i || !active[j]) continue;
      const v = z(i, j);
      if (v > bz) {
        bz = v;
        b = j;
      }
    }
    best[i] = b;
    bestZ[i] = bz;
  };
  for (let i = 0; i < k; i++) if (active[i]) rowBest(i);
  let merges = 0;
  for (;;) {
    let i = -1;
    let top = -Infinity;
    for (let r = 0; r < k; r++) {
      if (active[r] && bestZ[r] > top) {
        top = bestZ[r];
        i = r;
      }
    }
    if (i < 0 || !(top >= threshold)) break;
    const j = best[i];
    // F_i ← F_i + F_j: row and column i gain row j; G_ii = G_ii + 2 G_ij + G_jj.
    const self = G[i * k + i] + 2 * G[i * k + j] + G[j * k + j];
    for (let x = 0; x < k; x++) {
      if (!active[x]) continue;
      const v = G[i * k + x] + G[j * k + x];
      G[i * k + x] = v;
      G[x * k + i] = v;
    }
    G[i * k + i] = self;
    active[j] = 0;
    bestZ[j] = -Infinity;
    for (const m of members[j]) members[i].push(m);
    members[j] = [];
    merges++;
    for (let x = 0; x < k; x++) {
      if (!active[x] || x === i) continue;
      if (best[x] === i || best[x] === j) rowBest(x);
      else {
        const v = z(x, i);
        if (v > bestZ[x]) {
          bestZ[x] = v;
          best[x] = i;
        }
      }
    }
    rowBest(i);
  }
  return merges;
}

/**
 * Clusters n photos from their n×n NCC matrix S (row-major, S_ii = 1 for a unit-norm crop, 0 for a
 * constant one). See the module comment for the method and what its result guarantees.
 */
export function agglomerate(S: Float32Array, n: number, opts: AgglomerateOptions): AgglomerateResult {
  const { threshold, scale } = opts;
  const seedThreshold = opts.seedThreshold ?? threshold;
  const maxRounds = opts.maxRounds ?? 50;
  if (S.length < n * n) throw new RangeError(`NCC matrix has ${S.length} entries, expected ${n}×${n}`);

  // 1. Seeding: every photo its own cluster, slot = photo index.
  const G = Float64Array.from(S.subarray(0, n * n));
  let members: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const seedMerges = mergeClusters(G, n, members, scale, seedThreshold);

  // Cluster slot of each photo; P[x·n + c] = Σ_{y∈c} S_xy; Q[c] = ‖F_c‖².
  const label = new Int32Array(n);
  members.forEach((m, c) => m.forEach((x) => (label[x] = c)));
  const P = new Float64Array(n * n);
  const Q = new Float64Array(n);
  const size = new Int32Array(n);
  const rebuild = (): void => {
    P.fill(0);
    Q.fill(0);
    size.fill(0);
    for (let x = 0; x < n; x++) {
      const row = x * n;
      for (let y = 0; y < n; y++) P[row + label[y]] += S[row + y];
      size[label[x]]++;
    }
    for (let x = 0; x < n; x++) Q[label[x]] += P[x * n + label[x]];
  };
  rebuild();

  // Moves one photo from its cluster to `to`, keeping P, Q and size exact.
  const move = (x: number, to: number): void => {
    const from = label[x];
    const sxx = S[x * n + x];
    Q[from] += -2 * P[x * n + from] + sxx;
    Q[to] += 2 * P[x * n + to] + sxx;
    for (let y = 0; y < n; y++) {
      const v = S[y * n + x];
      P[y * n + from] -= v;
      P[y * n + to] += v;
    }
    size[from]--;
    size[to]++;
    label[x] = to;
  };

  let moves = 0;
  let merges = 0;
  let rounds = 0;
  let converged = false;
  while (rounds < maxRounds) {
    rounds++;
    // 2a. Reassignment, one photo at a time (sums updated after each move).
    let moved = 0;
    for (let x = 0; x < n; x++) {
      const own = label[x];
      const sxx = S[x * n + x];
      let bestC = -1;
      let bestZ = -Infinity;
      let ownZ = -Infinity;
      for (let c = 0; c < n; c++) {
        if (size[c] === 0) continue;
        let num = P[x * n + c];
        let den = Q[c];
        if (c === own) {
          if (size[c] === 1) continue;
          num -= sxx;
          den += -2 * P[x * n + c] + sxx;
        }
        if (!(den > 0)) continue;
        const v = (scale * num) / Math.sqrt(den);
        if (c === own) ownZ = v;
        if (v > bestZ) {
          bestZ = v;
          bestC = c;
        }
      }
      if (bestZ >= threshold && bestC !== own && bestZ > ownZ) {
        move(x, bestC);
        moved++;
      } else if (size[own] > 1 && !(ownZ >= threshold) && !(bestZ >= threshold)) {
        const free = size.indexOf(0);
        move(x, free);
        moved++;
      }
    }
    moves += moved;
    // 2b. Merge clusters whose fingerprints match.
    members = Array.from({ length: n }, () => [] as number[]);
    for (let x = 0; x < n; x++) members[label[x]].push(x);
    const H = new Float64Array(n * n);
    for (let c = 0; c < n; c++) {
      for (const x of members[c]) {
        const row = x * n;
        for (let d = 0; d < n; d++) H[c * n + d] += P[row + d];
      }
    }
    const merged = mergeClusters(H, n, members, scale, threshold);
    merges += merged;
    if (merged > 0) {
      members.forEach((m, c) => m.forEach((x) => (label[x] = c)));
      rebuild();
    }
    if (moved === 0 && merged === 0) {
      converged = true;
      break;
    }
  }

  // Number clusters by first appearance.
  const renum = new Map<number, number>();
  const labels = new Int32Array(n);
  for (let x = 0; x < n; x++) {
    let c = renum.get(label[x]);
    if (c === undefined) renum.set(label[x], (c = renum.size));
    labels[x] = c;
  }
  return { labels, clusters: renum.size, rounds, converged, seedMerges, merges, moves };
}

/**
 * The share of photos a perfect clustering could defend at τ: photo x of true source c counts when
 * its z against the fingerprint of all other photos of c (leave-one-out, as in the refinement)
 * is ≥ τ. An upper bound on the recall of any procedure that decides membership at τ, for
 * reading a result against the ground truth (how much of what is missing was detectable at all).
 * @param sources true source of each photo (−1: unknown, not counted)
 * @returns photos counted, and those that reach τ
 */
export function attributable(
  S: Float32Array,
  n: number,
  sources: Int32Array,
  scale: number,
  threshold: number,
): { photos: number; reach: number } {
  const bySource = new Map<number, number[]>();
  for (let x = 0; x < n; x++) {
    if (sources[x] < 0) continue;
    const m = bySource.get(sources[x]);
    if (m) m.push(x);
    else bySource.set(sources[x], [x]);
  }
  let photos = 0;
  let reach = 0;
  for (const m of bySource.values()) {
    let Q = 0;
    const p = m.map((x) => {
      let s = 0;
      for (const y of m) s += S[x * n + y];
      Q += s;
      return s;
    });
    m.forEach((x, i) => {
      photos++;
      const sxx = S[x * n + x];
      const den = Q - 2 * p[i] + sxx;
      if (den > 0 && (scale * (p[i] - sxx)) / Math.sqrt(den) >= threshold) reach++;
    });
  }
  return { photos, reach };
}
