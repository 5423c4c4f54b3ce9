/** Test helpers: where ../shared is, and skipping with a visible reason when it is absent. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../util/paths.js';

export { REPO_ROOT };

/** ../shared beside the repository (CAMPRINT_SHARED overrides). */
export const SHARED_DIR = process.env.CAMPRINT_SHARED ?? join(REPO_ROOT, '..', 'shared');

/** A path under shared/, or undefined when it is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const p = join(SHARED_DIR, ...parts);
  return existsSync(p) ? p : undefined;
}

/** node:test `skip` value: false when shared/<parts> exists, else the reason (shown in the report). */
export function skipWithoutShared(...parts: string[]): false | string {
  return sharedPath(...parts)
    ? false
    : `needs ${join(SHARED_DIR, ...parts)} (the project's shared test data), which is absent`;
}

/** The CLI entry for spawning. */
export const CLI = join(REPO_ROOT, 'bin', 'camprint.js');
