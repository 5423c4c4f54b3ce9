/**
 * Job kind `residual`: one image's PRNU noise residual, written as float32 .npy (height, width)
 * to `out` (a temporary file renamed over it, so a retried or duplicated run is harmless).
 */
import { z } from 'zod';
import { queryResidual } from '../../services/index.js';
import { writeNpyFloat32 } from '../../util/npy.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../registry.js';
import { residualParams } from './shared.js';

export const residualJobParams = z
  .object({
    /** The image (JPEG, PNG, TIFF or WebP). */
    image: absolutePath,
    /** Where to write the residual (.npy). */
    out: absolutePath,
    ...residualParams,
  })
  .strict();
export type ResidualJobParams = z.output<typeof residualJobParams>;

registerJobHandler('residual', {
  description: "an image's noise residual → float32 .npy (params: image, out; levels, sigma, maxPixels)",
  params: residualJobParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['image', 'out'], cwd),
  async run(p, job) {
    const t0 = performance.now();
    job.progress(0, p.image);
    const r = await queryResidual(p.image, { levels: p.levels, sigma: p.sigma, maxPixels: p.maxPixels });
    job.signal.throwIfAborted();
    await writeNpyFloat32(p.out, r.residual, [r.height, r.width]);
    return {
      image: p.image,
      out: p.out,
      width: r.width,
      height: r.height,
      sha256: r.sha256,
      seconds: (performance.now() - t0) / 1000,
    };
  },
});
