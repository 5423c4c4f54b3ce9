/** What every command gets: global options, output helpers, the store (opened on demand). */
import { SingleBar, Presets } from 'cli-progress';
import { openStore, defaultDataDir, type Store } from '../store/index.js';

export interface GlobalOptions {
  json?: boolean;
  dataDir?: string;
  /** null: the embedded store in dataDir whatever CAMPRINT_DATABASE_URL says (the demo's own store). */
  databaseUrl?: string | null;
}

export class Context {
  private store?: Store;
  constructor(readonly global: GlobalOptions) {}

  get json(): boolean {
    return Boolean(this.global.json);
  }

  get dataDir(): string {
    return this.global.dataDir ?? process.env.CAMPRINT_DATA_DIR ?? defaultDataDir();
  }

  async openStore(): Promise<Store> {
    this.store ??= await openStore({ dataDir: this.dataDir, databaseUrl: this.global.databaseUrl });
    return this.store;
  }

  async close(): Promise<void> {
    await this.store?.close();
    this.store = undefined;
  }

  /** Prints the command's result: the JSON document with --json, else the human rendering. */
  output(doc: unknown, human: () => string): void {
    if (this.json) process.stdout.write(JSON.stringify(doc, jsonReplacer, 2) + '\n');
    else process.stdout.write(human() + '\n');
  }

  /** A progress reporter on stderr: a bar on a TTY, nothing otherwise. */
  progress(label: string, total: number): { tick(done: number, detail?: string): void; stop(): void } {
    if (!process.stderr.isTTY || total <= 1) return { tick() {}, stop() {} };
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} {detail}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0, { detail: '' });
    return {
      tick: (done, detail = '') => bar.update(done, { detail }),
      stop: () => bar.stop(),
    };
  }

  /** A line on stderr (never on stdout, which may hold the JSON document). */
  log(line: string): void {
    process.stderr.write(line + '\n');
  }
}

/** JSON has no Infinity/NaN: they become null. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** Formats a table of rows (first row the header) with aligned columns. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** A PCE or probability for people: a few significant digits. */
export function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return Math.abs(x) >= 1e6 ? x.toExponential(2) : x.toFixed(digits);
}

/** P_FA as 10^k when tiny. */
export function fmtP(p: number | null, log10: number | null): string {
  if (p === null || log10 === null) return '—';
  if (log10 < -4) return `1e${log10.toFixed(0)}`;
  return p.toPrecision(2);
}
