/**
 * What the reliability tests share (not part of camprint's interface): the CLI run as a child
 * process (waited for, or left running to be killed), `camprint serve` in its own process, a
 * process's resident memory, the checks of a store after a fault (SQLite's integrity check, the
 * audit chain), fingerprints as .npy files, and a throw-away redis-server.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../store/index.js';
import { freePort } from '../store/postgres-test-server.js';
import { CLI } from '../testing/shared.js';
import { encodeNpy } from '../util/npy.js';
import { rng } from './mutate.js';

export { freePort };

import type { Json } from '../testing/http.js';

export type { Json };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: Json;
}

/** Runs `camprint <args>` to the end (stdout parsed as JSON when it is). */
export function camprint(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json: parseJson(r.stdout) };
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A CLI process left running: its output so far, and its end. */
export interface RunningCli {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves when it has exited (with its code, or the signal that ended it). */
  ended: Promise<CliResult>;
}

/** Starts `camprint <args>` without waiting for it. */
export function startCamprint(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: RunningCli = { child, stdout: '', stderr: '', ended: undefined as never };
  child.stdout!.on('data', (b: Buffer) => (run.stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (run.stderr += b.toString()));
  run.ended = new Promise((resolve) =>
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout: run.stdout, stderr: run.stderr, json: parseJson(run.stdout) }),
    ),
  );
  return run;
}

/** An error as the CLI contract promises it: the exit code, one line on stderr, no stack trace. */
export function assertCliError(r: CliResult, code: number, pattern?: RegExp, what = ''): void {
  assert.equal(r.code, code, `${what} exit ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what} one line on stderr: ${r.stderr}`);
  assert.match(lines[0], /^camprint: /, what);
  assert.ok(!/\n\s+at |\.js:\d+:\d+/.test(r.stderr), `${what} no stack trace: ${r.stderr}`);
  if (pattern) assert.match(lines[0], pattern, what);
}

/** Resident memory of a process in bytes (Linux /proc), or NaN where it cannot be read. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const MB = 1024 * 1024;

/** SQLite's own check of a data directory's database: "ok", or what is wrong. */
export function integrityCheck(dataDir: string): string {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
  } finally {
    db.close();
  }
}

/**
 * The checks after a fault: SQLite's integrity check (when the store is SQLite) and
 * `camprint audit verify` through the CLI (exit 0). Returns the audit's entry count.
 */
export function assertStoreConsistent(dataDir: string, env: NodeJS.ProcessEnv = {}, what = ''): number {
  if (!env.CAMPRINT_DATABASE_URL && existsSync(join(dataDir, DATABASE_FILE)))
    assert.equal(integrityCheck(dataDir), 'ok', `${what} PRAGMA integrity_check`);
  const v = camprint(['--data-dir', dataDir, '--json', 'audit', 'verify'], env);
  assert.equal(v.code, 0, `${what} audit verify: ${v.stderr}`);
  assert.equal(v.json.ok, true, `${what} audit chain`);
  return v.json.entries as number;
}

/** A fingerprint-like float32 .npy (height, width), seeded. */
export function fingerprintNpy(width: number, height: number, seed: number): Uint8Array {
  const r = rng(seed);
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (r() - 0.5) * 0.02;
  return encodeNpy({ dtype: '<f4', shape: [height, width], data });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds, polling; fails naming `what` after the timeout. */
export async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** `camprint serve` in its own process, on a free port; its URL from the JSON it prints. */
export interface ServeProcess {
  run: RunningCli;
  url: string;
  pid: number;
  /** SIGTERM and wait; SIGKILL after 15 s. */
  stop(): Promise<CliResult>;
}

export async function startServe(
  dataDir: string,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServeProcess> {
  const run = startCamprint(['--data-dir', dataDir, '--json', 'serve', '--port', '0', ...extraArgs], env);
  const exited = run.ended.then((r) => {
    throw new Error(`camprint serve exited (${r.code ?? r.signal}) before it listened: ${r.stderr}`);
  });
  const listening = new Promise<string>((resolve) => {
    const lines = createInterface({ input: run.child.stdout! });
    let doc = '';
    lines.on('line', (line) => {
      doc += line + '\n';
      const j = parseJson(doc);
      if (j?.url) resolve(String(j.url).replace(/\/$/, ''));
    });
  });
  const url = await Promise.race([listening, exited]);
  exited.catch(() => undefined);
  return {
    run,
    url,
    pid: run.child.pid!,
    stop: async () => {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGTERM');
        const t = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
        const r = await run.ended;
        clearTimeout(t);
        return r;
      }
      return run.ended;
    },
  };
}

export const REDIS_SERVER = '/usr/bin/redis-server';

/** A throw-away redis-server on a free port (no persistence), or why there is none. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> } | { skip: string }> {
  if (!existsSync(REDIS_SERVER))
    return { skip: `needs ${REDIS_SERVER} (Debian package redis-server), which is absent` };
  const port = await freePort();
  const dir = mkdtempSync(join('/tmp', 'camprint-redis-'));
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const answers = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await until('redis-server to listen', answers, 10_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
