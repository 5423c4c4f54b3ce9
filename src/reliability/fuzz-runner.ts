/**
 * The fuzz tests' runner process (not part of camprint's interface): runs a range of mutated
 * cases through decode → residual → match (services' matchFile, against a fingerprint of the
 * corpus's size) and through inspect, one at a time, and prints one JSON line per case on stdout:
 * `{"i", "seed", "what", "match", "inspect", "ms", "rss", "message"?}` where match and inspect
 * are `ok`, `input` (an InputError: exit 2 / HTTP 400) or `internal` (anything else: a defect).
 * A separate process so that the test can kill it when a case hangs and read its memory.
 *
 * Usage: node fuzz-runner.js '<RunnerConfig as JSON>'
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { inspectImage } from '../evidence/index.js';
import { closePool } from '../pool/index.js';
import { matchFile, type CandidateFingerprint } from '../services/index.js';
import { InputError } from '../util/errors.js';
import type { SeedFile } from './corpus.js';
import { mutateCase, rng } from './mutate.js';

export interface RunnerConfig {
  seeds: SeedFile[];
  /** The run's seed: case i is always the same bytes. */
  seed: number;
  /** Cases from (inclusive) to (exclusive). */
  from: number;
  to: number;
  /** Only these seed files (names); all when absent. */
  only?: string[];
  /** A folder for the case files (each deleted after its case). */
  work: string;
  /** Where inputs that end in an internal error are kept. */
  keep: string;
  /** Pixel limit handed to decode (the CLI's default: 200 MP). */
  maxPixels: number;
}

export interface CaseLine {
  i: number;
  seed: string;
  what: string;
  bytes: number;
  match: 'ok' | 'input' | 'internal';
  inspect: 'ok' | 'input' | 'internal';
  ms: number;
  rss: number;
  message?: string;
}

type Outcome = { kind: 'ok' | 'input' | 'internal'; message?: string };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    await run();
    return { kind: 'ok' };
  } catch (err) {
    if (err instanceof InputError) return { kind: 'input', message: err.message };
    return { kind: 'internal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** A fingerprint-like random field of the given size (its values do not matter, its size does). */
function fingerprint(camera: string, width: number, height: number): CandidateFingerprint {
  const r = rng(width * 65_536 + height);
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (r() - 0.5) * 0.02;
  return { camera, width, height, data };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as RunnerConfig;
  mkdirSync(config.work, { recursive: true });
  const seeds = config.seeds.filter((s) => !config.only || config.only.includes(s.name));
  const bases = seeds.map((s) => readFileSync(s.file));
  const landscape = seeds.find((s) => s.width >= s.height) ?? seeds[0];
  const candidates = [fingerprint('fuzz-k', landscape.width, landscape.height)];
  for (let i = config.from; i < config.to; i++) {
    const k = i % seeds.length;
    const seed = seeds[k];
    const { bytes, what } = mutateCase(bases[k], seed.format, config.seed, i);
    const file = join(config.work, `case-${i}${extname(seed.file)}`);
    writeFileSync(file, bytes);
    const t0 = performance.now();
    const match = await outcome(() => matchFile(file, candidates, { maxPixels: config.maxPixels }));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const inspect = await outcome(() => inspectImage(file, bytes, sha, { maxPixels: config.maxPixels }));
    const line: CaseLine = {
      i,
      seed: seed.name,
      what,
      bytes: bytes.length,
      match: match.kind,
      inspect: inspect.kind,
      ms: Math.round(performance.now() - t0),
      rss: process.memoryUsage().rss,
    };
    const bad = [match, inspect].find((o) => o.kind === 'internal');
    if (bad) {
      line.message = bad.message;
      mkdirSync(config.keep, { recursive: true });
      copyFileSync(file, join(config.keep, `case-${config.seed}-${i}${extname(seed.file)}`));
    } else if (match.message) line.message = match.message;
    rmSync(file, { force: true });
    process.stdout.write(JSON.stringify(line) + '\n');
  }
  await closePool();
}

await main();
