/**
 * The digest detector's sums (search/score.ts, digestScore) for four orientations of the query
 * at once, one per lane of a 128-bit SIMD vector, for a batch of digests.
 *
 * Memory layout (byte addresses into the module's imported memory):
 * - query: per fingerprint pixel p, 8 float32 at query + 32·p: W of orientations 0–3, then I of
 *   orientations 0–3 (an orientation the caller does not use holds zeros);
 * - digest: k uint32 pixel indices, then k float32 fingerprint values (the stored blob as is);
 * - out: per digest 20 float64: Σa, Σb, Σa², Σb², Σab for orientation 0, then 1, 2, 3, with
 *   a = K·I, b = W.
 * Products are summed in float32 over blocks of BLOCK samples, and the blocks in float64, so the
 * rounding error stays that of a 256-term float32 sum.
 *
 * The query is walked in bands of pixels: every digest's samples inside one band are summed before
 * the next band, so the band (256 KB of query) is read from cache by every digest of the batch
 * instead of from memory by each — at 6 MP the laid-out query is 192 MB, and one digest touches
 * one cache line in eight of it.
 */
const BLOCK: i32 = 256;

/**
 * The sums of `count` digests at once. `table` holds per digest 16 bytes: its address (u32), its k
 * (u32), a cursor (u32, set to 0 here) and padding; `out` gets 20 float64 per digest (kept as
 * 10 f64x2 in `scratch`, 160 bytes per digest, while the bands go by). Indices are strictly
 * increasing, so a digest's samples in a band are a run.
 */
export function digestSumsMany(
  query: usize,
  table: usize,
  count: i32,
  band: u32,
  scratch: usize,
  out: usize,
): void {
  memory.fill(scratch, 0, <usize>count * 160);
  for (let d = 0; d < count; d++) store<u32>(table + ((<usize>d) << 4), 0, 8);
  for (let lo: u64 = 0; ; lo += band) {
    const hi = lo + band;
    let left = false;
    for (let d = 0; d < count; d++) {
      const t = table + ((<usize>d) << 4);
      const digest = <usize>load<u32>(t);
      const k = load<u32>(t, 4);
      let j = load<u32>(t, 8);
      if (j >= k) continue;
      let end = j;
      while (end < k && <u64>load<u32>(digest + ((<usize>end) << 2)) < hi) end++;
      if (end > j) addSums(query, digest, k, j, end, scratch + <usize>d * 160);
      store<u32>(t, end, 8);
      if (end < k) left = true;
    }
    if (!left) break;
  }
  for (let d = 0; d < count; d++) {
    const s = scratch + <usize>d * 160;
    const o = out + <usize>d * 160;
    for (let which = 0; which < 5; which++)
      store4(o, which, v128.load(s + ((<usize>which) << 5)), v128.load(s + ((<usize>which) << 5), 16));
  }
}

/** Adds samples j0…j1-1 of a digest of k values into the ten f64x2 sums at `s` . */
function addSums(query: usize, digest: usize, k: u32, j0: u32, j1: u32, s: usize): void {
  const values = digest + ((<usize>k) << 2);
  for (let start = j0; start < j1; start += <u32>BLOCK) {
    const end = min(start + <u32>BLOCK, j1);
    let a1 = f32x4.splat(0),
      b1 = f32x4.splat(0),
      aa = f32x4.splat(0),
      bb = f32x4.splat(0),
      ab = f32x4.splat(0);
    for (let j = start; j < end; j++) {
      const p = <usize>load<u32>(digest + ((<usize>j) << 2));
      const v = f32x4.splat(load<f32>(values + ((<usize>j) << 2)));
      const at = query + (p << 5);
      const b = v128.load(at);
      const a = f32x4.mul(v, v128.load(at, 16));
      a1 = f32x4.add(a1, a);
      b1 = f32x4.add(b1, b);
      aa = f32x4.add(aa, f32x4.mul(a, a));
      bb = f32x4.add(bb, f32x4.mul(b, b));
      ab = f32x4.add(ab, f32x4.mul(a, b));
    }
    addLanes(s, 0, a1);
    addLanes(s, 1, b1);
    addLanes(s, 2, aa);
    addLanes(s, 3, bb);
    addLanes(s, 4, ab);
  }
}

/** Adds the four float32 lanes of x to sum number `which` (two f64x2 at s + 32·which). */
function addLanes(s: usize, which: i32, x: v128): void {
  const at = s + ((<usize>which) << 5);
  v128.store(at, f64x2.add(v128.load(at), f64x2.promote_low_f32x4(x)));
  v128.store(at, f64x2.add(v128.load(at, 16), f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1))), 16);
}

/** Writes the four lanes (low pair, high pair) of sum number `which` into out[o·5 + which]. */
function store4(out: usize, which: i32, low: v128, high: v128): void {
  store<f64>(out + ((<usize>(0 * 5 + which)) << 3), f64x2.extract_lane(low, 0));
  store<f64>(out + ((<usize>(1 * 5 + which)) << 3), f64x2.extract_lane(low, 1));
  store<f64>(out + ((<usize>(2 * 5 + which)) << 3), f64x2.extract_lane(high, 0));
  store<f64>(out + ((<usize>(3 * 5 + which)) << 3), f64x2.extract_lane(high, 1));
}
