/**
 * Versioned schema migrations, shared logic. Each backend has its own ordered list (the DDL differs
 * by dialect) with the same versions and names; `schema_migrations(version, name, applied_at)`
 * records what a database has. A migration is applied in its own transaction together with its
 * row in schema_migrations, so a database is always at exactly one version.
 */
import { InputError } from '../util/errors.js';

export interface Migration {
  /** 1, 2, 3, … without gaps. */
  version: number;
  /** Short name, the same in every backend. */
  name: string;
  /** The DDL, possibly several statements. */
  up: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
}

/** Throws unless the list is 1, 2, 3, … (a programming error, caught by the tests). */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration list out of order: ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

/**
 * The migrations a database still needs, given what it records. Refuses, with a message for the
 * user, a database newer than this build or one whose history differs from this build's.
 */
export function pendingMigrations(
  migrations: readonly Migration[],
  applied: readonly AppliedMigration[],
  location: string,
): Migration[] {
  const latest = migrations.length;
  const newest = applied.reduce((a, m) => Math.max(a, m.version), 0);
  if (newest > latest) {
    throw new InputError(
      `${location}: the database has schema version ${newest} but this camprint knows versions up to ${latest}; ` +
        'it was written by a newer camprint. Upgrade camprint, or use another data directory.',
    );
  }
  const byVersion = new Map(applied.map((m) => [m.version, m.name]));
  for (const m of migrations) {
    const name = byVersion.get(m.version);
    if (m.version <= newest && name === undefined) {
      throw new InputError(
        `${location}: schema migration ${m.version} (${m.name}) is missing while later ones are applied`,
      );
    }
    if (name !== undefined && name !== m.name) {
      throw new InputError(
        `${location}: schema migration ${m.version} is recorded as "${name}" but this camprint's is "${m.name}"; ` +
          'the database was not made by this camprint',
      );
    }
  }
  return migrations.filter((m) => m.version > newest);
}
