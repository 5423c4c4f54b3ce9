/**
 * Issue 9, item 3 — concurrency. Two examiners (and their tools) writing at once must lose
 * nothing and keep the audit chain whole:
 *  - SQLite: `camprint serve` (case notes, identify recording matches, fingerprint-build jobs)
 *    and several CLI processes (fingerprint imports and builds, case notes, matches) write one
 *    data directory at the same time (WAL, BEGIN IMMEDIATE, the busy timeout); afterwards every
 *    write is there, counted table by table and audit action by audit action, SQLite's
 *    integrity check passes and `camprint audit verify` is intact;
 *  - PostgreSQL: three `camprint worker` processes (Redis queue) and CLI processes write one
 *    database; every job done once, every fingerprint and note there, the chain intact.
 * (store/contract.ts already has store-level writer processes on both backends; this goes
 * through the CLI, the server and the workers.)
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { simulate, type SimulatedCamera } from '../sim/index.js';
import { openStore, type Store } from '../store/index.js';
import { createScratchDatabase, startTestServer } from '../store/postgres-test-server.js';
import { queueSettings } from '../queue/index.js';
import { RedisQueue } from '../queue/redis-queue.js';
import {
  assertStoreConsistent,
  camprint,
  fingerprintNpy,
  integrityCheck,
  sleep,
  startCamprint,
  startRedis,
  startServe,
  until,
  type CliResult,
  type Json,
  type RunningCli,
} from './harness.js';

let work: string;
let cameras: SimulatedCamera[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'camprint-concurrency-'));
  ({ cameras } = await simulate({
    dir: join(work, 'sim'),
    models: 3,
    devices: 1,
    images: 3,
    flat: 8,
    width: 256,
    height: 192,
    seed: 5,
  }));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `n` small fingerprints as .npy files named <prefix>-<i>.npy in their own folder. */
function npyFolder(prefix: string, n: number): string {
  const dir = join(work, `npy-${prefix}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++)
    writeFileSync(join(dir, `${prefix}-${i}.npy`), fingerprintNpy(256, 192, prefix.length * 100 + i));
  return dir;
}

/** Runs CLI commands one after the other in one lane; resolves with their results. */
async function lane(commands: string[][], env: NodeJS.ProcessEnv = {}): Promise<CliResult[]> {
  const out: CliResult[] = [];
  for (const args of commands) out.push(await startCamprint(args, env).ended);
  return out;
}

function assertAllOk(results: CliResult[], what: string): void {
  for (const r of results) {
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.ok(!/SQLITE_BUSY|database is locked|deadlock/i.test(r.stderr), `${what}: ${r.stderr}`);
  }
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

describe('concurrency: several writers at once lose nothing', () => {
  test(
    'SQLite: camprint serve and CLI processes writing one store at once',
    { timeout: 180_000 },
    async () => {
      const dataDir = join(work, 'sqlite');
      const flat = (k: number) => join(work, 'sim', cameras[k].camera, 'flat');
      assert.equal(
        camprint(['--data-dir', dataDir, 'fingerprint', 'build', flat(0), '--camera', 'A']).code,
        0,
      );
      assert.equal(
        camprint(['--data-dir', dataDir, 'case', 'create', 'k1', '--title', 'two examiners']).code,
        0,
      );
      const before = assertStoreConsistent(dataDir);
      const serve = await startServe(dataDir, ['--rate-limit', '0', '--root', join(work, 'sim')]);
      const url = serve.url;
      const t0 = performance.now();
      try {
        const imports = ['p1', 'p2', 'p3'].map((p) => npyFolder(p, 8));
        const photo = cameras[0].natural[0];
        // The CLI lanes, started together.
        const lanes: Promise<CliResult[]>[] = [
          ...imports.map((dir) => lane([['--data-dir', dataDir, 'fingerprint', 'import', dir]])),
          lane([['--data-dir', dataDir, 'fingerprint', 'build', flat(1), '--camera', 'B']]),
          lane([0, 1, 2, 3].map((i) => ['--data-dir', dataDir, 'case', 'note', 'k1', `cli note ${i}`])),
          lane([0, 1].map(() => ['--data-dir', dataDir, '--json', 'match', photo, '--camera', 'A'])),
        ];
        // The server's writes, meanwhile, four requests at a time.
        const http: (() => Promise<{ status: number; json: Json }>)[] = [];
        const call = (method: string, path: string, body?: unknown, form?: FormData) => async () => {
          const r = await fetch(`${url}${path}`, {
            method,
            headers: body ? { 'content-type': 'application/json' } : {},
            body: body ? JSON.stringify(body) : form,
          });
          return { status: r.status, json: await r.json() };
        };
        for (let i = 0; i < 20; i++)
          http.push(call('POST', '/api/cases/k1/notes', { text: `server note ${i}` }));
        for (let i = 0; i < 8; i++) {
          const f = new FormData();
          f.append('top', '100');
          f.append(
            'image',
            new Blob([readFileSync(cameras[i % 3].natural[i % 3])]),
            basename(cameras[i % 3].natural[i % 3]),
          );
          http.push(call('POST', '/api/identify', undefined, f));
        }
        for (const k of [1, 2])
          http.push(
            call('POST', '/api/cameras', { camera: `S${k}`, folder: join(cameras[k].camera, 'flat') }),
          );
        const answers: { status: number; json: Json }[] = [];
        await Promise.all(
          [0, 1, 2, 3].map(async (w) => {
            for (let i = w; i < http.length; i += 4) answers[i] = await http[i]();
          }),
        );
        const cli = (await Promise.all(lanes)).flat();
        assertAllOk(cli, 'CLI');
        for (const a of answers) assert.ok(a.status >= 200 && a.status < 300, JSON.stringify(a));
        const jobs = answers.filter((a) => a.status === 202).map((a) => a.json.job as string);
        assert.equal(jobs.length, 2);
        await until(
          'the server’s fingerprint builds',
          async () => {
            const r = await Promise.all(
              jobs.map((j) => fetch(`${url}/api/jobs/${j}`).then((x) => x.json() as Promise<Json>)),
            );
            for (const j of r) assert.notEqual(j.status, 'failed', JSON.stringify(j));
            return r.every((j) => j.status === 'done');
          },
          120_000,
        );
        const identified = answers.filter((a) => Array.isArray(a.json?.candidates));
        // Recorded: the candidates tested by PCE (untested ones, ranked by digest only, have no PCE),
        // and the CLI's two matches.
        const tested = (c: Json) => c.pce !== null || c.comparable === false;
        const matchRows = identified.reduce((n, a) => n + a.json.candidates.filter(tested).length, 0) + 2;
        const seconds = (performance.now() - t0) / 1000;

        // Every write is there.
        const store: Store = await openStore({ dataDir, databaseUrl: null });
        try {
          const cams = (await store.listFingerprints()).map((f) => f.camera).sort();
          const want = [
            'A',
            'B',
            'S1',
            'S2',
            ...['p1', 'p2', 'p3'].flatMap((p) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${p}-${i}`)),
          ].sort();
          assert.deepEqual(cams, want);
          for (const c of cams) assert.ok(await store.getFingerprint(c), c);
          const notes = (await store.listCaseNotes('k1')).map((n) => n.text).sort();
          assert.deepEqual(
            notes,
            [
              ...[0, 1, 2, 3].map((i) => `cli note ${i}`),
              ...Array.from({ length: 20 }, (_, i) => `server note ${i}`),
            ].sort(),
          );
          const matches = await store.listMatches();
          assert.equal(matches.length, matchRows, 'every comparison recorded once');
          const audit = await store.listAudit();
          const actions = countBy(audit, (e) => e.action);
          assert.equal(actions.get('fingerprint.put'), want.length, 'one audit entry per fingerprint');
          assert.equal(actions.get('case.note'), 24, 'one audit entry per note');
          assert.equal(actions.get('match.record'), matchRows, 'one audit entry per match');
          const entries = assertStoreConsistent(dataDir, {}, 'after the concurrent writers');
          assert.equal(entries, audit.length);
          assert.equal(integrityCheck(dataDir), 'ok');
          console.log(
            `concurrency SQLite: ${cli.length} CLI processes + ${answers.length} server requests (+2 jobs) in ${seconds.toFixed(1)} s; ` +
              `${cams.length} fingerprints, 24 notes, ${matchRows} matches, audit ${before} → ${entries} entries, chain intact, integrity ok; lost 0`,
          );
        } finally {
          await store.close();
        }
      } finally {
        const r = await serve.stop();
        assert.ok(!/SQLITE_BUSY|database is locked/i.test(r.stderr), r.stderr);
      }
    },
  );

  test(
    'PostgreSQL: three workers and CLI processes writing one database at once',
    { timeout: 180_000 },
    async (t) => {
      const started = await startTestServer();
      if ('skip' in started) {
        t.skip(started.skip);
        return;
      }
      const redis = await startRedis();
      if ('skip' in redis) {
        await started.server.stop();
        t.skip(redis.skip);
        return;
      }
      const db = await createScratchDatabase(started.server, 'camprint_conc');
      const env = {
        CAMPRINT_DATABASE_URL: db.url,
        CAMPRINT_REDIS_URL: redis.url,
        CAMPRINT_THREADS: '1',
        CAMPRINT_QUEUE_LOCK_MS: '5000',
        CAMPRINT_JOB_BACKOFF_MS: '200',
      };
      const workers: RunningCli[] = [];
      let queue: RedisQueue | undefined;
      const t0 = performance.now();
      try {
        // The schema made once, then three workers on the same database.
        assert.equal(camprint(['--data-dir', join(work, 'unused'), 'case', 'create', 'k2'], env).code, 0);
        for (let i = 0; i < 3; i++)
          workers.push(startCamprint(['--data-dir', join(work, `w${i}`), '--json', 'worker'], env));
        await until('three workers', () => workers.every((w) => /taking/.test(w.stderr)), 60_000);
        queue = await RedisQueue.open(queueSettings({ redisUrl: redis.url }));
        await queue.ready();
        const ids: string[] = [];
        for (let k = 0; k < 3; k++)
          for (const copy of [0, 1])
            ids.push(
              await queue.submit('fingerprint-build', {
                camera: `W${k}-${copy}`,
                images: [join(work, 'sim', cameras[k].camera, 'flat')],
              }),
            );
        const out = join(work, 'residuals');
        for (const [i, image] of cameras.flatMap((c) => c.natural).entries())
          ids.push(await queue.submit('residual', { image, out: join(out, `r${i}.npy`) }));
        // Meanwhile, the CLI: two imports and a series of notes, on the same database.
        const lanes = await Promise.all([
          lane([['--data-dir', join(work, 'unused'), 'fingerprint', 'import', npyFolder('q1', 8)]], env),
          lane([['--data-dir', join(work, 'unused'), 'fingerprint', 'import', npyFolder('q2', 8)]], env),
          lane(
            [0, 1, 2, 3, 4].map((i) => [
              '--data-dir',
              join(work, 'unused'),
              'case',
              'note',
              'k2',
              `pg note ${i}`,
            ]),
            env,
          ),
        ]);
        assertAllOk(lanes.flat(), 'CLI on PostgreSQL');
        for (const id of ids) {
          const info = await queue.wait(id, { timeoutMs: 120_000 });
          assert.equal(info.status, 'done', `${id}: ${info.error}`);
        }
        const byWorker = countBy(
          await Promise.all(ids.map(async (id) => (await queue!.get(id))?.worker ?? '?')),
          (w) => w,
        );
        const seconds = (performance.now() - t0) / 1000;
        const store = await openStore({ dataDir: join(work, 'unused'), databaseUrl: db.url });
        try {
          const cams = (await store.listFingerprints()).map((f) => f.camera).sort();
          const want = [
            ...[0, 1, 2].flatMap((k) => [`W${k}-0`, `W${k}-1`]),
            ...['q1', 'q2'].flatMap((p) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${p}-${i}`)),
          ].sort();
          assert.deepEqual(cams, want);
          for (const c of cams) assert.ok(await store.getFingerprint(c), c);
          // Two builds from the same photos: the same bits, whichever worker made them.
          for (const k of [0, 1, 2])
            assert.equal(
              (await store.getFingerprintRecord(`W${k}-0`))?.dataSha256,
              (await store.getFingerprintRecord(`W${k}-1`))?.dataSha256,
            );
          const audit = await store.listAudit();
          const actions = countBy(audit, (e) => e.action);
          assert.equal(actions.get('fingerprint.put'), want.length, 'each fingerprint saved once');
          assert.equal(actions.get('case.note'), 5);
          assert.equal((await store.listCaseNotes('k2')).length, 5);
          const jobs = await store.listJobs();
          for (const id of ids)
            assert.equal(jobs.find((j) => j.id === id)?.status, 'done', `jobs table: ${id}`);
          assert.ok(existsSync(join(out, 'r0.npy')));
          const entries = assertStoreConsistent(join(work, 'unused'), env, 'PostgreSQL');
          assert.equal(entries, audit.length);
          console.log(
            `concurrency PostgreSQL: 3 workers (${[...byWorker.values()].join('/')} jobs) + ${lanes.flat().length} CLI processes in ${seconds.toFixed(1)} s; ` +
              `${ids.length} jobs done once each, ${cams.length} fingerprints, 5 notes, ${entries} audit entries, chain intact; lost 0`,
          );
        } finally {
          await store.close();
        }
      } finally {
        await queue?.close();
        for (const w of workers)
          if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await Promise.all(
          workers.map((w) => Promise.race([w.ended, sleep(15_000).then(() => w.child.kill('SIGKILL'))])),
        );
        await redis.stop();
        await db.drop();
        await started.server.stop();
      }
    },
  );
});
