/**
 * The training engine's client: spawns the Python engine (`python3 -m engine.train`), reads its
 * JSON-lines events, and turns a crash into one clear message. Python is Debian's
 * `/usr/bin/python3` with `python3-torch` unless CAMPRINT_PYTHON names another.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../util/paths.js';
import { InputError } from '../util/errors.js';

/** One event the engine printed (docs/dl-format.md). */
export interface EngineEvent {
  event: 'start' | 'iteration' | 'epoch' | 'checkpoint' | 'export' | 'done' | 'stopped' | 'error' | string;
  [key: string]: unknown;
}

export interface EngineRun {
  /** Resolves with the final event (done, stopped) or rejects with the engine's error. */
  done: Promise<EngineEvent>;
  /** Asks the engine to stop after the current batch, keeping the last checkpoint (SIGINT). */
  stop(): void;
  child: ChildProcess;
}

/** The Python interpreter the engine runs on. */
export function pythonPath(): string {
  return process.env.CAMPRINT_PYTHON ?? '/usr/bin/python3';
}

/** Checks that Python and PyTorch are there; the message says how to install them. */
export function checkEngine(): { python: string; torch: string } {
  const python = pythonPath();
  const r = spawnSync(python, ['-c', 'import torch, sys; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new InputError(
      `the training engine needs Python with PyTorch: ${python} ${r.error ? 'was not found' : 'cannot import torch'}; ` +
        'on Debian run `bash scripts/setup-system.sh python3-torch` (or set CAMPRINT_PYTHON to a Python that has torch)',
    );
  }
  return { python, torch: r.stdout.trim() };
}

/** Where the engine package lives (the repository's engine/ folder). */
export const ENGINE_DIR = join(REPO_ROOT, 'engine');

/**
 * Runs an engine module (`engine.train`, `engine.export`, …) with arguments; `onEvent` receives
 * every JSON line it prints on stdout. Non-JSON stdout and all stderr are kept for the crash report.
 */
export function runEngine(
  module: string,
  args: string[],
  onEvent: (e: EngineEvent) => void = () => {},
): EngineRun {
  if (!existsSync(join(ENGINE_DIR, '__init__.py')))
    throw new Error(`engine package missing at ${ENGINE_DIR}`);
  const child = spawn(pythonPath(), ['-u', '-m', module, ...args], {
    cwd: REPO_ROOT,
    // CAMPRINT_PARENT_PID: the engine ends with this process, even one killed with SIGKILL (engine/cli.py).
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      CAMPRINT_PARENT_PID: String(process.pid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrTail: string[] = [];
  let last: EngineEvent | undefined;
  let errorEvent: EngineEvent | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: EngineEvent | undefined;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object' && 'event' in parsed) e = parsed as EngineEvent;
    } catch {
      // not an event: keep it with stderr for the crash report
    }
    if (!e) {
      remember(stderrTail, line);
      return;
    }
    last = e;
    if (e.event === 'error') errorEvent = e;
    onEvent(e);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => remember(stderrTail, line));
  const done = new Promise<EngineEvent>((resolve, reject) => {
    child.on('error', (err) =>
      reject(new InputError(`cannot start the training engine (${pythonPath()}): ${err.message}`)),
    );
    child.on('close', (code, signal) => {
      if (errorEvent) {
        const msg = String(errorEvent.message ?? 'unknown error');
        // exit 2 from the engine: bad input (config, data set); otherwise an internal failure
        reject(code === 2 ? new InputError(msg) : new Error(`training engine failed: ${msg}`));
      } else if (last && (last.event === 'done' || last.event === 'stopped')) {
        resolve(last);
      } else {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new Error(`training engine crashed (${why}); its last output:\n${stderrTail.join('\n')}`));
      }
    });
  });
  return { done, child, stop: () => child.kill('SIGINT') };
}

function remember(tail: string[], line: string): void {
  tail.push(line);
  if (tail.length > 30) tail.shift();
}

/** What `python3 -m engine.networks` prints: the registered networks (docs/dl-format.md). */
export interface NetworkList {
  default: string;
  networks: { name: string; description: string; parameters?: number; fixedInput?: boolean }[];
  [key: string]: unknown;
}

/**
 * The networks the engine has registered (one JSON document on the engine's stdout, not an
 * event stream). InputError when Python or PyTorch is missing (checkEngine's message).
 */
export async function listNetworks(): Promise<NetworkList> {
  checkEngine();
  const child = spawn(pythonPath(), ['-m', 'engine.networks'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const err: string[] = [];
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  createInterface({ input: child.stderr! }).on('line', (line) => remember(err, line));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) =>
      reject(new InputError(`cannot start the training engine (${pythonPath()}): ${e.message}`)),
    );
    child.on('close', resolve);
  });
  let doc: unknown;
  try {
    doc = JSON.parse(out.trim().split('\n').at(-1) ?? '');
  } catch {
    doc = undefined;
  }
  if (code !== 0 || !doc || typeof doc !== 'object' || !Array.isArray((doc as NetworkList).networks))
    throw new Error(
      `the training engine could not list its networks (exit code ${code}):\n${err.join('\n')}`,
    );
  return doc as NetworkList;
}
