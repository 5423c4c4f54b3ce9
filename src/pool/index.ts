/**
 * pool/: one worker-thread pool per process, sized to the cores, for decode + residual work.
 * The main thread stays free for progress, I/O and the server.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type {
  ChannelTask,
  CropsResult,
  CropsTask,
  FinishTask,
  InputFailure,
  ResidualResult,
  ResidualTask,
  SumsResult,
  SumsTask,
  Task,
} from './worker.js';
import { InputError } from '../util/errors.js';
import type { ClusterCropResult, ClusterCropTask, ClusterDotsTask } from '../cluster/task.js';
import type { DigestScoresTask } from '../search/task.js';

export type { ResidualResult, SumsResult, CropSums, ImageMeta, CropsResult } from './worker.js';
export { imageMeta } from './worker.js';
export { cropArray } from './worker.js';
export { centreCrop } from '../image/index.js';

let pool: Piscina | undefined;

/** Threads used: CAMPRINT_THREADS, else the number of cores. */
export function threadCount(): number {
  const env = Number(process.env.CAMPRINT_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

function getPool(): Piscina {
  pool ??= new Piscina({
    filename: new URL('./worker.js', import.meta.url).href,
    maxThreads: threadCount(),
    minThreads: 0,
    idleTimeout: 2000,
  });
  return pool;
}

async function runTask<T>(task: Task, transferList?: (MessagePort | ArrayBuffer)[]): Promise<T> {
  const out = (await getPool().run(task, { transferList })) as T | InputFailure;
  if (out && typeof out === 'object' && 'inputError' in out) throw new InputError(out.inputError);
  return out as T;
}

/** noise_extract of one channel of shared pixels, on the pool. */
export function runChannel(task: Omit<ChannelTask, 'kind'>): Promise<Float32Array> {
  return runTask({ ...task, kind: 'channel' });
}

/** ZeroMeanTotal + DFT Wiener of a grey residual, on the pool (moves `grey` there). */
export function runFinish(task: Omit<FinishTask, 'kind'>): Promise<Float32Array> {
  return runTask({ ...task, kind: 'finish' }, [task.grey.buffer as ArrayBuffer]);
}

/** Runs a decode+residual task on the pool. Bad input rejects with InputError. */
export function runResidual(task: Omit<ResidualTask, 'kind'>): Promise<ResidualResult> {
  return runTask({ ...task, kind: 'residual' });
}

/**
 * Decodes one photo and cuts its data-set crops (float16) on the pool; the crops are moved back.
 * Bad input (unreadable, corrupt, smaller than the crop) rejects with InputError.
 */
export function runCrops(task: Omit<CropsTask, 'kind'>): Promise<CropsResult> {
  return runTask({ ...task, kind: 'crops' });
}

/**
 * Streams a share of a fingerprint's images through one worker's accumulator; `onImage` is
 * called (on this thread) after each image. Bad input rejects with InputError.
 */
export async function runSums(
  task: Omit<SumsTask, 'kind' | 'progress'>,
  onImage?: (file: string) => void,
): Promise<SumsResult> {
  const channel = new MessageChannel();
  channel.port1.on('message', (m: { file: string }) => onImage?.(m.file));
  try {
    return await runTask({ ...task, kind: 'sums', progress: channel.port2 }, [channel.port2]);
  } finally {
    channel.port1.close();
  }
}

/** Blind clustering: one photo's weighted, unit-norm residual crop (cluster/task.ts). Bad input rejects with InputError. */
export function runClusterCrop(task: Omit<ClusterCropTask, 'kind'>): Promise<ClusterCropResult> {
  return runTask({ ...task, kind: 'clusterCrop' });
}

/** Blind clustering: one tile of dot products of crops in shared memory (cluster/task.ts). */
export function runClusterDots(task: Omit<ClusterDotsTask, 'kind'>): Promise<Float64Array> {
  return runTask({ ...task, kind: 'clusterDots' });
}

/** Search: the digest scores of one batch; the digests' buffers are moved, not copied (search/task.ts). */
export function runDigestScores(task: Omit<DigestScoresTask, 'kind'>): Promise<Float64Array> {
  const buffers = new Set(task.digests.map((d) => d.indices.buffer as ArrayBuffer));
  return runTask({ ...task, kind: 'digestScores' }, [...buffers]);
}

/** Stops the workers (lets the process exit promptly). */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.destroy();
}
