/**
 * Job kind `fingerprint-build`: a camera's fingerprint from images (files or folders), saved in
 * the worker's store under the camera name (replacing the previous one: a rerun is harmless).
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { buildFingerprint, saveFingerprint } from '../../services/index.js';
import { listImages } from '../../image/index.js';
import { writeNpyFloat32 } from '../../util/npy.js';
import { InputError } from '../../util/errors.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../registry.js';
import { cameraName, residualParams } from './shared.js';

export const fingerprintBuildJobParams = z
  .object({
    /** The name to store the fingerprint under. */
    camera: cameraName,
    /** Image files or folders of images (flat-fields are best), all of one size. */
    images: z.array(absolutePath).min(1),
    /** Camera model and device, recorded with the camera. */
    model: z.string().min(1).max(200).optional(),
    device: z.string().min(1).max(200).optional(),
    /** Also write K as float32 .npy here. */
    out: absolutePath.optional(),
    ...residualParams,
  })
  .strict();
export type FingerprintBuildJobParams = z.output<typeof fingerprintBuildJobParams>;

registerJobHandler('fingerprint-build', {
  description:
    "a camera's fingerprint from images, saved in the worker's store (params: camera, images; model, device, out, levels, sigma, maxPixels)",
  params: fingerprintBuildJobParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['images', 'out'], cwd),
  async run(p, job) {
    const t0 = performance.now();
    const files = listImages(p.images);
    if (files.length === 0)
      throw new InputError(`${p.images.join(', ')}: no images found (JPEG, PNG, TIFF or WebP)`);
    job.progress(0, `${files.length} images`);
    const built = await buildFingerprint(files, {
      levels: p.levels,
      sigma: p.sigma,
      maxPixels: p.maxPixels,
      // The sums are most of the time; the quality figures and the save come after.
      onProgress: (done, total, file) => job.progress((0.95 * done) / total, basename(file)),
    });
    job.signal.throwIfAborted();
    if (p.out) await writeNpyFloat32(p.out, built.fingerprint, [built.height, built.width]);
    const record = await saveFingerprint(await job.store(), p.camera, built, {
      model: p.model,
      device: p.device,
    });
    return {
      camera: p.camera,
      images: built.sources.length,
      width: built.width,
      height: built.height,
      dataSha256: record.dataSha256,
      meanPce: built.quality.meanPce,
      minPce: built.quality.minPce,
      seconds: (performance.now() - t0) / 1000,
    };
  },
});
