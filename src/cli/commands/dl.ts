/** Deep-learning commands: train (Python engine), evaluate and classify (ONNX in TypeScript), networks. */
import type { Command } from 'commander';
import { basename, join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { table } from '../context.js';
import { startTraining } from '../../dl/train.js';
import { getModelChecked, listModelsChecked } from '../../dl/interrupted.js';
import { listNetworks, type EngineEvent } from '../../dl/engine.js';
import { loadModel } from '../../dl/model.js';
import { type Split } from '../../dl/evaluate.js';
import { evaluateAndRecord } from '../../dl/evaluate-record.js';
import { classifyFile, type Classification } from '../../dl/classify.js';
import { listImages } from '../../image/index.js';
import { InputError, UsageError } from '../../util/errors.js';
import { cameraName, positiveInt, positiveNumber, nonNegativeNumber } from '../options.js';

const POLICIES = ['fixed', 'step', 'exp', 'poly', 'cosine'];
const OPTIMIZERS = ['sgd', 'adam', 'adamw'];

function oneOf(name: string, value: unknown, allowed: string[]): string {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new UsageError(
      `Expected one of ${allowed.join(', ')} for ${name} but received ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function registerDl(program: Command, ctx: () => Context): void {
  program
    .command('train')
    .description('train a CNN on a data set (PyTorch engine), export it to ONNX')
    .requiredOption('--dataset <ds>', 'data set folder (camprint dataset create)')
    .requiredOption('--out <model>', 'model folder')
    .option('--network <name>', 'network (camprint networks lists them)', 'camnet')
    .option('--epochs <n>', 'epochs', '30')
    .option('--lr <rate>', 'base learning rate (the paper: 0.0025)', '0.001')
    .option('--batch <n>', 'batch size', '64')
    .option('--optimizer <name>', OPTIMIZERS.join('|'), 'adamw')
    .option('--policy <name>', `learning-rate policy: ${POLICIES.join('|')}`, 'cosine')
    .option('--weight-decay <w>', 'weight decay', '0.0005')
    .option('--seed <s>', 'random seed', '1')
    .option(
      '--checkpoint-every <n>',
      'epochs between kept checkpoints (last.pt is rewritten every epoch)',
      '5',
    )
    .option('--name <name>', 'name in the store (default: the model folder name)')
    .option('--set <key=value...>', 'any other engine setting (engine/config.py)')
    .option('--resume', 'continue an interrupted training from its last checkpoint')
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const settings: Record<string, string | number | boolean> = {
        epochs: positiveInt('--epochs', o.epochs),
        lr: positiveNumber('--lr', o.lr),
        batch_size: positiveInt('--batch', o.batch),
        optimizer: oneOf('--optimizer', o.optimizer, OPTIMIZERS),
        lr_policy: oneOf('--policy', o.policy, POLICIES),
        weight_decay: nonNegativeNumber('--weight-decay', o.weightDecay),
        seed: Number(o.seed),
        checkpoint_every: positiveInt('--checkpoint-every', o.checkpointEvery),
      };
      for (const kv of (o.set as string[] | undefined) ?? []) {
        const m = /^([a-z_][a-z0-9_]*)=(.*)$/.exec(kv);
        if (!m) throw new UsageError(`Expected key=value for --set but received ${JSON.stringify(kv)}`);
        settings[m[1]] = m[2];
      }
      const name = cameraName('--name', o.name ?? basename(resolve(String(o.out))));
      const store = await c.openStore();
      const epochs = settings.epochs as number;
      const { run, result } = startTraining({
        dataset: String(o.dataset),
        out: String(o.out),
        network: String(o.network),
        settings,
        resume: Boolean(o.resume),
        name,
        store,
        onEvent: (e) => progressLine(c, e, epochs),
      });
      // Ctrl-C: the engine finishes its batch, keeps its last checkpoint and stops (resume later).
      const onSigint = () => {
        c.log('\nstopping after the current batch (the last checkpoint is kept; --resume continues) …');
        run.stop();
      };
      process.once('SIGINT', onSigint);
      const r = await result.finally(() => process.off('SIGINT', onSigint));
      if (process.stderr.isTTY) process.stderr.write('\n');
      c.output(
        {
          model: r.model,
          name: r.name,
          status: r.status,
          epochs: r.epochs,
          bestValAccuracy: r.bestValAccuracy,
          seconds: r.seconds,
          curves: join(r.model, 'curves.svg'),
        },
        () =>
          `${r.name}: ${r.status} after ${r.epochs} epochs, best validation accuracy ${r.bestValAccuracy === null ? '—' : (100 * r.bestValAccuracy).toFixed(2) + '%'} (${r.seconds.toFixed(0)} s)\n  model ${r.model}, curves ${join(r.model, 'curves.svg')}`,
      );
      if (r.status === 'stopped') process.exitCode = 130;
    });

  program
    .command('evaluate')
    .description(
      'top-1/top-5, per-class accuracy and confusion matrix of a model on a data set split (ONNX, no Python)',
    )
    .requiredOption('--model <model>', 'model folder')
    .requiredOption('--dataset <ds>', 'data set folder')
    .option('--split <split>', 'train|val|test', 'test')
    .option('--plot <file.svg>', 'confusion matrix heat map (default <model>/confusion-<split>.svg)')
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const split = oneOf('--split', o.split, ['train', 'val', 'test']) as Split;
      const model = await loadModel(String(o.model));
      const bar = c.progress(`evaluate ${split}`, 1);
      const store = await c.openStore();
      const name = basename(model.dir);
      const ev = await evaluateAndRecord({
        model,
        dataset: String(o.dataset),
        split,
        plot: o.plot === undefined ? undefined : String(o.plot),
        name,
        store,
        onProgress: (d, t) => bar.tick(d, `${t} crops`),
      }).finally(() => bar.stop());
      const plot = ev.plot;
      c.output({ ...ev, plot }, () =>
        [
          `${split}: top-1 ${(100 * ev.top1).toFixed(2)}%, top-5 ${(100 * ev.top5).toFixed(2)}% over ${ev.images} photos (per crop: ${(100 * ev.crop.top1).toFixed(2)}% / ${(100 * ev.crop.top5).toFixed(2)}% over ${ev.crop.crops} crops)`,
          table([
            ['class', 'photos', 'correct', 'accuracy'],
            ...ev.classes.map((k) => {
              const p = ev.perClass[k];
              return [
                k,
                p.images,
                p.correct,
                p.accuracy === null ? '—' : `${(100 * p.accuracy).toFixed(1)}%`,
              ];
            }),
          ]),
          `confusion matrix: ${plot}`,
        ].join('\n'),
      );
    });

  program
    .command('classify <images...>')
    .description(
      "top-5 classes for photos (files or folders), averaged over each photo's crops (ONNX, no Python)",
    )
    .requiredOption('--model <model>', 'model folder')
    .option('--top <n>', 'classes to list', '5')
    .option('--crops <n>', 'crops per photo', '32')
    .action(async (images: string[], o: Record<string, unknown>) => {
      const c = ctx();
      const model = await loadModel(String(o.model));
      const files = listImages(images);
      if (files.length === 0) throw new InputError(`${images.join(', ')}: no images found`);
      const results: Classification[] = [];
      for (const file of files)
        results.push(
          await classifyFile(model, file, {
            top: positiveInt('--top', o.top),
            crops: positiveInt('--crops', o.crops),
          }),
        );
      const doc =
        results.length === 1
          ? { file: results[0].file, top: results[0].top, crops: results[0].crops }
          : { results: results.map((r) => ({ file: r.file, top: r.top, crops: r.crops })) };
      c.output(doc, () =>
        results
          .map(
            (r) =>
              `${r.file}\n${r.top.map((t, i) => `  ${i + 1}. ${t.class.padEnd(24)} ${(100 * t.probability).toFixed(2)}%`).join('\n')}`,
          )
          .join('\n'),
      );
    });

  program
    .command('models [name]')
    .description(
      'the models in the store (status, epochs, best validation accuracy); with a name, that one with its error',
    )
    .action(async (name: string | undefined) => {
      const c = ctx();
      const store = await c.openStore();
      if (name !== undefined) {
        const m = await getModelChecked(store, name);
        if (!m) throw new InputError(`model ${name}: no such model in the store`);
        const { curves: _curves, ...rest } = m;
        c.output(rest, () =>
          [
            `${m.name}: ${m.status} after ${m.epochs} epochs, best validation accuracy ${pct(m.bestValAccuracy)}`,
            `  ${m.network} on ${m.dataset ?? 'an unknown data set'}; folder ${m.path}`,
            m.error ? `  ${m.error}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        return;
      }
      const models = (await listModelsChecked(store)).map(({ curves: _curves, ...rest }) => rest);
      c.output({ models }, () =>
        models.length === 0
          ? `no models in ${c.dataDir}`
          : table([
              ['model', 'network', 'status', 'epochs', 'best val acc', 'updated'],
              ...models.map((m) => [
                m.name,
                m.network,
                m.status,
                m.epochs,
                pct(m.bestValAccuracy),
                m.updatedAt,
              ]),
            ]),
      );
    });

  program
    .command('networks')
    .description('the networks the training engine has registered')
    .action(async () => {
      const c = ctx();
      const list = await listNetworks();
      c.output(list, () => {
        const names = list.networks.map((n) => n.name + (n.name === list.default ? ' (default)' : ''));
        const w = Math.max(...names.map((n) => n.length));
        return list.networks
          .map(
            (n, i) => `${names[i].padEnd(w)}  ${String(n.parameters ?? '—').padStart(9)}  ${n.description}`,
          )
          .join('\n');
      });
    });
}

/** One live line on a TTY: epoch, loss, accuracies, images/s. */
function progressLine(c: Context, e: EngineEvent, epochs: number): void {
  if (!process.stderr.isTTY) {
    if (e.event === 'epoch')
      c.log(
        `epoch ${e.epoch}/${epochs}: loss ${fmt(e.loss)} acc ${pct(e.accuracy)} val loss ${fmt(e.valLoss)} val acc ${pct(e.valAccuracy)} (${fmt(e.imagesPerSecond, 0)} img/s)`,
      );
    return;
  }
  if (e.event === 'iteration')
    process.stderr.write(
      `\repoch ${e.epoch}/${epochs} it ${e.iteration} loss ${fmt(e.loss)} ${fmt(e.imagesPerSecond, 0)} img/s   `,
    );
  if (e.event === 'epoch')
    process.stderr.write(
      `\repoch ${e.epoch}/${epochs}: loss ${fmt(e.loss)} acc ${pct(e.accuracy)} val loss ${fmt(e.valLoss)} val acc ${pct(e.valAccuracy)} (${fmt(e.imagesPerSecond, 0)} img/s)\n`,
    );
}

const fmt = (v: unknown, d = 4) => (typeof v === 'number' ? v.toFixed(d) : '—');
const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : '—');
