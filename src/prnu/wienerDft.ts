import { irfft2Real, rfft2 } from './fft.js';
import { wienerAdaptive } from './wiener.js';

/**
 * Wiener filtering in the DFT domain (Binghamton "WienerInDFT", prnu-python `wiener_dft`).
 * Periodic artefacts (JPEG blocks, readout patterns) stand out as peaks in the spectrum of a
 * residual; the adaptive Wiener filter applied to the magnitude |F|/√(hw) flattens them while
 * keeping the phase. Returns a new (h, w) array.
 * @param x residual, (h, w) row-major
 * @param sigma standard deviation of the noise to keep (prnu-python: the residual's own std)
 */
export function wienerDft(x: Float32Array, h: number, w: number, sigma: number): Float32Array {
  const n = h * w;
  const spec = rfft2(x, h, w);
  const norm = 1 / Math.sqrt(n);
  const mag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const re = spec[2 * i];
    const im = spec[2 * i + 1];
    mag[i] = Math.sqrt(re * re + im * im) * norm; // Math.hypot is several times slower
  }
  const kept = wienerAdaptive(mag, h, w, sigma * sigma);
  for (let i = 0; i < n; i++) {
    const g = mag[i] === 0 ? 0 : kept[i] / mag[i];
    spec[2 * i] *= g;
    spec[2 * i + 1] *= g;
  }
  return irfft2Real(spec, h, w);
}

/** Sample standard deviation (ddof = 1), accumulated in float64. */
export function std(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / (x.length - 1));
}
