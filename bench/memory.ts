/**
 * Peak memory of the residual of a 24 MP image (6000×4000), measured as the process's max RSS.
 *   node dist/bench/memory.js
 */
import sharp from 'sharp';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../src/image/index.js';
import { initFft, extractResidual } from '../src/prnu/index.js';

const dir = mkdtempSync(join(tmpdir(), 'camprint-mem-'));
const file = join(dir, '24mp.jpg');
const noise = Buffer.alloc(6000 * 4000 * 3);
for (let i = 0; i < noise.length; i++)
  noise[i] = (Math.sin(i * 0.001) * 60 + 128 + ((i * 2654435761) % 17)) & 255;
await sharp(noise, { raw: { width: 6000, height: 4000, channels: 3 } })
  .jpeg({ quality: 90 })
  .toFile(file);
const base = process.resourceUsage().maxRSS / 1024;
await initFft();
const t = performance.now();
const img = await decodeImage(file);
extractResidual(img.rgb, img.height, img.width);
const seconds = (performance.now() - t) / 1000;
const peak = process.resourceUsage().maxRSS / 1024;
rmSync(dir, { recursive: true, force: true });
console.log(
  `24 MP residual: ${seconds.toFixed(2)} s, peak RSS ${peak.toFixed(0)} MB (before: ${base.toFixed(0)} MB)`,
);
