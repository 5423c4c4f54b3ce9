/**
 * Job kind `search-shard`: the digest stage of a search over one shard of the store, for
 * `camprint worker` processes on other machines (the store being a shared PostgreSQL). The
 * result is small: the shard's best candidates and counts; the submitter merges the shards and
 * runs the full detector on the best (distributed.ts). Reading only, so a retry is harmless.
 */
import { z } from 'zod';
import { queryResidual } from '../services/index.js';
import { absolutePath, registerJobHandler, resolvePaths } from '../queue/registry.js';
import { residualParams } from '../queue/kinds/shared.js';
import { planSearch, scanShard, SEARCH_DEFAULTS } from './search.js';

export const searchShardParams = z
  .object({
    /** The query photo, on a file system the workers see. */
    image: absolutePath,
    shard: z.number().int().nonnegative(),
    shards: z.number().int().positive().max(10_000),
    maxRerank: z.number().int().positive().max(10_000).default(SEARCH_DEFAULTS.maxRerank),
    standOutPfa: z.number().positive().lt(1).default(SEARCH_DEFAULTS.standOutPfa),
    rotations: z.boolean().default(true),
    ...residualParams,
  })
  .strict()
  .refine((p) => p.shard < p.shards, { message: 'shard must be below shards' });

registerJobHandler('search-shard', {
  description:
    'digest scores of one shard of the fingerprint store for a photo (params: image, shard, shards)',
  params: searchShardParams,
  prepare: (p, { cwd }) => resolvePaths(p, ['image'], cwd),
  async run(p, job) {
    job.progress(0, p.image);
    const q = await queryResidual(p.image, { levels: p.levels, sigma: p.sigma, maxPixels: p.maxPixels });
    job.progress(0.3, 'scanning');
    const options = { maxRerank: p.maxRerank, standOutPfa: p.standOutPfa, rotations: p.rotations };
    const store = await job.store();
    const plan = await planSearch(store, q, options);
    const scan = await scanShard(store, plan, options, { index: p.shard, count: p.shards });
    return {
      image: p.image,
      sha256: q.sha256,
      shard: p.shard,
      shards: p.shards,
      ranked: scan.ranked.map((c) => ({ camera: c.camera, score: c.score })),
      scanned: scan.scanned,
      standing: scan.standing,
      seconds: scan.seconds,
    };
  },
});
