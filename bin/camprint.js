#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('camprint: not built yet; run `npm install` (or `npm run build`) in ' + root + '\n');
  process.exit(3);
}
await import(pathToFileURL(entry).href);
