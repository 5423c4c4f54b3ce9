/** Colour to grey as in the Binghamton toolbox (Matlab rgb2gray weights). */
export const GREY_WEIGHTS = [0.29893602, 0.58704307, 0.1140209] as const;

/** Interleaved RGB (n·3) → grey (n): 0.29893602·R + 0.58704307·G + 0.11402090·B. */
export function rgbToGrey(rgb: Float32Array): Float32Array {
  const n = rgb.length / 3;
  const out = new Float32Array(n);
  const [wr, wg, wb] = GREY_WEIGHTS;
  for (let i = 0; i < n; i++) out[i] = wr * rgb[3 * i] + wg * rgb[3 * i + 1] + wb * rgb[3 * i + 2];
  return out;
}

/** One channel (0, 1, 2) of interleaved RGB as a plane. */
export function channel(rgb: Float32Array, ch: number): Float32Array {
  const n = (rgb.length / 3) | 0;
  const out = new Float32Array(n);
  for (let i = 0, j = ch; i < n; i++, j += 3) out[i] = rgb[j];
  return out;
}
