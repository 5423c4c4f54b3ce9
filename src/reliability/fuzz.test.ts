/**
 * Issue 9, item 1 — fuzzing. Seeded mutations (corpus.ts, mutate.ts) of small JPEG, PNG, TIFF
 * and WebP files, and of a real Nikon's EXIF block when ../shared has the Dresden photos, go
 *  - through decode → residual → match and inspect, in a runner process watched from here: every
 *    case ends in a result or an InputError (exit 2), never another error, a crash, a case longer
 *    than 10 s, or memory growing without bound;
 *  - a subset through the CLI (`inspect`, `match`, `fingerprint build`): exit 0 or 2 with one line
 *    on stderr and no stack trace;
 *  - a subset as uploads to POST /api/identify and /api/inspect of a running server: 200, 400 or
 *    413 as JSON, never 500, and the server healthy after each.
 * The figures (cases per outcome, slowest case, peak memory) are printed. CAMPRINT_FUZZ_CASES
 * and CAMPRINT_FUZZ_SEED change the run's size and seed (failing inputs are kept in
 * test-artifacts/fuzz/ and reproduce from the seed and the case number).
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { startServer } from '../server/index.js';
import { closePool } from '../pool/index.js';
import { REPO_ROOT } from '../testing/shared.js';
import { makeCorpus, dresdenPhoto, CORPUS_HEIGHT, CORPUS_WIDTH, type SeedFile } from './corpus.js';
import type { CaseLine, RunnerConfig } from './fuzz-runner.js';
import { mutateCase } from './mutate.js';
import { assertCliError, camprint, fingerprintNpy, MB, startCamprint, type Json } from './harness.js';

const SEED = Number(process.env.CAMPRINT_FUZZ_SEED ?? 20250901);
const CASES = Number(process.env.CAMPRINT_FUZZ_CASES ?? 2400);
const DRESDEN_CASES = Math.round(CASES / 8);
const HTTP_CASES = Math.round(CASES / 8);
/** A case taking longer than this is a hang. */
const CASE_TIMEOUT_MS = 10_000;
/** Resident memory the runner may reach (a 200 MP decode would be far above it). */
const MAX_RSS = 1536 * MB;
const RUNNER = join(fileURLToPath(new URL('.', import.meta.url)), 'fuzz-runner.js');
const KEEP = join(REPO_ROOT, 'test-artifacts', 'fuzz');

let work: string;
let seeds: SeedFile[];
const dresden = dresdenPhoto();
const noDresden = dresden
  ? false
  : 'needs a Dresden photo under ../shared/data/dresden-nikon (the project’s shared test data) for a real camera’s EXIF block, which is absent';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'camprint-fuzz-'));
  seeds = await makeCorpus(join(work, 'corpus'), { dresden });
});
after(async () => {
  await closePool();
  rmSync(work, { recursive: true, force: true });
});

interface RunnerSummary {
  lines: CaseLine[];
  peakRss: number;
  slowest: CaseLine;
  seconds: number;
}

/** Runs cases in the runner process; rejects on a hang (killing it), a crash or an internal error. */
function runCases(from: number, to: number, only?: string[]): Promise<RunnerSummary> {
  const config: RunnerConfig = {
    seeds,
    seed: SEED,
    from,
    to,
    only,
    work: join(work, `cases-${from}`),
    keep: KEEP,
    maxPixels: 200_000_000,
  };
  const t0 = performance.now();
  const child = spawn(process.execPath, [RUNNER, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: CaseLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout;
    const next = () => `case ${lines.length ? lines.at(-1)!.i + 1 : from}`;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${next()} (seed ${SEED}) ran longer than ${ms} ms: a hang`));
      }, ms);
    };
    arm(CASE_TIMEOUT_MS + 20_000); // the first case also starts the worker pool
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as CaseLine;
      lines.push(line);
      arm(CASE_TIMEOUT_MS);
      if (line.rss > MAX_RSS) {
        child.kill('SIGKILL');
        reject(
          new Error(
            `case ${line.i} (${line.seed}: ${line.what}): resident memory ${(line.rss / MB).toFixed(0)} MB`,
          ),
        );
      }
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || lines.length !== to - from) {
        reject(
          new Error(
            `the runner ended (${code ?? signal}) after ${lines.length} of ${to - from} cases, at ${next()}:\n${stderr}`,
          ),
        );
        return;
      }
      const slowest = lines.reduce((a, b) => (b.ms > a.ms ? b : a));
      resolve({
        lines,
        peakRss: Math.max(...lines.map((l) => l.rss)),
        slowest,
        seconds: (performance.now() - t0) / 1000,
      });
    });
  });
}

/** Asserts that no case ended in an internal error, and prints the figures. */
function report(label: string, s: RunnerSummary): void {
  const internal = s.lines.filter((l) => l.match === 'internal' || l.inspect === 'internal');
  assert.deepEqual(
    internal.map((l) => `case ${l.i} (${l.seed}: ${l.what}): ${l.message?.split('\n')[0]}`),
    [],
    `inputs kept in ${KEEP}`,
  );
  const count = (k: 'match' | 'inspect', v: string) => s.lines.filter((l) => l[k] === v).length;
  const formats = new Map<string, number>();
  for (const l of s.lines) formats.set(l.seed, (formats.get(l.seed) ?? 0) + 1);
  console.log(
    `fuzz ${label}: ${s.lines.length} inputs (seed ${SEED}; ${[...formats].map(([k, v]) => `${k} ${v}`).join(', ')}) in ${s.seconds.toFixed(1)} s; ` +
      `decode+residual+match: ${count('match', 'ok')} results, ${count('match', 'input')} input errors; ` +
      `inspect: ${count('inspect', 'ok')} results, ${count('inspect', 'input')} input errors; internal errors 0; ` +
      `slowest case ${s.slowest.ms} ms (${s.slowest.seed}: ${s.slowest.what}); peak RSS ${(s.peakRss / MB).toFixed(0)} MB`,
  );
}

describe('fuzzing: mutated images never crash, hang or blow up memory', () => {
  test(
    `${CASES} mutated JPEG/PNG/TIFF/WebP files through decode, residual, match and inspect`,
    { timeout: 300_000 },
    async () => {
      const names = seeds.filter((s) => s.name !== 'dresden-exif.jpg').map((s) => s.name);
      const s = await runCases(0, CASES, names);
      report('formats', s);
      // The mutations reach past the header: both outcomes are common.
      assert.ok(
        s.lines.filter((l) => l.match === 'ok').length > CASES / 10,
        'some mutated files still decode',
      );
      assert.ok(s.lines.filter((l) => l.match === 'input').length > CASES / 10, 'many are refused');
    },
  );

  test(
    `${DRESDEN_CASES} mutations of a real Nikon D70 EXIF block (maker notes, thumbnail)`,
    { skip: noDresden, timeout: 120_000 },
    async () => {
      const s = await runCases(0, DRESDEN_CASES, ['dresden-exif.jpg']);
      report('Dresden EXIF', s);
      assert.ok(
        s.lines.some((l) => /EXIF/.test(l.what)),
        'EXIF IFDs were mutated',
      );
    },
  );

  test(
    'a subset through the CLI: exit 0 or 2, one line naming the file, no stack trace',
    { timeout: 180_000 },
    async () => {
      const dir = join(work, 'cli');
      const store = join(dir, 'store');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'fuzz-k.npy'), fingerprintNpy(CORPUS_WIDTH, CORPUS_HEIGHT, 1));
      assert.equal(camprint(['--data-dir', store, 'fingerprint', 'import', join(dir, 'fuzz-k.npy')]).code, 0);
      const files = mutatedFiles(join(dir, 'in'), 8, 100_000);
      const codes: number[] = [];
      const jobs = files.flatMap((file) => [
        ['--data-dir', store, '--json', 'inspect', file],
        ['--data-dir', store, '--json', 'match', file, '--camera', 'fuzz-k'],
      ]);
      await Promise.all(
        [0, 1].map(async (lane) => {
          for (let k = lane; k < jobs.length; k += 2) {
            const args = jobs[k];
            const r = await startCamprint(args).ended;
            codes.push(r.code ?? -1);
            const what = `${args[3]} ${basename(args[4])}`;
            if (r.code === 0) assert.ok(r.json?.file, `${what}: one JSON document`);
            else assertCliError(r, 2, new RegExp(basename(args[4]).replace('.', '\\.')), what);
          }
        }),
      );
      // What the fuzzer found: an image under 8×8 pixels was an internal error (exit 3).
      for (const [w, h] of [
        [4, 4],
        [1, 96],
      ]) {
        const tiny = join(dir, `tiny-${w}x${h}.png`);
        await sharp({ create: { width: w, height: h, channels: 3, background: '#808080' } })
          .png()
          .toFile(tiny);
        assertCliError(
          await startCamprint(['--data-dir', store, 'match', tiny, '--camera', 'fuzz-k']).ended,
          2,
          new RegExp(`tiny-${w}x${h}\\.png: image ${w}×${h} is too small`),
        );
      }
      // A fingerprint from a folder of mutated files: built, or exit 2 naming the first bad one.
      const folder = mutatedFiles(join(dir, 'build'), 12, 200_000, 'jpeg');
      const build = camprint([
        '--data-dir',
        store,
        '--json',
        'fingerprint',
        'build',
        join(dir, 'build'),
        '--camera',
        'fz',
      ]);
      if (build.code !== 0) assertCliError(build, 2, /case-\d+\.(jpg|png|tif|webp)/, 'fingerprint build');
      console.log(
        `fuzz CLI: ${files.length} inputs × inspect and match: exit 0 ×${codes.filter((c) => c === 0).length}, exit 2 ×${codes.filter((c) => c === 2).length}; ` +
          `fingerprint build over ${folder.length} mutated JPEGs: exit ${build.code}`,
      );
    },
  );

  test(
    `${HTTP_CASES} uploads to POST /api/identify and /api/inspect: 200/400/413 as JSON, never 500, the server healthy`,
    { timeout: 120_000 },
    async () => {
      const dir = join(work, 'http');
      let app: FastifyInstance | undefined;
      try {
        const started = await startServer({
          dataDir: join(dir, 'data'),
          databaseUrl: null,
          port: 0,
          token: '',
          rateLimit: false,
        });
        app = started.app;
        const base = started.url.replace(/\/$/, '');
        const data = fingerprintNpy(CORPUS_WIDTH, CORPUS_HEIGHT, 2);
        writeFileSync(join(dir, 'k.npy'), data);
        assert.equal(
          camprint(['--data-dir', join(dir, 'data'), 'fingerprint', 'import', join(dir, 'k.npy')]).code,
          0,
        );
        const statuses = new Map<number, number>();
        const rss0 = process.memoryUsage().rss;
        let peak = rss0;
        const t0 = performance.now();
        const names = seeds.map((s) => s.name);
        for (let i = 0; i < HTTP_CASES; i++) {
          const k = i % seeds.length;
          const { bytes, what } = mutateCase(readFileSync(seeds[k].file), seeds[k].format, SEED, 300_000 + i);
          const route = i % 2 === 0 ? 'identify' : 'inspect';
          const form = new FormData();
          form.append('image', new Blob([bytes]), `upload-${i}${extname(names[k])}`);
          const r = await fetch(`${base}/api/${route}`, {
            method: 'POST',
            body: form,
            signal: AbortSignal.timeout(CASE_TIMEOUT_MS),
          });
          const text = await r.text();
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          const label = `upload ${i} to /api/${route} (${names[k]}: ${what}) → ${r.status} ${text.slice(0, 300)}`;
          assert.ok([200, 400, 413].includes(r.status), label);
          const json = JSON.parse(text) as Json;
          if (r.status !== 200) {
            assert.deepEqual(Object.keys(json), ['error'], label);
            assert.ok(
              !json.error.includes('\n') && !/\.js:\d+/.test(json.error),
              `one line, no stack: ${label}`,
            );
            assert.ok(json.error.startsWith(`upload-${i}`), `names the upload as sent: ${label}`);
            assert.ok(!json.error.includes(dir), `no server path: ${label}`);
          }
          if (i % 25 === 24) {
            const h = await fetch(`${base}/api/health`);
            assert.equal(h.status, 200, `healthy after ${i + 1} uploads`);
          }
          peak = Math.max(peak, process.memoryUsage().rss);
        }
        const h = await fetch(`${base}/api/health`);
        assert.equal(h.status, 200);
        assert.ok(peak - rss0 < 1024 * MB, `memory grew by ${((peak - rss0) / MB).toFixed(0)} MB`);
        console.log(
          `fuzz HTTP: ${HTTP_CASES} uploads in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${[...statuses].map(([s, n]) => `${s} ×${n}`).join(', ')}; ` +
            `no 500; RSS ${(rss0 / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} MB`,
        );
      } finally {
        await app?.close();
      }
    },
  );
});

/** Writes `n` mutated files (cases from `offset`, every seed file of the format in turn) into `dir`. */
function mutatedFiles(dir: string, n: number, offset: number, format?: SeedFile['format']): string[] {
  mkdirSync(dir, { recursive: true });
  const pool = seeds.filter((s) => !format || s.format === format);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = pool[i % pool.length];
    const { bytes } = mutateCase(readFileSync(s.file), s.format, SEED, offset + i);
    const file = join(dir, `case-${offset + i}${extname(s.file)}`);
    writeFileSync(file, bytes);
    out.push(file);
  }
  return out;
}
