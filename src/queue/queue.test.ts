/**
 * The queue: the registry's checks, the in-process queue end to end on simulated photos, and
 * with a real Redis (a redis-server this test starts) two `camprint worker` processes, one of
 * them SIGKILLed in the middle of a job: every job completes exactly once, with nothing lost.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { simulate, type SimulatedCamera } from '../sim/index.js';
import { openStore, type Store } from '../store/index.js';
import { buildFingerprint, queryResidual } from '../services/index.js';
import { closePool } from '../pool/index.js';
import { readNpy } from '../util/npy.js';
import { InputError } from '../util/errors.js';
import { thisProcess } from '../util/process-owner.js';
import { CLI } from '../testing/shared.js';
import {
  checkJobParams,
  openQueue,
  queueSettings,
  registerJobHandler,
  runQueued,
  type JobEvent,
  type JobInfo,
} from './index.js';
import { RedisQueue } from './redis-queue.js';

// One thread per process: fingerprints come out bit-identical wherever they are built, and two
// workers on a 2-core machine do not fight over the cores.
process.env.CAMPRINT_THREADS = '1';
// Our own Redis and our own stores, whatever the environment points at.
delete process.env.CAMPRINT_REDIS_URL;
delete process.env.CAMPRINT_DATABASE_URL;
delete process.env.CAMPRINT_QUEUE_PREFIX;
delete process.env.CAMPRINT_JOB_ATTEMPTS;

const REDIS_SERVER = '/usr/bin/redis-server';
let work: string;
let cameras: SimulatedCamera[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'camprint-queue-'));
  const sim = await simulate({
    dir: join(work, 'sim'),
    models: 1,
    devices: 3,
    images: 2,
    flat: 12,
    width: 256,
    height: 192,
    seed: 7,
  });
  cameras = sim.cameras;
});
/** Every process the tests start, killed at the end whatever happened. */
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await closePool();
  rmSync(work, { recursive: true, force: true });
});

/** SHA-256 of float32 data as the store hashes it. */
function sha256Of(data: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest('hex');
}

function audited(store: Store, camera: string): Promise<number> {
  return store
    .listAudit()
    .then(
      (entries) =>
        entries.filter((e) => e.action === 'fingerprint.put' && e.subject === `camera:${camera}`).length,
    );
}

// A kind that fails twice with a transient error, then succeeds; and one that rejects its input.
const flakyRuns = new Map<string, number>();
registerJobHandler('test-flaky', {
  description: 'fails twice, then succeeds',
  params: z.object({ n: z.number() }).strict(),
  async run(p, job) {
    const runs = (flakyRuns.get(job.id) ?? 0) + 1;
    flakyRuns.set(job.id, runs);
    if (runs < 3) throw new Error(`transient failure ${runs}`);
    return { n: p.n, runs, attempt: job.attempt };
  },
});

test('the registry rejects unknown kinds and bad parameters, naming the kind and the parameter', () => {
  assert.throws(
    () => checkJobParams('no-such-kind', {}),
    (e: Error) =>
      e instanceof InputError &&
      /job kind "no-such-kind" is unknown \(known kinds: .*fingerprint-build, residual/.test(e.message),
  );
  assert.throws(
    () => checkJobParams('residual', { image: 3, out: '/tmp/x.npy' }),
    (e: Error) =>
      e instanceof InputError && /^job residual: params\.image: .*expected string/.test(e.message),
  );
  assert.throws(
    () => checkJobParams('residual', { image: 'a.jpg', out: '/tmp/x.npy' }),
    (e: Error) => e instanceof InputError && /params\.image: expected an absolute path/.test(e.message),
  );
  assert.throws(
    () => checkJobParams('residual', { image: '/a.jpg', out: '/x.npy', sigma: -1, extra: 1 }),
    (e: Error) => e instanceof InputError && /params\.sigma/.test(e.message) && /extra/.test(e.message),
  );
  assert.throws(
    () => checkJobParams('fingerprint-build', { camera: 'a/b', images: [] }),
    (e: Error) =>
      e instanceof InputError &&
      /params\.camera: expected a camera name/.test(e.message) &&
      /params\.images/.test(e.message),
  );
  // The submitter's folder makes relative paths absolute; defaults are filled in.
  assert.deepEqual(checkJobParams('residual', { image: 'a.jpg', out: 'o/a.npy' }, { cwd: '/data' }), {
    image: '/data/a.jpg',
    out: '/data/o/a.npy',
    levels: 4,
    sigma: 5,
    maxPixels: 200_000_000,
  });
  assert.throws(
    () => registerJobHandler('residual', { description: '', params: z.object({}), run: async () => ({}) }),
    /registered twice/,
  );
  assert.throws(
    () => registerJobHandler('Bad Kind', { description: '', params: z.object({}), run: async () => ({}) }),
    /job kind name/,
  );
});

test('in-process queue: residuals and a fingerprint on simulated photos, retries, bad input failing at once', async () => {
  const store = await openStore({ dataDir: join(work, 'inproc-store') });
  const queue = await openQueue({ store: async () => store, settings: { backoffMs: 10 }, concurrency: 2 });
  assert.equal(queue.backend, 'in-process');
  const events: JobEvent[] = [];
  queue.on((e) => events.push(e));
  try {
    const cam = cameras[0];
    const out = join(work, 'inproc-out');
    const residualIds = await Promise.all(
      cam.natural.map((image, i) => queue.submit('residual', { image, out: join(out, `r${i}.npy`) })),
    );
    const fpId = await queue.submit('fingerprint-build', {
      camera: cam.camera,
      images: [join(work, 'sim', cam.camera, 'flat')],
    });
    const badId = await queue.submit('residual', {
      image: join(work, 'missing.jpg'),
      out: join(out, 'bad.npy'),
    });
    const flakyId = await queue.submit('test-flaky', { n: 5 });

    for (const [i, id] of residualIds.entries()) {
      const info = await queue.wait(id);
      assert.equal(info.status, 'done', info.error);
      assert.equal(info.attempts, 1);
      const npy = readNpy(join(out, `r${i}.npy`));
      assert.deepEqual(npy.shape, [192, 256]);
      assert.equal(npy.dtype, '<f4');
      const direct = await queryResidual(cam.natural[i]);
      assert.deepEqual(
        new Float32Array(npy.data as Float32Array),
        direct.residual,
        'same residual as extracted directly',
      );
    }
    assert.deepEqual(readdirSync(out).sort(), ['r0.npy', 'r1.npy'], 'no temporary files left');

    const fp = await queue.wait(fpId);
    assert.equal(fp.status, 'done', fp.error);
    assert.equal(fp.result?.images, 12);
    const stored = await store.getFingerprintRecord(cam.camera);
    assert.ok(stored, 'the fingerprint is in the store');
    assert.equal(stored.dataSha256, fp.result?.dataSha256);
    const progress = events
      .filter((e) => e.type === 'progress' && e.id === fpId)
      .map((e) => (e.type === 'progress' ? e.progress : -1));
    assert.ok(progress.length >= 12, `progress events: ${progress.length}`);
    assert.ok(
      progress.every((p, i) => p >= 0 && p <= 1 && (i === 0 || p >= progress[i - 1])),
      'progress rises within 0–1',
    );

    const bad = await queue.wait(badId);
    assert.equal(bad.status, 'failed');
    assert.equal(bad.inputError, true);
    assert.equal(bad.attempts, 1, 'bad input is not retried');
    assert.match(bad.error ?? '', /missing\.jpg/);

    const flaky = await queue.wait(flakyId);
    assert.equal(flaky.status, 'done', flaky.error);
    assert.equal(flaky.attempts, 3);
    assert.deepEqual(flaky.result, { n: 5, runs: 3, attempt: 3 });
    assert.equal(events.filter((e) => e.type === 'retrying' && e.id === flakyId).length, 2);

    await assert.rejects(
      runQueued(queue, 'residual', { image: join(work, 'missing.jpg'), out: join(out, 'bad.npy') }),
      (e: Error) => e instanceof InputError && /missing\.jpg/.test(e.message),
    );
    await assert.rejects(queue.submit('residual', { image: 1 }), InputError);

    // Mirrored into the store's jobs table.
    const rows = new Map((await store.listJobs()).map((r) => [r.id, r]));
    for (const id of [...residualIds, fpId, flakyId]) assert.equal(rows.get(id)?.status, 'done', id);
    assert.equal(rows.get(fpId)?.result?.dataSha256, fp.result?.dataSha256);
    assert.equal(rows.get(badId)?.status, 'failed');
    assert.match(rows.get(badId)?.error ?? '', /missing\.jpg/);
    // Each row names this process (with its start time) and the queue, for orphans.ts.
    for (const id of [...residualIds, fpId, badId, flakyId])
      assert.deepEqual([rows.get(id)?.worker, rows.get(id)?.backend], [thisProcess(), 'in-process'], id);
    assert.equal((await queue.get(fpId))?.worker, `${hostname()}:${process.pid}`);
    const listed = await queue.list({ kind: 'residual', status: 'done' });
    assert.deepEqual(listed.map((j) => j.id).sort(), residualIds.slice().sort());
  } finally {
    await queue.close();
    await store.close();
  }
});

// ---- Redis ---------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Worker {
  child: ChildProcess;
  name: string;
  stderr: string;
  stdout: string;
  exited: Promise<number | null>;
}

function startWorkerProcess(env: NodeJS.ProcessEnv, dataDir: string): Worker {
  const child = spawn(process.execPath, [CLI, '--json', '--data-dir', dataDir, 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const w: Worker = {
    child,
    name: `${hostname()}:${child.pid}`,
    stderr: '',
    stdout: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stderr!.on('data', (b: Buffer) => (w.stderr += b.toString()));
  child.stdout!.on('data', (b: Buffer) => (w.stdout += b.toString()));
  return w;
}

/** Every event BullMQ logged in the kinds' streams (`<prefix>:<kind>:events`), oldest first. */
async function redisEvents(url: string): Promise<{ kind: string; event: string; jobId?: string }[]> {
  const client = new Redis(url);
  try {
    const out: { kind: string; event: string; jobId?: string }[] = [];
    for (const kind of ['fingerprint-build', 'residual']) {
      for (const [, fields] of await client.xrange(`camprint:${kind}:events`, '-', '+')) {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i], fields[i + 1]);
        out.push({ kind, event: f.get('event') ?? '', jobId: f.get('jobId') });
      }
    }
    return out;
  } finally {
    client.disconnect();
  }
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test(
  'Redis: two workers, one SIGKILLed mid-job; every job completes exactly once and nothing is lost',
  {
    skip: existsSync(REDIS_SERVER)
      ? false
      : `needs ${REDIS_SERVER} (Debian package redis-server), which is absent`,
    timeout: 120_000,
  },
  async () => {
    const port = await freePort();
    const redisDir = mkdtempSync(join(work, 'redis-'));
    const redis = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir],
      { stdio: 'ignore' },
    );
    children.push(redis);
    const redisUrl = `redis://127.0.0.1:${port}`;
    const workers: Worker[] = [];
    let queue: RedisQueue | undefined;
    try {
      const settings = queueSettings({ redisUrl });
      for (let i = 0; ; i++) {
        try {
          queue = await RedisQueue.open(settings);
          break;
        } catch (err) {
          if (i > 50) throw err;
          await sleep(100);
        }
      }
      await queue.ready();
      let victim: { job: string; worker: Worker; at: number } | undefined;
      queue.on((e) => {
        // The first fingerprint job seen between 5% and 70%: kill its worker outright.
        if (
          !victim &&
          e.type === 'progress' &&
          e.kind === 'fingerprint-build' &&
          e.progress > 0.05 &&
          e.progress < 0.7
        ) {
          const w = workers.find((x) => x.name === e.worker);
          if (w) {
            victim = { job: e.id, worker: w, at: e.progress };
            w.child.kill('SIGKILL');
          }
        }
      });

      const storeDir = join(work, 'worker-store'); // shared by both workers, as a lab's PostgreSQL would be
      const env = {
        ...process.env,
        CAMPRINT_REDIS_URL: redisUrl,
        CAMPRINT_THREADS: '1',
        CAMPRINT_QUEUE_LOCK_MS: '3000',
        CAMPRINT_QUEUE_STALLED_MS: '500',
        CAMPRINT_JOB_BACKOFF_MS: '200',
      };
      workers.push(startWorkerProcess(env, storeDir), startWorkerProcess(env, storeDir));
      await until('two workers', () => workers.every((w) => /taking/.test(w.stderr)), 20_000);

      const out = join(work, 'redis-out');
      const ids = new Map<string, string>(); // job id → what
      for (const cam of cameras)
        ids.set(
          await queue.submit('fingerprint-build', {
            camera: cam.camera,
            images: [join(work, 'sim', cam.camera, 'flat')],
          }),
          `fingerprint ${cam.camera}`,
        );
      const residuals: { id: string; image: string; out: string }[] = [];
      for (const [i, image] of [...cameras[1].natural, ...cameras[2].natural].entries()) {
        const o = join(out, `r${i}.npy`);
        const id = await queue.submit('residual', { image, out: o });
        ids.set(id, `residual ${i}`);
        residuals.push({ id, image, out: o });
      }

      const infos = new Map<string, JobInfo>();
      for (const id of ids.keys()) infos.set(id, await queue.wait(id, { timeoutMs: 60_000 }));
      assert.ok(victim, 'a worker was killed in the middle of a fingerprint job');
      assert.equal(await victim.worker.exited, null, 'the killed worker died of the signal');

      // Redis's own event log (every kind's stream, read after the fact) counts completions.
      const logged = await redisEvents(redisUrl);
      for (const [id, info] of infos) {
        assert.equal(info.status, 'done', `${ids.get(id)}: ${info.error}`);
        const completions = logged.filter((e) => e.event === 'completed' && e.jobId === id).length;
        assert.equal(completions, 1, `${ids.get(id)} completed ${completions} times`);
      }
      const killed = infos.get(victim.job)!;
      assert.ok((killed.attempts ?? 0) >= 2, `the killed job was started ${killed.attempts} times`);
      assert.notEqual(killed.worker, victim.worker.name, 'another worker finished it');
      assert.ok(
        logged.some((e) => e.event === 'stalled' && e.jobId === victim!.job),
        'the stalled-job check put the killed job back',
      );

      // Residuals: all there, atomic (no temporary files), equal to a direct extraction.
      assert.deepEqual(readdirSync(out).sort(), residuals.map((_, i) => `r${i}.npy`).sort());
      for (const r of residuals) {
        const npy = readNpy(r.out);
        const direct = await queryResidual(r.image);
        assert.deepEqual(new Float32Array(npy.data as Float32Array), direct.residual, r.out);
      }

      // The CLI against the same Redis: submit and wait, list, show; bad input fails at once.
      const cli = (args: string[]): { code: number | null; stdout: string; stderr: string } => {
        const r = spawnSync(process.execPath, [CLI, '--data-dir', join(work, 'cli-store'), ...args], {
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      const viaCli = cli([
        '--json',
        'jobs',
        'submit',
        'residual',
        '--params',
        JSON.stringify({ image: cameras[0].natural[0], out: join(out, 'cli.npy') }),
        '--wait',
      ]);
      assert.equal(viaCli.code, 0, viaCli.stderr);
      const cliJob = JSON.parse(viaCli.stdout) as JobInfo & { backend: string };
      assert.equal(cliJob.status, 'done');
      assert.equal(cliJob.backend, 'redis');
      assert.deepEqual(readNpy(join(out, 'cli.npy')).shape, [192, 256]);
      const bad = cli([
        'jobs',
        'submit',
        'residual',
        '--params',
        JSON.stringify({ image: join(work, 'missing.jpg'), out: join(out, 'x.npy') }),
        '--wait',
        '--id',
        'bad-input-job',
      ]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /^camprint: job bad-input-job \(residual\): .*missing\.jpg/);
      const shown = cli(['--json', 'jobs', 'show', 'bad-input-job']);
      assert.equal(shown.code, 0, shown.stderr);
      const badInfo = JSON.parse(shown.stdout) as JobInfo;
      assert.equal(badInfo.status, 'failed');
      assert.equal(badInfo.attempts, 1, 'bad input is not retried');
      assert.equal(badInfo.inputError, true);
      // Any other error is retried with backoff, then the job fails (exit 3): here the output's
      // folder is a file.
      const notAFolder = join(work, 'not-a-folder');
      writeFileSync(notAFolder, 'x');
      const retried = cli([
        'jobs',
        'submit',
        'residual',
        '--params',
        JSON.stringify({ image: cameras[0].natural[0], out: join(notAFolder, 'x.npy') }),
        '--wait',
        '--id',
        'retried-job',
      ]);
      assert.equal(retried.code, 3, retried.stderr);
      assert.match(retried.stderr, /job retried-job \(residual\) failed after 3 attempts: /);
      const retriedInfo = JSON.parse(cli(['--json', 'jobs', 'show', 'retried-job']).stdout) as JobInfo;
      assert.equal(retriedInfo.status, 'failed');
      assert.equal(retriedInfo.attempts, 3);
      assert.equal(retriedInfo.inputError, false);
      const listed = cli(['--json', 'jobs', 'list', '--status', 'done']);
      assert.equal(listed.code, 0, listed.stderr);
      const listedIds = (JSON.parse(listed.stdout) as { jobs: JobInfo[] }).jobs.map((j) => j.id);
      for (const id of [...ids.keys(), cliJob.id]) assert.ok(listedIds.includes(id), `jobs list shows ${id}`);

      // Ctrl-C twice in the middle of a job hands it back at once (exit 130); a new worker
      // finishes it, and stops gracefully on SIGTERM with its summary as one JSON document.
      const survivor = workers.find((w) => w !== victim!.worker)!;
      let handedBack = false;
      const stopHandBack = queue.on((e) => {
        if (handedBack || e.type !== 'progress' || e.worker !== survivor.name) return;
        if (e.progress <= 0.05 || e.progress >= 0.7) return;
        handedBack = true;
        survivor.child.kill('SIGINT');
        setTimeout(() => survivor.child.kill('SIGINT'), 100);
      });
      const handBackId = await queue.submit('fingerprint-build', {
        camera: 'handed-back',
        images: [join(work, 'sim', cameras[0].camera, 'flat')],
      });
      assert.equal(await survivor.exited, 130, survivor.stderr);
      stopHandBack();
      assert.ok(handedBack, 'interrupted in the middle of the job');
      assert.equal(JSON.parse(survivor.stdout).released, true);
      assert.equal(
        (await queue.get(handBackId))?.status,
        'queued',
        'handed back, not waiting for a lapsed lock',
      );
      const third = startWorkerProcess(env, storeDir);
      workers.push(third);
      const handBack = await queue.wait(handBackId, { timeoutMs: 30_000 });
      assert.equal(handBack.status, 'done', handBack.error);
      assert.equal(handBack.worker, third.name);
      assert.equal(handBack.attempts, 2);
      const handBackLog = (await redisEvents(redisUrl)).filter((e) => e.jobId === handBackId);
      assert.equal(handBackLog.filter((e) => e.event === 'completed').length, 1);
      assert.equal(handBackLog.filter((e) => e.event === 'stalled').length, 0, 'handed back, not stalled');
      third.child.kill('SIGTERM');
      assert.equal(await third.exited, 0, third.stderr);
      const summary = JSON.parse(third.stdout) as { completed: number; released: boolean };
      assert.equal(summary.completed, 1);
      assert.equal(summary.released, false);

      // The shared store: each fingerprint saved once (the killed attempt saved nothing), equal
      // to one built here from the same photos; every job mirrored as done.
      const store = await openStore({ dataDir: storeDir });
      try {
        for (const [id, info] of infos) {
          const row = await store.getJob(id);
          assert.equal(row?.status, 'done', `jobs table: ${ids.get(id)}`);
          assert.deepEqual(row?.result, info.result);
          assert.deepEqual(
            [row?.backend, row?.worker],
            ['redis', info.worker],
            'the worker that finished it',
          );
        }
        for (const camera of [...cameras.map((c) => c.camera), 'handed-back']) {
          const rec = await store.getFingerprintRecord(camera);
          assert.ok(rec, camera);
          assert.equal(await audited(store, camera), 1, `${camera} saved once`);
        }
        const victimCamera = String(killed.result?.camera);
        const cam = cameras.find((c) => c.camera === victimCamera)!;
        const direct = await buildFingerprint(cam.flat);
        assert.equal(
          (await store.getFingerprintRecord(victimCamera))?.dataSha256,
          sha256Of(direct.fingerprint),
        );
      } finally {
        await store.close();
      }
    } finally {
      await queue?.close();
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      redis.kill('SIGTERM');
      await new Promise((r) => (redis.exitCode === null ? redis.once('exit', r) : r(null)));
    }
  },
);

// A kind that runs until its signal is aborted, then says how far it got.
registerJobHandler('test-until-cancelled', {
  description: 'waits for its signal',
  params: z.object({}).strict(),
  async run(_p, job) {
    job.progress(0.5, 'waiting');
    await new Promise<void>((resolve) =>
      job.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    return { stopped: true };
  },
});

test('in-process cancel: a queued job is dropped, a running one aborted (ends cancelled with its result)', async () => {
  const queue = await openQueue({ concurrency: 1 });
  const events: JobEvent[] = [];
  queue.on((e) => events.push(e));
  try {
    const running = await queue.submit('test-until-cancelled', {});
    const waiting = await queue.submit('test-until-cancelled', {});
    await until(
      'the first job running',
      () => events.some((e) => e.id === running && e.type === 'progress'),
      5000,
    );
    assert.equal((await queue.get(waiting))?.status, 'queued');
    assert.equal(await queue.cancel(waiting), true);
    assert.equal((await queue.get(waiting))?.status, 'cancelled');
    assert.equal(await queue.cancel(running), true);
    const info = await queue.wait(running, { timeoutMs: 5000 });
    assert.equal(info.status, 'cancelled');
    assert.deepEqual(info.result, { stopped: true });
    assert.deepEqual(
      events.filter((e) => e.type === 'cancelled').map((e) => e.id),
      [waiting, running],
    );
    assert.ok(!events.some((e) => e.type === 'active' && e.id === waiting), 'the dropped job never ran');
    assert.equal(await queue.cancel(running), false, 'already ended');
    await assert.rejects(queue.cancel('no-such-job'), InputError);
  } finally {
    await queue.close();
  }
});

test(
  'Redis cancel: a waiting job is removed from Redis and reported cancelled',
  {
    skip: existsSync(REDIS_SERVER)
      ? false
      : `needs ${REDIS_SERVER} (Debian package redis-server), which is absent`,
    timeout: 60_000,
  },
  async () => {
    const port = await freePort();
    const redis = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work],
      { stdio: 'ignore' },
    );
    children.push(redis);
    let queue: RedisQueue | undefined;
    try {
      for (let i = 0; ; i++) {
        try {
          queue = await RedisQueue.open(queueSettings({ redisUrl: `redis://127.0.0.1:${port}` }));
          break;
        } catch (err) {
          if (i > 50) throw err;
          await sleep(100);
        }
      }
      await queue.ready();
      const events: JobEvent[] = [];
      queue.on((e) => events.push(e));
      const id = await queue.submit('test-until-cancelled', {});
      assert.equal((await queue.get(id))?.status, 'queued');
      assert.equal(await queue.cancel(id), true);
      assert.equal(await queue.get(id), undefined, 'removed from Redis');
      assert.ok(events.some((e) => e.type === 'cancelled' && e.id === id));
      await assert.rejects(queue.cancel(id), InputError);
    } finally {
      await queue?.close();
      redis.kill('SIGTERM');
      await new Promise((r) => (redis.exitCode === null ? redis.once('exit', r) : r(null)));
    }
  },
);
