import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { queryResidual } from '../../services/index.js';
import { writeNpyFloat32 } from '../../util/npy.js';
import { residualOptions, addResidualOptions } from './shared.js';

export function registerResidual(program: Command, ctx: () => Context): void {
  const cmd = program
    .command('residual <image>')
    .description('extract the PRNU noise residual of one image (float32 .npy, shape (height, width))')
    .requiredOption('--out <file.npy>', 'where to write the residual');
  addResidualOptions(cmd).action(async (image: string, o: Record<string, unknown>) => {
    const c = ctx();
    const t0 = performance.now();
    const r = await queryResidual(image, residualOptions(o));
    await writeNpyFloat32(resolve(String(o.out)), r.residual, [r.height, r.width]);
    const doc = {
      file: image,
      width: r.width,
      height: r.height,
      sha256: r.sha256,
      orientation: r.orientation,
      out: String(o.out),
      seconds: (performance.now() - t0) / 1000,
    };
    c.output(
      doc,
      () => `${image}: ${r.width}×${r.height} residual written to ${o.out} (${doc.seconds.toFixed(2)} s)`,
    );
  });
}
