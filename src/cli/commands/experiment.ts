/** `camprint experiment <spec>`: a declarative experiment end to end (src/experiment). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { loadSpec, runExperiment } from '../../experiment/index.js';

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

export function registerExperiment(program: Command, ctx: () => Context): void {
  program
    .command('experiment <spec>')
    .description(
      'run a declarative experiment (YAML/JSON spec: data, classes, split, networks, methods cnn/pce/fusion) into one results folder; resumable',
    )
    .option('--out <dir>', 'results folder (default experiment-results/<name>)')
    .option('--full', "apply the spec's full: overrides (the paper's scale, for a GPU)")
    .action(async (file: string, o: Record<string, unknown>) => {
      const c = ctx();
      const spec = await loadSpec(file, Boolean(o.full));
      const argv = [
        'camprint experiment',
        file,
        ...(o.full ? ['--full'] : []),
        ...(o.out ? ['--out', String(o.out)] : []),
      ];
      const r = await runExperiment(spec, {
        out: o.out === undefined ? undefined : String(o.out),
        log: (line) => c.log(line),
        command: argv.join(' '),
      });
      c.output(r, () =>
        [
          `${r.name}: ${r.classes.length} classes, ${r.photos.test} test photos (${r.out})`,
          ...r.methods.map(
            (m) =>
              `  ${m.method.padEnd(16)} top-1 ${pct(m.top1).padStart(7)}  top-${m.k} ${pct(m.top5).padStart(7)}`,
          ),
          r.agreement
            ? `  CNN and PCE disagree on ${r.agreement.disagree} of ${r.agreement.photos} photos (fusion right on ${r.agreement.fusionRight})`
            : '',
          `  results.md, results.json, config.json and plots in ${r.out}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
