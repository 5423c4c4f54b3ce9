/** Options several commands share: residual parameters and the detector's. */
import type { Command } from 'commander';
import { positiveInt, positiveNumber, nonNegativeInt } from '../options.js';
import type { ResidualOptions, DetectOptions } from '../../prnu/index.js';

export function addResidualOptions(cmd: Command): Command {
  return cmd
    .option('--levels <n>', 'wavelet decomposition levels', '4')
    .option('--sigma <s>', 'noise σ of the wavelet Wiener filter (0–255 scale)', '5')
    .option('--max-pixels <n>', 'refuse images larger than this many pixels', '200000000');
}

export function residualOptions(o: Record<string, unknown>): ResidualOptions & { maxPixels: number } {
  return {
    levels: positiveInt('--levels', o.levels),
    sigma: positiveNumber('--sigma', o.sigma),
    maxPixels: positiveInt('--max-pixels', o.maxPixels),
  };
}

export function addDetectOptions(cmd: Command): Command {
  return cmd
    .option('--threshold <pce>', 'decision threshold on PCE', '60')
    .option('--max-shift <px>', 'for same-size images, search shifts up to ±px', '0')
    .option('--no-rotations', 'do not try the 90°/180°/270° rotations of the query');
}

export function detectOptions(o: Record<string, unknown>): DetectOptions {
  return {
    threshold: positiveNumber('--threshold', o.threshold),
    maxShift: nonNegativeInt('--max-shift', o.maxShift),
    rotations: o.rotations !== false,
  };
}
