/**
 * The server under a bounded load (not part of camprint's interface): `camprint serve` in its own
 * process on a data directory with real fingerprints (simulated cameras) and decoys, and
 * autocannon in this process sending POST /api/identify uploads of real photos (a different one
 * each request) at a fixed rate over loopback. Figures: requests answered by status, the
 * achieved rate, latency percentiles, the server's resident memory before, during (peak) and
 * after, and what the store recorded: every answered identification must have left its audit
 * entry (lost = answered − recorded, which must be 0).
 *
 * Used by src/reliability/load.test.ts (a short run) and bench/load.ts (the minute in the README).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import autocannon from 'autocannon';
import { simulate } from '../sim/index.js';
import { openStore } from '../store/index.js';
import { camprint, fingerprintNpy, rssOf, startServe, type ServeProcess } from './harness.js';

export interface LoadSetup {
  dataDir: string;
  photos: string[];
  fingerprints: number;
}

/**
 * A data directory with `cameras` simulated cameras' fingerprints (from their flat-fields) and
 * `decoys` unrelated ones of the same size, and their natural photos to identify.
 */
export async function prepareLoad(
  work: string,
  options: { cameras?: number; decoys?: number; width?: number; height?: number; photos?: number } = {},
): Promise<LoadSetup> {
  const width = options.width ?? 384;
  const height = options.height ?? 256;
  const sim = await simulate({
    dir: join(work, 'sim'),
    models: options.cameras ?? 4,
    devices: 1,
    images: options.photos ?? 4,
    flat: 8,
    width,
    height,
    prnuScale: 1,
    seed: 21,
  });
  const dataDir = join(work, 'data');
  for (const c of sim.cameras) {
    const r = camprint([
      '--data-dir',
      dataDir,
      'fingerprint',
      'build',
      join(work, 'sim', c.camera, 'flat'),
      '--camera',
      c.camera,
    ]);
    if (r.code !== 0) throw new Error(`fingerprint build ${c.camera}: ${r.stderr}`);
  }
  const decoys = options.decoys ?? 16;
  if (decoys > 0) {
    const dir = join(work, 'decoys');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < decoys; i++)
      writeFileSync(join(dir, `decoy-${i}.npy`), fingerprintNpy(width, height, 500 + i));
    const r = camprint(['--data-dir', dataDir, 'fingerprint', 'import', dir]);
    if (r.code !== 0) throw new Error(`fingerprint import: ${r.stderr}`);
  }
  return {
    dataDir,
    photos: sim.cameras.flatMap((c) => c.natural),
    fingerprints: sim.cameras.length + decoys,
  };
}

export interface LoadFigures {
  seconds: number;
  /** Requests per second asked for. */
  rate: number;
  connections: number;
  sent: number;
  answered: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Answered requests per second. */
  achieved: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  rssMb: { before: number; peak: number; after: number };
  /** Audit entries (image.inspect) the identifications left, and answered 2xx − recorded. */
  recorded: number;
  lost: number;
  fingerprints: number;
}

/** One multipart body per photo (one boundary for all). */
function bodies(photos: string[]): { boundary: string; bodies: Buffer[] } {
  const boundary = `----camprint${randomBytes(8).toString('hex')}`;
  return {
    boundary,
    bodies: photos.map((p) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="top"\r\n\r\n3\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${basename(p)}"\r\n` +
            'Content-Type: image/jpeg\r\n\r\n',
        ),
        readFileSync(p),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    ),
  };
}

async function auditCount(dataDir: string, action: string): Promise<number> {
  const store = await openStore({ dataDir, databaseUrl: null });
  try {
    return (await store.listAudit()).filter((e) => e.action === action).length;
  } finally {
    await store.close();
  }
}

/**
 * Runs `camprint serve` on the setup's data directory and loads it with identify requests at
 * `rate` per second for `seconds`, over `connections` connections (see the module comment).
 */
export async function runLoad(
  setup: LoadSetup,
  options: { seconds: number; rate: number; connections?: number; token?: string },
): Promise<LoadFigures> {
  const connections = options.connections ?? 4;
  const token = options.token ?? randomBytes(16).toString('hex');
  const serve: ServeProcess = await startServe(setup.dataDir, ['--rate-limit', '0'], {
    CAMPRINT_TOKEN: token,
  });
  try {
    const { boundary, bodies: all } = bodies(setup.photos);
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    };
    // Warm up (worker threads, the digest kernel, caches), then the baseline.
    for (const body of all.slice(0, 4)) {
      const r = await fetch(`${serve.url}/api/identify`, { method: 'POST', headers, body });
      if (r.status !== 200) throw new Error(`warm-up identify: ${r.status} ${await r.text()}`);
    }
    const recordedBefore = await auditCount(setup.dataDir, 'image.inspect');
    const before = rssOf(serve.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(serve.pid) || 0)), 250);
    let next = 0;
    const result = await autocannon({
      url: `${serve.url}/api/identify`,
      method: 'POST',
      headers,
      connections,
      overallRate: options.rate,
      duration: options.seconds,
      timeout: 30,
      requests: [{ setupRequest: (req) => ({ ...req, body: all[next++ % all.length] }) }],
    });
    clearInterval(sampler);
    const after = rssOf(serve.pid);
    peak = Math.max(peak, after);
    const recorded = (await auditCount(setup.dataDir, 'image.inspect')) - recordedBefore;
    const statuses: Record<string, number> = {};
    for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = s.count;
    const mb = (b: number) => Math.round(b / 1048576);
    return {
      seconds: result.duration,
      rate: options.rate,
      connections,
      sent: result.requests.sent,
      answered: result['2xx'] + result.non2xx,
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      achieved: (result['2xx'] + result.non2xx) / result.duration,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: result.latency.mean,
      },
      rssMb: { before: mb(before), peak: mb(peak), after: mb(after) },
      recorded,
      lost: result['2xx'] - recorded,
      fingerprints: setup.fingerprints,
    };
  } finally {
    await serve.stop();
  }
}

/** The figures as one line (the tests' log) . */
export function describeLoad(f: LoadFigures): string {
  return (
    `${f.answered} identify requests answered in ${f.seconds.toFixed(0)} s (asked ${f.rate}/s over ${f.connections} connections, ` +
    `achieved ${f.achieved.toFixed(1)}/s; statuses ${JSON.stringify(f.statuses)}, errors ${f.errors}, timeouts ${f.timeouts}); ` +
    `latency p50 ${f.latencyMs.p50} ms, p90 ${f.latencyMs.p90} ms, p99 ${f.latencyMs.p99} ms, max ${f.latencyMs.max} ms; ` +
    `server RSS ${f.rssMb.before} → peak ${f.rssMb.peak} → ${f.rssMb.after} MB; ${f.fingerprints} fingerprints; ` +
    `recorded ${f.recorded}, lost ${f.lost}`
  );
}
