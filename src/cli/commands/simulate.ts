import type { Command } from 'commander';
import type { Context } from '../context.js';
import { simulate } from '../../sim/index.js';
import { positiveInt, nonNegativeInt, nonNegativeNumber, intInRange, size } from '../options.js';

export function registerSimulate(program: Command, ctx: () => Context): void {
  program
    .command('simulate <dir>')
    .description('synthetic cameras: <dir>/<model>_<device>/{flat,natural}/*.jpg')
    .option('--models <m>', 'camera models', '2')
    .option('--devices <d>', 'devices (units) per model', '2')
    .option('--images <n>', 'natural photos per device', '10')
    .option('--flat <f>', 'flat-field photos per device', '10')
    .option('--size <WxH>', 'sensor size', '1024x768')
    .option('--seed <s>', 'random seed (same seed, same files)', '1')
    .option('--jpeg-quality <q>', 'one JPEG quality for every model (default: each model its own)')
    .option('--hot-pixels <n>', 'hot/stuck pixels planted per device', '0')
    .option('--prnu-scale <x>', 'PRNU strength relative to K std 0.01–0.02 (default 0.3: realistic)', '0.3')
    .action(async (dir: string, o: Record<string, unknown>) => {
      const c = ctx();
      const [width, height] = size('--size', o.size);
      const opts = {
        dir,
        models: positiveInt('--models', o.models),
        devices: positiveInt('--devices', o.devices),
        images: nonNegativeInt('--images', o.images),
        flat: nonNegativeInt('--flat', o.flat),
        width,
        height,
        seed: nonNegativeInt('--seed', o.seed),
        jpegQuality:
          o.jpegQuality === undefined ? undefined : intInRange('--jpeg-quality', o.jpegQuality, 1, 100),
        hotPixels: nonNegativeInt('--hot-pixels', o.hotPixels),
        prnuScale: nonNegativeNumber('--prnu-scale', o.prnuScale),
      };
      const t0 = performance.now();
      const total = opts.models * opts.devices * (opts.images + opts.flat);
      const bar = c.progress('simulate', total);
      const result = await simulate(opts, (done) => bar.tick(done)).finally(() => bar.stop());
      const seconds = (performance.now() - t0) / 1000;
      c.output(
        { ...result, seconds },
        () =>
          `${result.cameras.length} cameras, ${total} images written to ${result.dir} in ${seconds.toFixed(1)} s`,
      );
    });
}
