/**
 * Jobs of killed processes (orphans.ts): the in-process queue's jobs whose process on this host
 * is gone are failed with a message saying so; every other job is left as it is. The end-to-end
 * case (`camprint serve` killed mid-job, then started again) is in reliability/faults.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type JobStatus, type Store } from '../store/index.js';
import { ownerLabel, processOwner, thisProcess } from '../util/process-owner.js';
import { InProcessQueue, failOrphanedJobs } from './index.js';

/** The owner string of a process that has ended (a `sleep` started and killed). */
async function deadOwner(): Promise<string> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const owner = processOwner(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return owner;
}

let dir: string;
let store: Store;
let dead: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-orphans-'));
  store = await openStore({ dataDir: dir, databaseUrl: null });
  dead = await deadOwner();
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A job row as a queue would have left it. */
async function job(
  id: string,
  kind: string,
  status: JobStatus,
  holder: { worker?: string; backend?: 'in-process' | 'redis' },
): Promise<void> {
  await store.createJob({ id, kind, params: { n: 1 }, ...holder });
  if (status !== 'queued') await store.updateJob(id, { status, progress: 0.4 });
}

describe('jobs of killed processes', () => {
  test('failOrphanedJobs fails the in-process jobs of gone processes on this host, and only those', async () => {
    const inProcess = { worker: dead, backend: 'in-process' } as const;
    await job('ran', 'dataset-create', 'running', inProcess);
    await job('waited', 'fingerprint-build', 'queued', inProcess);
    await job('trained', 'train', 'running', inProcess);
    await job('finished', 'residual', 'done', inProcess);
    await job('alive', 'residual', 'running', { worker: thisProcess(), backend: 'in-process' });
    await job('elsewhere', 'residual', 'running', { worker: `not-${hostname()}:1:1`, backend: 'in-process' });
    await job('redis', 'residual', 'running', { worker: dead, backend: 'redis' });
    await job('unknown', 'residual', 'running', {});
    const untouched = ['finished', 'alive', 'elsewhere', 'redis', 'unknown'];
    const before = await Promise.all(untouched.map((id) => store.getJob(id)));

    const failed = await failOrphanedJobs(store);
    assert.deepEqual(failed.map((j) => j.id).sort(), ['ran', 'trained', 'waited']);
    const who = ownerLabel(dead);
    const ran = await store.getJob('ran');
    assert.deepEqual(
      [ran?.status, ran?.progress, ran?.worker, ran?.error],
      [
        'failed',
        0.4,
        dead,
        `the process that ran it (${who}) ended without finishing it (killed?); submit it again to resume it (the crops already written are kept)`,
      ],
    );
    assert.equal(
      (await store.getJob('waited'))?.error,
      `the process that queued it (${who}) ended before it ran (killed?); submit it again`,
    );
    assert.match(
      (await store.getJob('trained'))?.error ?? '',
      /^the process that ran it \(.+\) ended without finishing it \(killed\?\); submit it again with resume: true .* to continue from its last checkpoint$/,
    );
    assert.deepEqual(
      await Promise.all(untouched.map((id) => store.getJob(id))),
      before,
      'the others as they were',
    );
    assert.deepEqual(await failOrphanedJobs(store), [], 'a second pass finds nothing');
  });

  test('an in-process queue opened on the store shows them failed before it lists or gets a job', async () => {
    await job('left-running', 'residual', 'running', { worker: dead, backend: 'in-process' });
    await job('left-queued', 'residual', 'queued', { worker: dead, backend: 'in-process' });
    const lines: string[] = [];
    const queue = new InProcessQueue({ store: async () => store, log: (l) => lines.push(l) });
    try {
      const info = await queue.get('left-running');
      assert.deepEqual(
        [info?.status, info?.worker],
        ['failed', ownerLabel(dead)],
        'the worker shown as host:pid',
      );
      assert.match(info?.error ?? '', /^the process that ran it .* ended without finishing it \(killed\?\)/);
      const listed = await queue.list({ status: 'failed' });
      assert.ok(listed.some((j) => j.id === 'left-queued' && /ended before it ran/.test(j.error ?? '')));
      assert.equal((await queue.wait('left-queued')).status, 'failed', 'waiting for it ends at once');
      assert.ok(
        lines.some((l) => l.startsWith('job left-running (residual) failed: the process that ran it')),
        lines.join('\n'),
      );
      assert.equal(lines.filter((l) => l.startsWith('job left-')).length, 2, 'said once each');
    } finally {
      await queue.close();
    }
  });
});
