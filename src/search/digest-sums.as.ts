/**
 * The digest detector's sums (search/score.ts, digestScore) for four orientations of the query
 * at once, one per lane of a 128-bit SIMD vector.
 *
 * Memory layout (byte addresses into the module's imported memory):
 * - query: per fingerprint pixel p, 8 float32 at query + 32·p: W of orientations 0–3, then I of
 *   orientations 0–3 (an orientation the caller does not use holds zeros);
 * - digest: k uint32 pixel indices, then k float32 fingerprint values (the stored blob as is);
 * - out: 20 float64: Σa, Σb, Σa², Σb², Σab for orientation 0, then 1, 2, 3, with a = K·I, b = W.
 * Products are summed in float32 over blocks of BLOCK samples, and the blocks in float64, so the
 * rounding error stays that of a 256-term float32 sum.
 */
const BLOCK: i32 = 256;

export function digestSums(query: usize, digest: usize, k: i32, out: usize): void {
  const values = digest + ((<usize>k) << 2);
  let sa = f64x2.splat(0),
    sa2 = f64x2.splat(0);
  let sb = f64x2.splat(0),
    sb2 = f64x2.splat(0);
  let saa = f64x2.splat(0),
    saa2 = f64x2.splat(0);
  let sbb = f64x2.splat(0),
    sbb2 = f64x2.splat(0);
  let sab = f64x2.splat(0),
    sab2 = f64x2.splat(0);
  for (let start = 0; start < k; start += BLOCK) {
    const end = min(start + BLOCK, k);
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
    sa = f64x2.add(sa, f64x2.promote_low_f32x4(a1));
    sa2 = f64x2.add(sa2, f64x2.promote_low_f32x4(i32x4.shuffle(a1, a1, 2, 3, 0, 1)));
    sb = f64x2.add(sb, f64x2.promote_low_f32x4(b1));
    sb2 = f64x2.add(sb2, f64x2.promote_low_f32x4(i32x4.shuffle(b1, b1, 2, 3, 0, 1)));
    saa = f64x2.add(saa, f64x2.promote_low_f32x4(aa));
    saa2 = f64x2.add(saa2, f64x2.promote_low_f32x4(i32x4.shuffle(aa, aa, 2, 3, 0, 1)));
    sbb = f64x2.add(sbb, f64x2.promote_low_f32x4(bb));
    sbb2 = f64x2.add(sbb2, f64x2.promote_low_f32x4(i32x4.shuffle(bb, bb, 2, 3, 0, 1)));
    sab = f64x2.add(sab, f64x2.promote_low_f32x4(ab));
    sab2 = f64x2.add(sab2, f64x2.promote_low_f32x4(i32x4.shuffle(ab, ab, 2, 3, 0, 1)));
  }
  store4(out, 0, sa, sa2);
  store4(out, 1, sb, sb2);
  store4(out, 2, saa, saa2);
  store4(out, 3, sbb, sbb2);
  store4(out, 4, sab, sab2);
}

/** Writes the four lanes (low pair, high pair) of sum number `which` into out[o·5 + which]. */
function store4(out: usize, which: i32, low: v128, high: v128): void {
  store<f64>(out + ((<usize>(0 * 5 + which)) << 3), f64x2.extract_lane(low, 0));
  store<f64>(out + ((<usize>(1 * 5 + which)) << 3), f64x2.extract_lane(low, 1));
  store<f64>(out + ((<usize>(2 * 5 + which)) << 3), f64x2.extract_lane(high, 0));
  store<f64>(out + ((<usize>(3 * 5 + which)) << 3), f64x2.extract_lane(high, 1));
}
