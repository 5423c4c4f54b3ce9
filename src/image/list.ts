import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../util/errors.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp']);

/**
 * Expands files and folders into a sorted list of image paths (folders recursively, by extension).
 * A missing path is an InputError naming it.
 */
export function listImages(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (IMAGE_EXT.has(extname(name).toLowerCase())) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}
