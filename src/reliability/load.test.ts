/**
 * Issue 9, item 4 — load, in its short form: `camprint serve` in its own process, identify
 * requests from this process (autocannon over loopback) at a fixed rate for 10 s. No errors, no
 * timeouts, every answer 200, the rate sustained, the server's memory bounded, and every
 * answered identification recorded in the store (lost 0). The minute-long run whose figures are
 * in the README is `node dist/bench/load.js` (same code: load.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLoad, prepareLoad, runLoad, type LoadSetup } from './load.js';

const SECONDS = Number(process.env.CAMPRINT_LOAD_SECONDS ?? 10);
/** About half of what the 2-core development machine sustains with 384×256 photos (~9/s). */
const RATE = Number(process.env.CAMPRINT_LOAD_RATE ?? 4);

let work: string;
let setup: LoadSetup;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'camprint-load-'));
  setup = await prepareLoad(work);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  `identify at ${RATE}/s for ${SECONDS} s: no errors, the rate sustained, memory bounded, nothing lost`,
  { timeout: 180_000 },
  async () => {
    const f = await runLoad(setup, { seconds: SECONDS, rate: RATE });
    console.log(`load: ${describeLoad(f)}`);
    assert.equal(f.errors, 0, 'connection errors');
    assert.equal(f.timeouts, 0, 'timeouts');
    assert.deepEqual(Object.keys(f.statuses), ['200'], `statuses ${JSON.stringify(f.statuses)}`);
    assert.ok(f.answered >= 0.9 * RATE * SECONDS, `${f.answered} answered of ${RATE * SECONDS} asked`);
    assert.equal(f.lost, 0, `${f.answered} answered, ${f.recorded} recorded`);
    assert.ok(
      f.rssMb.peak - f.rssMb.before < 400,
      `server memory grew from ${f.rssMb.before} to a peak of ${f.rssMb.peak} MB`,
    );
  },
);
