/**
 * Peak memory of the residual of a 24 MP image (6000×4000), as the max RSS of a fresh process
 * that decodes the JPEG and extracts its residual (the parent only makes the test image).
 *   node dist/bench/memory.js
 */
import sharp from 'sharp';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../src/image/index.js';
import { initFft, extractResidual } from '../src/prnu/index.js';
import { sharedPath } from '../src/testing/shared.js';

if (process.argv[2] === 'fingerprint') {
  // Peak RSS of building one fingerprint from the first N flat-fields of a Dresden unit.
  const { readdirSync } = await import('node:fs');
  const { buildFingerprint } = await import('../src/services/index.js');
  const { closePool } = await import('../src/pool/index.js');
  const dirFlat = sharedPath('data', 'dresden-nikon', 'flat', 'Nikon_D70_0')!;
  const files = readdirSync(dirFlat)
    .sort()
    .slice(0, Number(process.argv[3]))
    .map((f) => join(dirFlat, f));
  const t = performance.now();
  await buildFingerprint(files);
  await closePool();
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(
    `fingerprint of ${files.length} flat-fields (3008×2000): ${((performance.now() - t) / 1000).toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB`,
  );
} else if (process.argv[2] === 'child') {
  const base = process.resourceUsage().maxRSS / 1024;
  await initFft();
  const t = performance.now();
  const img = await decodeImage(process.argv[3]);
  extractResidual(img.rgb, img.height, img.width);
  const seconds = (performance.now() - t) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(
    `24 MP (${img.width}×${img.height}) decode + residual: ${seconds.toFixed(2)} s, peak RSS ${peak.toFixed(0)} MB (process at start: ${base.toFixed(0)} MB)`,
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'camprint-mem-'));
  const file = join(dir, '24mp.jpg');
  // A Dresden photo scaled up to 6000×4000 (or noise when shared/ is absent).
  const src = sharedPath('data', 'dresden-nikon', 'natural', 'Nikon_D70_0', 'Nikon_D70_0_19445.JPG');
  const input = src
    ? sharp(src).resize(6000, 4000)
    : sharp({
        create: {
          width: 6000,
          height: 4000,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 40 },
        },
      });
  await input.jpeg({ quality: 92 }).toFile(file);
  const r = spawnSync(process.execPath, [process.argv[1], 'child', file], { stdio: 'inherit' });
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = r.status ?? 1;
  // Streaming: a fingerprint's memory does not grow with the number of images.
  if (sharedPath('data', 'dresden-nikon')) {
    for (const n of ['2', '10'])
      spawnSync(process.execPath, [process.argv[1], 'fingerprint', n], { stdio: 'inherit' });
  }
}
