/**
 * `camprint serve` under a sustained load (issue 9): identify requests at a fixed rate over
 * loopback for a minute, from this process (autocannon) to the server in its own process, on
 * simulated cameras' fingerprints plus unrelated decoys. Prints the figures as a table and as
 * one JSON document (the README's "Reliability and security" figures come from here); the
 * test suite runs the same code for 10 s (src/reliability/load.test.ts).
 *   node dist/bench/load.js [--seconds 60] [--rate 4] [--connections 4] [--cameras 4] [--decoys 16]
 *        [--size 384x256] [--dir /tmp/camprint-bench-load] [--keep]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closePool } from '../src/pool/index.js';
import { describeLoad, prepareLoad, runLoad } from '../src/reliability/load.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '4' },
    connections: { type: 'string', default: '4' },
    cameras: { type: 'string', default: '4' },
    decoys: { type: 'string', default: '16' },
    size: { type: 'string', default: '384x256' },
    dir: { type: 'string', default: '/tmp/camprint-bench-load' },
    keep: { type: 'boolean', default: false },
  },
});
const [width, height] = args.size.split('x').map(Number);
rmSync(args.dir, { recursive: true, force: true });
mkdirSync(args.dir, { recursive: true });
try {
  const t0 = performance.now();
  const setup = await prepareLoad(args.dir, {
    cameras: Number(args.cameras),
    decoys: Number(args.decoys),
    width,
    height,
  });
  console.error(
    `set up ${setup.fingerprints} fingerprints and ${setup.photos.length} photos in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  const f = await runLoad(setup, {
    seconds: Number(args.seconds),
    rate: Number(args.rate),
    connections: Number(args.connections),
  });
  const rows: [string, string][] = [
    ['duration', `${f.seconds.toFixed(0)} s`],
    ['rate asked / achieved', `${f.rate}/s / ${f.achieved.toFixed(2)}/s (${f.connections} connections)`],
    [
      'requests answered',
      `${f.answered} (${Object.entries(f.statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')})`,
    ],
    ['errors / timeouts', `${f.errors} / ${f.timeouts}`],
    [
      'latency p50 / p90 / p99 / max',
      `${f.latencyMs.p50} / ${f.latencyMs.p90} / ${f.latencyMs.p99} / ${f.latencyMs.max} ms`,
    ],
    ['server RSS before / peak / after', `${f.rssMb.before} / ${f.rssMb.peak} / ${f.rssMb.after} MB`],
    ['fingerprints searched', `${f.fingerprints} (${width}×${height})`],
    ['identifications recorded / lost', `${f.recorded} / ${f.lost}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
  console.log(JSON.stringify(f));
  console.error(describeLoad(f));
  if (f.errors || f.timeouts || f.lost || Object.keys(f.statuses).some((s) => s !== '200'))
    process.exitCode = 1;
} finally {
  await closePool();
  if (!args.keep) rmSync(args.dir, { recursive: true, force: true });
}
