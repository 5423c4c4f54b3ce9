/**
 * The centred crop window of an (h, w) image: sides min(side, h) and min(side, w) rounded down
 * to even, at even offsets, so the 2×2 colour-filter phase of the crop is the image's.
 */
export function centreCrop(
  h: number,
  w: number,
  side: number,
): { y: number; x: number; ch: number; cw: number } {
  const ch = Math.min(side, h) & ~1;
  const cw = Math.min(side, w) & ~1;
  return { y: ((h - ch) >> 1) & ~1, x: ((w - cw) >> 1) & ~1, ch, cw };
}
