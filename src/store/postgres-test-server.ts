/**
 * A PostgreSQL server for the tests (not part of camprint's interface): the one
 * `CAMPRINT_TEST_POSTGRES_URL` names (an admin URL: a role that may create databases and roles),
 * or else a throw-away one started from Debian's binaries (/usr/lib/postgresql/<v>/bin) in a
 * temporary directory, on a free port, with fsync off. As root (CI), the server runs as the
 * `postgres` user (initdb refuses root): the directory is given to it and the processes are
 * spawned with its uid and gid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export const TEST_URL_ENV = 'CAMPRINT_TEST_POSTGRES_URL';

export interface TestServer {
  /** A URL of a role that may create databases and roles, on the server's `postgres` database. */
  adminUrl: string;
  /** What it is, for the test log. */
  description: string;
  /** Stops the server when this process started it (and deletes its directory). */
  stop(): Promise<void>;
}

/** A server, or why there is none (the tests then skip, saying so). */
export type TestServerResult = { server: TestServer } | { skip: string };

/** The newest PostgreSQL binaries directory with initdb and postgres, preferring version 15. */
function findBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  const chosen = versions.includes('15') ? '15' : versions[0];
  return chosen === undefined ? undefined : join(root, chosen, 'bin');
}

/** uid and gid of a user from /etc/passwd, or undefined. */
function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [user, , uid, gid] = line.split(':');
      if (user === name) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // no passwd file: no such user
  }
  return undefined;
}

/** Whether every folder on the way to `dir` lets other users through (the server's user must reach its directory). */
function traversable(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/** A port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until the server accepts a login, or fails with its log when it exits first or is too slow. */
async function waitReady(
  url: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      if (exited) throw new Error(`the test PostgreSQL server exited while starting:\n${log}`);
      if (Date.now() > deadline) {
        throw new Error(`the test PostgreSQL server did not accept logins (${String(err)}):\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts (or finds) the server for the tests. */
export async function startTestServer(): Promise<TestServerResult> {
  const given = process.env[TEST_URL_ENV];
  if (given !== undefined && given !== '') {
    return {
      server: { adminUrl: given, description: `the server ${TEST_URL_ENV} names`, stop: async () => {} },
    };
  }
  const bin = findBinaries();
  if (bin === undefined) {
    return {
      skip: `no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) and ${TEST_URL_ENV} is unset: install Debian's postgresql package or name a server`,
    };
  }
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? lookupUser('postgres') : undefined;
  if (asRoot && owner === undefined) {
    return {
      skip: `running as root and there is no "postgres" user to run the test server as (initdb refuses root); set ${TEST_URL_ENV}`,
    };
  }
  const base = owner && !traversable(tmpdir()) ? '/tmp' : tmpdir();
  const dir = mkdtempSync(join(base, 'camprint-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const user = 'camprint_admin';
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const init = spawnSync(
    join(bin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      user,
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ],
    { ...as, env, encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed (${init.error?.message ?? `exit ${init.status}`}), in ${dir}${owner ? ' as user postgres' : ''}:\n${init.stderr}`,
    );
  }
  const port = await freePort();
  const logFile = join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=64MB',
    ],
    { ...as, env, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  // Never leave it behind, even when this process ends without stopping it.
  const kill = () => child.kill('SIGQUIT');
  process.once('exit', kill);
  const adminUrl = `postgresql://${user}:${password}@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(adminUrl, child, logFile, 60_000);
  } catch (err) {
    kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    server: {
      adminUrl,
      description: `a test server (${bin}, port ${port}${owner ? ', run as user postgres' : ''})`,
      stop: async () => {
        process.removeListener('exit', kill);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGINT'); // fast shutdown
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}

/** A fresh, empty database on a test server: its URL, and how to drop it (and close the admin session). */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the server, for a test that starts processes against it. */
export async function createScratchDatabase(server: TestServer, prefix: string): Promise<ScratchDatabase> {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(server.adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
