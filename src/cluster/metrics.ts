/**
 * Scores of a clustering against a ground truth, on the pairs of photos (the usual measures of
 * blind source clustering: Marra et al. 2017, Lin & Li 2017).
 *
 * With the contingency table n_ij (photos in predicted cluster i and true class j), its row sums
 * a_i (predicted cluster sizes) and column sums b_j (true class sizes), n photos:
 *   TP          = Σ_ij C(n_ij, 2)            pairs put together that belong together
 *   predicted   = Σ_i C(a_i, 2)              pairs put together
 *   true        = Σ_j C(b_j, 2)              pairs that belong together
 *   precision   = TP / predicted,  recall = TP / true,  F1 = 2PR / (P + R)
 *   ARI         = (TP − E) / (½(predicted + true) − E),  E = predicted · true / C(n, 2)
 * (the adjusted Rand index of Hubert and Arabie 1985: 1 for identical partitions, about 0 for a
 * random one with the same cluster sizes).
 * Conventions where a ratio is 0/0: precision 1 when no pair is put together, recall 1 when no two
 * photos share a class, ARI 1 when both partitions are trivial in the same way (scikit-learn's).
 */

export interface PairScores {
  /** Photos scored (those present in both labelings). */
  photos: number;
  truePositivePairs: number;
  predictedPairs: number;
  truePairs: number;
  precision: number;
  recall: number;
  f1: number;
  /** Adjusted Rand index (Hubert & Arabie 1985). */
  ari: number;
  /** Clusters the photos were put in. */
  clusters: number;
  /** Classes of the ground truth among them. */
  classes: number;
}

/** C(x, 2) = x(x − 1)/2. */
function pairs(x: number): number {
  return (x * (x - 1)) / 2;
}

/** Dense 0-based codes of a list of labels (equal labels, equal codes), and how many there are. */
export function encodeLabels<T>(labels: readonly T[]): { codes: Int32Array; count: number } {
  const index = new Map<T, number>();
  const codes = new Int32Array(labels.length);
  labels.forEach((l, i) => {
    let c = index.get(l);
    if (c === undefined) index.set(l, (c = index.size));
    codes[i] = c;
  });
  return { codes, count: index.size };
}

/**
 * Pairwise precision, recall, F1 and the adjusted Rand index of a predicted labeling against the
 * true one (same length, element i of both is photo i).
 */
export function scorePartition<P, T>(predicted: readonly P[], truth: readonly T[]): PairScores {
  if (predicted.length !== truth.length)
    throw new RangeError(`labelings differ in length: ${predicted.length} predicted, ${truth.length} true`);
  const n = predicted.length;
  const p = encodeLabels(predicted);
  const t = encodeLabels(truth);
  const table = new Map<number, number>();
  const a = new Float64Array(p.count);
  const b = new Float64Array(t.count);
  for (let i = 0; i < n; i++) {
    const key = p.codes[i] * t.count + t.codes[i];
    table.set(key, (table.get(key) ?? 0) + 1);
    a[p.codes[i]]++;
    b[t.codes[i]]++;
  }
  let tp = 0;
  for (const nij of table.values()) tp += pairs(nij);
  let predictedPairs = 0;
  for (const ai of a) predictedPairs += pairs(ai);
  let truePairs = 0;
  for (const bj of b) truePairs += pairs(bj);
  const precision = predictedPairs === 0 ? 1 : tp / predictedPairs;
  const recall = truePairs === 0 ? 1 : tp / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const all = pairs(n);
  const expected = all === 0 ? 0 : (predictedPairs * truePairs) / all;
  const max = (predictedPairs + truePairs) / 2;
  const ari = max === expected ? 1 : (tp - expected) / (max - expected);
  return {
    photos: n,
    truePositivePairs: tp,
    predictedPairs,
    truePairs,
    precision,
    recall,
    f1,
    ari,
    clusters: p.count,
    classes: t.count,
  };
}
