import type { Command } from 'commander';
import type { Context } from '../context.js';
import { simulate, type SimulateOptions } from '../../sim/index.js';
import { positiveInt, nonNegativeInt, nonNegativeNumber, intInRange, size } from '../options.js';

/** The simulator's options on a command, with that command's defaults. */
export function addSimulationOptions(
  cmd: Command,
  d: { images: string; flat: string; seed: string; prnuScale: string },
): Command {
  return cmd
    .option('--models <m>', 'camera models', '2')
    .option('--devices <d>', 'devices (units) per model; units of a model differ only by PRNU', '2')
    .option('--images <n>', 'natural photos per device', d.images)
    .option('--flat <f>', 'flat-field photos per device', d.flat)
    .option('--size <WxH>', 'sensor size', '1024x768')
    .option('--seed <s>', 'random seed (same seed, same files)', d.seed)
    .option('--jpeg-quality <q>', 'one JPEG quality for every model (default: each model its own)')
    .option('--hot-pixels <n>', 'hot/stuck pixels planted per device', '0')
    .option(
      '--prnu-scale <x>',
      'PRNU strength: K std 0.01–0.02 times this (0.3: like real sensors)',
      d.prnuScale,
    );
}

/** Parsed simulator options for `dir`. */
export function simulationOptions(dir: string, o: Record<string, unknown>): SimulateOptions {
  const [width, height] = size('--size', o.size);
  return {
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
}

export function registerSimulate(program: Command, ctx: () => Context): void {
  addSimulationOptions(
    program
      .command('simulate <dir>')
      .description('synthetic cameras: <dir>/<model>_<device>/{flat,natural}/*.jpg'),
    { images: '10', flat: '10', seed: '1', prnuScale: '0.3' },
  ).action(async (dir: string, o: Record<string, unknown>) => {
    const c = ctx();
    const opts = simulationOptions(dir, o);
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
