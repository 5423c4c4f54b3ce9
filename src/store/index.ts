/**
 * store/: what camprint keeps between runs, behind one `Store` interface. SQLite (embedded, one
 * file in the data directory) is the default; PostgreSQL (a lab's shared server, selected by a
 * database URL: `CAMPRINT_DATABASE_URL` or `databaseUrl`) sits behind the same interface and
 * passes the same contract tests (contract.ts).
 */
import { mkdirSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, expected } from '../util/errors.js';
import { checkDatabaseUrl, openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';
import { checkName } from './validate.js';

export type * from './types.js';
export { CASE_FILE_ROLES, DEFECT_KINDS, JOB_BACKENDS, JOB_STATUSES, MODEL_STATUSES } from './types.js';
export { GENESIS_HASH, auditHash } from './audit.js';
export { canonicalJson } from './canonical.js';

/** The database file's name inside the data directory. */
export const DATABASE_FILE = 'camprint.db';
/** How long a writer waits for another process's write lock by default, in ms. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
/** The environment variable that points camprint at a PostgreSQL database. */
export const DATABASE_URL_ENV = 'CAMPRINT_DATABASE_URL';

export interface OpenStoreOptions {
  /**
   * The data directory (created when absent, mode 0700); the SQLite database is
   * `<dataDir>/camprint.db`. Not used, nor created, when the store is PostgreSQL.
   */
  dataDir: string;
  /**
   * A PostgreSQL database (`postgresql://user:password@host:5432/database`, libpq's parameters
   * such as sslmode as node-postgres reads them): the store is there instead of in dataDir.
   * When absent, `CAMPRINT_DATABASE_URL` is used if set and not empty; null means SQLite
   * whatever the environment says.
   */
  databaseUrl?: string | null;
  /** Actor recorded in the audit log when a call names none; the OS user name by default. */
  actor?: string;
  /** How long a writer waits for another's lock, in ms (DEFAULT_BUSY_TIMEOUT_MS by default). */
  busyTimeoutMs?: number;
}

/** The data directory to use when the user names none: `~/.camprint`. */
export function defaultDataDir(): string {
  return join(homedir(), '.camprint');
}

/** The OS user name, or "unknown" when there is none fit to be an actor. */
function defaultActor(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.USERNAME;
  }
  try {
    return checkName(name, 'actor');
  } catch {
    return 'unknown';
  }
}

/**
 * The PostgreSQL URL the options select (options.databaseUrl, else CAMPRINT_DATABASE_URL), or
 * undefined for SQLite. Refuses a URL that is not postgres:// or postgresql:// (InputError).
 */
export function selectedDatabaseUrl(options: Pick<OpenStoreOptions, 'databaseUrl'>): string | undefined {
  if (options.databaseUrl === null) return undefined;
  if (options.databaseUrl !== undefined) return checkDatabaseUrl(options.databaseUrl, 'databaseUrl');
  const env = process.env[DATABASE_URL_ENV];
  if (env === undefined || env === '') return undefined;
  return checkDatabaseUrl(env, DATABASE_URL_ENV);
}

/**
 * Opens the store, bringing its schema up to date: on PostgreSQL when a database URL is given
 * (options.databaseUrl or CAMPRINT_DATABASE_URL), else in the data directory (SQLite), creating it.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null)
    throw new InputError(expected('an object', 'options', options));
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InputError(expected('a non-negative integer (milliseconds)', 'busyTimeoutMs', busyTimeoutMs));
  }
  const actor = checkName(options.actor ?? defaultActor(), 'actor');
  const url = selectedDatabaseUrl(options);
  if (url !== undefined) return openPostgresStore({ url, actor, busyTimeoutMs });

  const { dataDir } = options;
  if (typeof dataDir !== 'string' || dataDir.length === 0) {
    throw new InputError(expected('a directory path', 'dataDir', dataDir));
  }
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new InputError(
      `${dir}: cannot create the data directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: the data directory is not a directory`);
  return openSqliteStore({ file: join(dir, DATABASE_FILE), actor, busyTimeoutMs });
}
