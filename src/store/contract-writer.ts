/**
 * A writer process for the contract's concurrency test (not part of camprint's interface).
 * Usage: node contract-writer.js <openStore options as JSON> <writer index> <count> <start time, ms since epoch>
 * Waits for the common start time, opens the store (creating its schema if no one has yet), then writes `count` fingerprints, audit
 * entries and matches, some fingerprints to one camera that every writer shares, and a job.
 */
import { fingerprintInput, matchInput } from './contract-data.js';
import { openStore } from './index.js';

const [optionsJson, writerText, countText, startText] = process.argv.slice(2);
const w = Number(writerText);
const n = Number(countText);
const wait = Number(startText) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
const store = await openStore(JSON.parse(optionsJson));
try {
  const job = await store.createJob({ id: `job-${w}`, kind: 'test.write', params: { writer: w } });
  await store.updateJob(job.id, { status: 'running' });
  for (let i = 0; i < n; i++) {
    await store.putFingerprint(fingerprintInput(`w${w}-${i}`, w * 1000 + i, { actor: `writer-${w}` }));
    await store.appendAudit({
      actor: `writer-${w}`,
      action: 'test.tick',
      subject: `writer:${w}`,
      details: { i },
    });
    await store.recordMatch({ ...matchInput('common'), camera: `w${w}-${i}` });
    if (i % 5 === 0) await store.putFingerprint(fingerprintInput('shared', w * 1000 + i));
    await store.updateJob(job.id, { progress: (i + 1) / n });
  }
  await store.updateJob(job.id, { status: 'done' });
} finally {
  await store.close();
}
