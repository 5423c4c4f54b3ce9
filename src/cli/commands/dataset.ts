import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import type { Context } from '../context.js';
import { createDataset, recordDataset, type DatasetProgress } from '../../dl/dataset/index.js';
import { CLASSES_FROM, INPUT_KINDS, ONLY, SPLIT_BY, parseSplit } from '../../dl/dataset/index.js';
import { UsageError } from '../../util/errors.js';
import { cameraName, positiveInt, nonNegativeInt } from '../options.js';
import { addResidualOptions, residualOptions } from './shared.js';

/** One of the allowed words, or a UsageError naming the option. */
function choice<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(
    `Expected one of ${allowed.join(', ')} for ${name} but received ${JSON.stringify(value)}`,
  );
}

/** `camprint dataset create`: a DIGITS-style data set of noise-pattern crops (docs/dl-format.md). */
export function registerDataset(program: Command, ctx: () => Context): void {
  const dataset = program
    .command('dataset')
    .description('deep-learning data sets of noise patterns for CNN camera identification');

  addResidualOptions(
    dataset
      .command('create [dir]')
      .description(
        'crops of photos for training: each sub-folder of <dir> is a class (images anywhere below it); ' +
          'an interrupted build resumes when run again with the same options',
      )
      .requiredOption('--out <ds>', 'the data set folder to write')
      .option('--input <kind>', `what the network sees: ${INPUT_KINDS.join(' | ')}`, 'residual-rgb')
      .option('--crop <px>', 'crop side in pixels (even; photos are never resized)', '256')
      .option('--crops-per-image <n>', 'random crops per photo, at even offsets', '16')
      .option('--split <t/v/t>', 'train/val/test percentages of photos, per class', '75/10/15')
      .option(
        '--split-by <by>',
        'photo, or device: whole devices in one split (unseen units in test)',
        'photo',
      )
      .option(
        '--test-devices <names>',
        'with --split-by device: these devices (comma-separated) are the test split',
      )
      .option(
        '--classes-from <how>',
        'folder, model (<Model>_<device> folders: units of a model are one class) or device',
        'folder',
      )
      .option('--only <kind>', 'keep photos under a folder named natural or flat (all: every photo)', 'all')
      .option('--list <file>', 'photos from a list file: path<TAB>class[<TAB>split[<TAB>device]] per line')
      .option('--min-images <n>', 'leave out classes with fewer usable photos', '1')
      .option('--max-images <n>', 'at most this many photos per class (a seeded choice)')
      .option('--seed <s>', 'seed of the split, the crop positions and the order', '1')
      .option('--shard-size <n>', 'crops per shard file', '2048')
      .option('--overwrite', 'replace a different data set already in --out')
      .option('--name <name>', 'name in the store (default: the data set folder name)'),
  ).action(async (dir: string | undefined, o: Record<string, unknown>) => {
    const c = ctx();
    if (dir === undefined && o.list === undefined)
      throw new UsageError('dataset create needs a folder of class folders <dir> or --list <file>');
    const ropts = residualOptions(o);
    const name = cameraName('--name', o.name ?? basename(resolve(String(o.out))));
    const splitBy = choice('--split-by', o.splitBy, SPLIT_BY);
    const testDevices =
      o.testDevices === undefined
        ? undefined
        : String(o.testDevices)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0);
    if (testDevices !== undefined && (testDevices.length === 0 || splitBy !== 'device'))
      throw new UsageError(
        `Expected device names with --split-by device for --test-devices but received ${JSON.stringify(o.testDevices)}`,
      );
    const crop = positiveInt('--crop', o.crop);
    if (crop % 2 !== 0 || crop < 16)
      throw new UsageError(
        `Expected an even integer of at least 16 for --crop but received ${JSON.stringify(o.crop)}`,
      );
    let bar: ReturnType<Context['progress']> | undefined;
    let phase: DatasetProgress['phase'] | undefined;
    const onProgress = (p: DatasetProgress): void => {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = c.progress(p.phase === 'scan' ? 'dataset: reading headers' : 'dataset: crops', p.total);
      }
      bar?.tick(p.done, p.phase === 'crops' ? `${p.crops} crops` : '');
    };
    const summary = await createDataset(
      {
        dir,
        list: o.list === undefined ? undefined : String(o.list),
        out: String(o.out),
        input: choice('--input', o.input, INPUT_KINDS),
        crop,
        cropsPerImage: positiveInt('--crops-per-image', o.cropsPerImage),
        split: parseSplit(String(o.split), '--split'),
        splitBy,
        testDevices,
        classesFrom: choice('--classes-from', o.classesFrom, CLASSES_FROM),
        only: choice('--only', o.only, ONLY),
        minImages: positiveInt('--min-images', o.minImages),
        maxImages: o.maxImages === undefined ? undefined : positiveInt('--max-images', o.maxImages),
        seed: nonNegativeInt('--seed', o.seed),
        shardSize: positiveInt('--shard-size', o.shardSize),
        levels: ropts.levels,
        sigma: ropts.sigma,
        maxPixels: ropts.maxPixels,
        overwrite: o.overwrite === true,
        onWarning: (line) => {
          bar?.stop();
          bar = undefined;
          phase = undefined;
          c.log(line);
        },
      },
      onProgress,
    ).finally(() => bar?.stop());
    const { crops, images } = summary;
    const doc = await recordDataset(await c.openStore(), name, summary);
    c.output(doc, () => {
      const split = (s: 'train' | 'val' | 'test'): string => `${s} ${crops[s]} crops (${images[s]} photos)`;
      return (
        `${summary.dataset}: ${summary.classes.length} classes; ${split('train')}, ${split('val')}, ${split('test')}` +
        ` in ${summary.seconds.toFixed(1)} s` +
        (summary.cropsPerSecond > 0 ? ` (${summary.cropsPerSecond.toFixed(0)} crops/s)` : '') +
        (summary.skipped ? `\n  ${summary.skipped} photos skipped (listed in manifest.json)` : '') +
        (summary.resumed
          ? summary.cropsMade > 0
            ? '\n  resumed an unfinished build'
            : '\n  already complete: nothing to do'
          : '')
      );
    });
  });
}
