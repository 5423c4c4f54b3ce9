/**
 * identify over a queue: the digest stage split into shards run as `search-shard` jobs (by
 * `camprint worker` processes when CAMPRINT_REDIS_URL is set, here otherwise), while this process
 * extracts the query's residual; then the shards are merged and the best candidates re-ranked here
 * by the full detector, exactly as the one-process search does (search.ts).
 */
import { resolve } from 'node:path';
import type { MatchOptions } from '../services/index.js';
import type { Store } from '../store/index.js';
import { runQueued, type Queue } from '../queue/index.js';
import { ensureDigests } from './backfill.js';
import { identifyReport, timedResidual, type IdentifyReport } from './identify.js';
import { mergeScans, planSearch, rerank, type SearchOptions, type ShardScan } from './search.js';

export async function identifyDistributed(
  store: Store,
  queue: Queue,
  file: string,
  shards: number,
  options: SearchOptions & MatchOptions = {},
): Promise<IdentifyReport & { shards: number }> {
  const t0 = performance.now();
  const digestsMade = await ensureDigests(store);
  const image = resolve(file);
  const jobs = Array.from({ length: shards }, (_, shard) =>
    runQueued(queue, 'search-shard', {
      image,
      shard,
      shards,
      ...(options.maxRerank !== undefined ? { maxRerank: options.maxRerank } : {}),
      ...(options.standOutPfa !== undefined ? { standOutPfa: options.standOutPfa } : {}),
      ...(options.rotations !== undefined ? { rotations: options.rotations } : {}),
      ...(options.levels !== undefined ? { levels: options.levels } : {}),
      ...(options.sigma !== undefined ? { sigma: options.sigma } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    }),
  );
  const { q, residualSeconds } = await timedResidual(file, options);
  const plan = await planSearch(store, q, options);
  const scans = (await Promise.all(jobs)) as unknown as ShardScan[];
  const report = await rerank(store, q, plan, mergeScans(scans, options), options);
  return { ...identifyReport(report, file, q, digestsMade, residualSeconds, t0), shards };
}
