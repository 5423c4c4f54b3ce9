/**
 * Server folders a request may name: only under the configured roots (`serve --root`). A path is
 * resolved (relative ones against the first root), its symlinks followed (realpath), and the
 * result must lie inside a root; `..` tricks, absolute paths elsewhere and symlinks out of a root
 * are all 400. Below an accepted folder, a symlink leading out of the roots is refused as well.
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../util/errors.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp']);

/** The roots as real paths (each created when absent). */
export function prepareRoots(roots: readonly string[]): string[] {
  return [
    ...new Set(
      roots.map((r) => {
        mkdirSync(r, { recursive: true });
        return realpathSync(r);
      }),
    ),
  ];
}

/** True when `path` (a real path) is a root or lies below one. */
export function insideRoots(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const rel = relative(root, path);
    return rel === '' || (!isAbsolute(rel) && rel.split(sep)[0] !== '..');
  });
}

/**
 * The real path of a folder named by a request, checked to lie under a root.
 * @param field the parameter's name, for the message
 */
export function resolveFolder(input: unknown, roots: readonly string[], field: string): string {
  if (typeof input !== 'string' || input.length === 0 || input.includes('\0'))
    throw new InputError(`${field}: expected a folder path under the server's roots`);
  const full = isAbsolute(input) ? resolve(input) : resolve(roots[0], input);
  const outside = (): InputError =>
    new InputError(
      `${field}: ${input} is outside the folders this server may read (serve --root: ${roots.join(', ')})`,
    );
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw insideRoots(full, roots) ? new InputError(`${field}: ${input}: no such folder`) : outside();
  }
  if (!insideRoots(real, roots)) throw outside();
  if (!statSync(real).isDirectory()) throw new InputError(`${field}: ${input} is not a folder`);
  return real;
}

/**
 * Walks a folder (already accepted): refuses a symlink below it that leads out of the roots;
 * counts the image files (by extension, hidden files skipped as listImages does).
 */
export function checkTree(dir: string, roots: readonly string[], field: string, limit = 1_000_000): number {
  let images = 0;
  let seen = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name.startsWith('.')) continue;
      if (++seen > limit) throw new InputError(`${field}: more than ${limit} entries below ${dir}`);
      const p = join(d, name);
      let st = lstatSync(p);
      if (st.isSymbolicLink()) {
        let real: string;
        try {
          real = realpathSync(p);
        } catch {
          continue; // a dangling link: nothing to read
        }
        if (!insideRoots(real, roots))
          throw new InputError(`${field}: ${p} is a link out of the folders this server may read`);
        st = statSync(p);
        if (st.isDirectory()) continue; // its target is walked where it lies (no loops)
      }
      if (st.isDirectory()) walk(p);
      else if (IMAGE_EXT.has(extname(name).toLowerCase())) images++;
    }
  };
  walk(dir);
  return images;
}

/** Entries of a folder for the browser: sub-folders and image files, with image counts. */
export function listFolder(
  dir: string,
  roots: readonly string[],
): { name: string; dir: boolean; images: number | null }[] {
  const out: { name: string; dir: boolean; images: number | null }[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      continue;
    }
    if (!insideRoots(real, roots)) continue; // links out of the roots are not shown
    const st = statSync(real);
    if (st.isDirectory()) {
      let images: number | null;
      try {
        images = checkTree(real, roots, name, 20_000);
      } catch {
        images = null; // too large to count, or holds a link out: shown without a count
      }
      out.push({ name, dir: true, images });
    } else if (IMAGE_EXT.has(extname(name).toLowerCase())) out.push({ name, dir: false, images: 1 });
  }
  return out;
}
