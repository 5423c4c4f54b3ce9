/** Parameter schemas the built-in kinds share. */
import { z } from 'zod';
import { DEFAULT_MAX_PIXELS } from '../../image/index.js';
import { RESIDUAL_DEFAULTS } from '../../prnu/index.js';

/** The residual's parameters, with the CLI's defaults. */
export const residualParams = {
  /** Wavelet decomposition levels. */
  levels: z.number().int().min(1).max(8).default(RESIDUAL_DEFAULTS.levels),
  /** Noise σ of the wavelet Wiener filter (0–255 scale). */
  sigma: z.number().positive().finite().default(RESIDUAL_DEFAULTS.sigma),
  /** Refuse images larger than this many pixels. */
  maxPixels: z.number().int().positive().default(DEFAULT_MAX_PIXELS),
};

/** A camera name as `--camera` takes it: 1–200 characters, no slashes or control characters. */
export const cameraName = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/[/\\]/.test(s) && ![...s].some((ch) => ch.charCodeAt(0) < 32) && s.trim() === s, {
    message:
      'expected a camera name (1–200 characters, no slashes, control characters or surrounding spaces)',
  });
