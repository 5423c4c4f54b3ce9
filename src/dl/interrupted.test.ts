/**
 * Trainings cut short without a word (interrupted.ts): a `training` model whose process on this
 * host is gone reads `interrupted`, saying how to continue; every other model as it is. The
 * end-to-end case (`camprint train` killed mid-epoch) is in reliability/faults.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type ModelInput, type Store } from '../store/index.js';
import { ownerLabel, processOwner, thisProcess } from '../util/process-owner.js';
import { checkInterrupted, getModelChecked, listModelsChecked } from './interrupted.js';

let dir: string;
let store: Store;
let dead: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-interrupted-'));
  store = await openStore({ dataDir: dir, databaseUrl: null });
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  dead = processOwner(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function model(name: string, extra: Partial<ModelInput>): ModelInput {
  return {
    name,
    path: join(dir, name),
    dataset: 'ds',
    network: 'camnet',
    status: 'training',
    config: { epochs: 10 },
    epochs: 3,
    bestValAccuracy: 0.5,
    curves: [{ epoch: 1 }, { epoch: 2 }, { epoch: 3 }],
    metrics: null,
    error: null,
    ...extra,
  };
}

test('a training model whose process is gone reads interrupted; the others as they are', async () => {
  await store.putModel(model('killed', { owner: dead }));
  await store.putModel(model('running', { owner: thisProcess() }));
  await store.putModel(model('elsewhere', { owner: `not-${hostname()}:1:1` }));
  await store.putModel(model('unknown', {}));
  await store.putModel(model('finished', { owner: dead, status: 'done' }));
  await store.putModel(model('stopped', { owner: dead, status: 'stopped', error: 'stopped' }));
  const untouched = ['running', 'elsewhere', 'unknown', 'finished', 'stopped'];
  const before = await Promise.all(untouched.map((n) => store.getModel(n)));

  const listed = await listModelsChecked(store);
  assert.deepEqual(
    listed.map((m) => [m.name, m.status]),
    [
      ['elsewhere', 'training'],
      ['finished', 'done'],
      ['killed', 'interrupted'],
      ['running', 'training'],
      ['stopped', 'stopped'],
      ['unknown', 'training'],
    ],
  );
  const killed = await store.getModel('killed');
  assert.deepEqual([killed?.status, killed?.owner, killed?.epochs], ['interrupted', dead, 3]);
  assert.equal(
    killed?.error,
    `the process that trained it (${ownerLabel(dead)}) ended without finishing (killed?) after 3 epochs; ` +
      'resume it to continue from its last checkpoint (camprint train --resume, or POST /api/models/killed/resume)',
  );
  assert.deepEqual(await Promise.all(untouched.map((n) => store.getModel(n))), before);
  const audit = (await store.listAudit()).at(-1);
  assert.deepEqual(
    [audit?.action, audit?.subject, audit?.details.status],
    ['model.update', 'model:killed', 'interrupted'],
  );
  assert.equal((await getModelChecked(store, 'running'))?.status, 'training');
  assert.equal(await getModelChecked(store, 'nope'), undefined);
});

test('a model resumed by another process meanwhile is left as that process wrote it', async () => {
  const stale = await store.putModel(model('raced', { owner: dead }));
  // Another process resumes it between our read and our write.
  await store.putModel(model('raced', { owner: thisProcess(), epochs: 4 }));
  const now = await checkInterrupted(store, stale);
  assert.deepEqual([now.status, now.owner, now.epochs], ['training', thisProcess(), 4]);
  assert.equal((await store.getModel('raced'))?.status, 'training');
});
