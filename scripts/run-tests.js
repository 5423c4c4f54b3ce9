#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with Node's own test runner, then the
// training engine's Python tests (engine/tests) with pytest on the engine's Python.
// Usage: node scripts/run-tests.js [filter-substring]   (a filter runs only matching Node tests,
// plus the Python tests when the filter is "engine")
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const filter = process.argv[2];
let status = 0;
const files = walk('dist', []).filter((f) => !filter || f.includes(filter)).sort();
if (files.length > 0) {
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
  });
  status = r.status ?? 1;
} else if (!filter) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}

if ((!filter || filter === 'engine') && existsSync('engine/tests')) {
  const python = process.env.CAMPRINT_PYTHON ?? '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch, pytest'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`\nengine tests skipped: ${python} cannot import torch and pytest (run \`npm run setup\`)`);
  } else {
    console.log('\nengine tests (pytest):');
    const r = spawnSync(python, ['-m', 'pytest', 'engine/tests', '-q', '-p', 'no:cacheprovider'], {
      stdio: 'inherit',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    if (r.status !== 0) status = r.status ?? 1;
  }
}
process.exit(status);
