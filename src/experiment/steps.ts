/**
 * Resumable steps: each step's configuration (with the hashes of the steps it reads from) is
 * hashed; when the step finishes, a record `<out>/steps/<name>.json` holding the hash, the time it
 * took and its output is written atomically. A step whose record exists with the same hash is
 * skipped and its recorded output reused; any other record (another configuration) is redone.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';

/** JSON with object keys sorted (so equal values give equal text, whatever their key order). */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object')
    return JSON.stringify(value === undefined ? null : value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
    .join(',')}}`;
}

/** SHA-256 (hex) of a value's stable JSON. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

export interface StepRecord<T> {
  step: string;
  hash: string;
  config: unknown;
  seconds: number;
  finishedAt: string;
  output: T;
}

/** How a step went in this run. */
export interface StepStatus {
  step: string;
  hash: string;
  status: 'done' | 'skipped';
  /** Seconds the step took when it ran (for a skipped step: in the run that did it). */
  seconds: number;
}

/** Runs or skips steps under one results folder; `log` gets one line per step. */
export class Steps {
  readonly statuses: StepStatus[] = [];
  constructor(
    readonly out: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  recordPath(step: string): string {
    return join(this.out, 'steps', `${step}.json`);
  }

  /** The step's record when it exists with this hash. */
  lookup<T>(step: string, hash: string): StepRecord<T> | undefined {
    const path = this.recordPath(step);
    if (!existsSync(path)) return undefined;
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as StepRecord<T>;
      return r.hash === hash ? r : undefined;
    } catch {
      return undefined; // unreadable: redo
    }
  }

  /** Whether a record exists for the step (with whatever hash). */
  hasRecord(step: string): boolean {
    return existsSync(this.recordPath(step));
  }

  /**
   * Runs `work` unless the step is recorded with the hash of `config`; returns its output and hash.
   * `work` gets `stale`: true when a record with another configuration is there (clear old outputs).
   */
  async run<T>(
    step: string,
    config: unknown,
    work: (ctx: { hash: string; stale: boolean }) => Promise<T>,
  ): Promise<{ output: T; hash: string; skipped: boolean }> {
    const hash = hashOf({ step, config });
    const prev = this.lookup<T>(step, hash);
    if (prev) {
      this.statuses.push({ step, hash, status: 'skipped', seconds: prev.seconds });
      this.log(`${step}: done before (skipped)`);
      return { output: prev.output, hash, skipped: true };
    }
    const stale = this.hasRecord(step);
    this.log(`${step}: ${stale ? 'configuration changed, redoing' : 'running'}`);
    const t0 = performance.now();
    const output = await work({ hash, stale });
    const seconds = (performance.now() - t0) / 1000;
    const record: StepRecord<T> = {
      step,
      hash,
      config,
      seconds,
      finishedAt: new Date().toISOString(),
      output,
    };
    writeFileAtomic(this.recordPath(step), JSON.stringify(record) + '\n');
    this.statuses.push({ step, hash, status: 'done', seconds });
    this.log(`${step}: done in ${seconds.toFixed(1)} s`);
    return { output, hash, skipped: false };
  }
}
