/**
 * Colour filter arrays. A Bayer pattern is named by its top-left 2×2 block read row by row
 * ('RGGB': R at (0,0), G at (1,0) and (0,1), B at (1,1)); the block tiles the sensor.
 * Channels are numbered 0 = R, 1 = G, 2 = B.
 */

/** The four Bayer layouts. */
export const CFA_PATTERNS = ['RGGB', 'BGGR', 'GRBG', 'GBRG'] as const;
export type CfaPattern = (typeof CFA_PATTERNS)[number];

/** Linear RGB as three planes (R, G, B), each row-major of length width·height. */
export type RgbPlanes = [Float32Array, Float32Array, Float32Array];

/**
 * The channel at each position of the 2×2 block: `[c(0,0), c(1,0), c(0,1), c(1,1)]` for
 * (x, y), i.e. index `(y & 1) * 2 + (x & 1)`.
 */
export function cfaChannels(pattern: CfaPattern): [number, number, number, number] {
  const code = (ch: string): number => (ch === 'R' ? 0 : ch === 'G' ? 1 : 2);
  return [code(pattern[0]), code(pattern[1]), code(pattern[2]), code(pattern[3])];
}

/**
 * Samples three full planes through the CFA: one value per photosite, the plane of the filter
 * colour at that site.
 * @param planes R, G, B planes, each width·height
 * @returns the mosaic, width·height
 */
export function mosaic(planes: RgbPlanes, width: number, height: number, pattern: CfaPattern): Float32Array {
  const ch = cfaChannels(pattern);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const c0 = planes[ch[(y & 1) * 2]];
    const c1 = planes[ch[(y & 1) * 2 + 1]];
    const row = y * width;
    for (let x = 0; x < width; x += 2) out[row + x] = c0[row + x];
    for (let x = 1; x < width; x += 2) out[row + x] = c1[row + x];
  }
  return out;
}
