/**
 * Job kind `cluster`: the blind clustering of one folder of photos on a `camprint worker`
 * (a seized disk's photos, on a file system the workers see). The clusters are written to `out`
 * as JSON (a temporary file renamed over it, so a retried run is harmless); the job's result is
 * the summary. One folder is one job: the NCC matrix of its photos is spread over the worker's
 * own cores (pool), not over machines.
 */
import { z } from 'zod';
import { listImages } from '../image/index.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../queue/registry.js';
import { residualParams } from '../queue/kinds/shared.js';
import { writeFileAtomic } from '../util/atomic.js';
import { InputError } from '../util/errors.js';
import { clusterPhotos, CLUSTER_DEFAULTS } from './cluster.js';

export const clusterJobParams = z
  .object({
    /** The folder of photos (searched recursively, as `camprint cluster` does). */
    dir: absolutePath,
    /** Where to write the clusters (JSON). */
    out: absolutePath,
    pfa: z.number().positive().lt(1).default(CLUSTER_DEFAULTS.pfa),
    crop: z.number().int().positive().default(CLUSTER_DEFAULTS.crop),
    weighting: z.boolean().default(true),
    ...residualParams,
  })
  .strict();

registerJobHandler('cluster', {
  description:
    'blind clustering of a folder of photos by sensor → clusters JSON (params: dir, out; pfa, crop)',
  params: clusterJobParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['dir', 'out'], cwd),
  async run(p, job) {
    const files = listImages([p.dir]);
    if (files.length === 0) throw new InputError(`${p.dir}: no images found (JPEG, PNG, TIFF or WebP)`);
    const report = await clusterPhotos(files, {
      pfa: p.pfa,
      crop: p.crop,
      levels: p.levels,
      sigma: p.sigma,
      maxPixels: p.maxPixels,
      ...(p.weighting ? {} : { weight: false as const }),
      onProgress: (phase, done, total, detail) =>
        job.progress((phase === 'residuals' ? 0 : 0.5) + (0.5 * done) / Math.max(1, total), detail),
    });
    job.signal.throwIfAborted();
    const clusters = report.clusters.map((c) => ({ id: c.id, size: c.size, files: c.files }));
    writeFileAtomic(
      p.out,
      `${JSON.stringify({ clusters, threshold: report.threshold, skipped: report.skipped }, null, 1)}\n`,
    );
    return {
      dir: p.dir,
      out: p.out,
      photos: report.files.length,
      clusters: report.clusters.length,
      skipped: report.skipped.length,
      threshold: report.threshold.z,
      seconds: report.seconds,
    };
  },
});
