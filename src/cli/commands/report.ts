/** `camprint report <case|image>`: the forensic report as HTML (and PDF through Chromium). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { fmt } from '../context.js';
import { writeReport } from '../../report/index.js';
import { nonNegativeInt, positiveInt, positiveNumber } from '../options.js';
import { addResidualOptions, residualOptions } from './shared.js';

export function registerReport(program: Command, ctx: () => Context): void {
  addResidualOptions(
    program
      .command('report <target>')
      .description(
        'the forensic report of a case (or of one image file): files and hashes, PCE with P_FA and ' +
          'correlation plots, header and defect evidence, CNN top-5, methods, audit head; HTML, PDF via Chromium',
      )
      .option('--out <file>', 'the HTML report', 'report.html')
      .option('--pdf <file>', 'also print it to PDF (needs /usr/bin/chromium)')
      .option(
        '--camera <names...>',
        "compare with these cameras (default: the case's; none: the whole database)",
      )
      .option('--model <model>', 'a trained model (name in the store, or folder) for the CNN top-5')
      .option('--threshold <pce>', 'decision threshold on PCE', '60')
      .option('--max-shift <px>', 'for same-size images, search shifts up to ±px', '0')
      .option('--no-rotations', 'do not try the 90°/180°/270° rotations of the photo')
      .option('--plot-radius <px>', 'half-side of the correlation window plotted around each peak', '10'),
  ).action(async (target: string, o: Record<string, unknown>) => {
    const c = ctx();
    const store = await c.openStore();
    const r = await writeReport(store, target, {
      out: String(o.out),
      pdf: o.pdf === undefined ? undefined : String(o.pdf),
      cameras: o.camera as string[] | undefined,
      model: o.model as string | undefined,
      threshold: positiveNumber('--threshold', o.threshold),
      maxShift: nonNegativeInt('--max-shift', o.maxShift),
      rotations: o.rotations !== false,
      surfaceRadius: positiveInt('--plot-radius', o.plotRadius),
      ...residualOptions(o),
      onProgress: (line) => c.log(line),
    });
    const doc = {
      report: r.report,
      ...(r.pdf !== undefined ? { pdf: r.pdf, pdfSha256: r.pdfSha256 } : {}),
      sha256: r.sha256,
      files: r.files,
      results: r.results,
      audit: { seq: r.audit.seq, hash: r.audit.hash },
    };
    c.output(doc, () =>
      [
        `report ${r.report} (sha256 ${r.sha256})`,
        ...(r.pdf ? [`pdf    ${r.pdf} (sha256 ${r.pdfSha256})`] : []),
        ...r.results.map((q) => {
          const best = q.results.find((x) => x.comparable);
          const matches = q.results.filter((x) => x.match).map((x) => x.camera);
          return (
            `  ${q.label} ${q.file}: ` +
            (best === undefined
              ? 'not comparable'
              : matches.length
                ? `MATCH ${matches.join(', ')} (PCE ${fmt(best.pce)})`
                : `no match (best ${best.camera}, PCE ${fmt(best.pce)})`)
          );
        }),
        `audit entry ${r.audit.seq} (case.report) records the report's SHA-256`,
      ].join('\n'),
    );
  });
}
