/**
 * prnu/: the PRNU method's numeric kernels, in the method's order (DESIGN.md §3). Typed arrays in,
 * typed arrays out; no I/O, no storage. Call `initFft()` once per thread before using them.
 */
export { initFft, fft2 } from './fft.js';
export { dwt2, idwt2, dwtLength, maxLevel } from './wavelet.js';
export { wienerAdaptive, DEFAULT_WINDOWS } from './wiener.js';
export { zeroMean, zeroMeanTotal } from './zeroMean.js';
export { rgbToGrey, channel, GREY_WEIGHTS } from './grey.js';
export { wienerDft, std } from './wienerDft.js';
export {
  extractResidual,
  noiseExtractPlane,
  finishResidual,
  RESIDUAL_DEFAULTS,
  type ResidualOptions,
} from './residual.js';
export {
  FingerprintAccumulator,
  fingerprintFromSums,
  intensityScale,
  saturationMask,
} from './fingerprint.js';
export {
  crossCorrelate,
  findPeak,
  pceAt,
  surfaceWindow,
  correlationGrid,
  type Surface,
  type ShiftRange,
} from './correlate.js';
export {
  detect,
  rotatePlane,
  DETECT_DEFAULTS,
  type Detection,
  type NotComparable,
  type DetectOptions,
  type Plane,
} from './detect.js';
export { falseAlarm, log10NormalTail, normalUpperQuantile, thresholdFor, type FalseAlarm } from './stats.js';
