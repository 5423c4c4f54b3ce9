/** `camprint inspect <image>`: header and sensor-defect evidence (evidence/inspect.ts). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { fmt } from '../context.js';
import { inspectAndRecord, type InspectResult } from '../../evidence/index.js';
import { positiveInt } from '../options.js';

export function registerInspect(program: Command, ctx: () => Context): void {
  program
    .command('inspect <image>')
    .description(
      'header and defect evidence of one image: SHA-256, EXIF, JPEG structure and quality, its tables against ' +
        'the library (`tables add`), its defects against stored maps (`defects build`), signs of editing',
    )
    .option('--max-pixels <n>', 'refuse to decode images larger than this many pixels', '200000000')
    .action(async (image: string, o: Record<string, unknown>) => {
      const c = ctx();
      const maxPixels = positiveInt('--max-pixels', o.maxPixels);
      // Chain of custody: the file as it was read, and what was found, in the audit log.
      const r = await inspectAndRecord(await c.openStore(), image, { maxPixels });
      c.output(r, () => human(r));
    });
}

function human(r: InspectResult): string {
  const e = r.exif;
  const j = r.jpeg;
  const lines = [
    `${r.file}`,
    `  sha256      ${r.sha256}`,
    `  format      ${r.format ?? 'unreadable'}${r.width ? ` ${r.width}×${r.height}` : ''}, ${r.bytes} bytes`,
    `  camera      ${[e.make, e.model].filter(Boolean).join(' ') || '—'}${e.serialNumbers.length ? ` (serial ${e.serialNumbers.join(', ')})` : ''}`,
    `  software    ${e.software ?? '—'}`,
    `  taken       ${e.dateTimeOriginal ?? '—'}${e.modifyDate && e.modifyDate !== e.dateTimeOriginal ? `, modified ${e.modifyDate}` : ''}`,
    `  lens        ${e.lens ?? '—'};  orientation ${e.orientation ?? '—'};  GPS ${e.gps.present ? 'present' : 'absent'}`,
  ];
  if (j.isJpeg) {
    lines.push(
      `  JPEG        quality ≈ ${j.quality ?? '—'}${j.qualityEstimate?.exact ? ' (exact libjpeg tables)' : j.qualityEstimate ? ` (nearest libjpeg; mean |Δ| ${fmt(j.qualityEstimate.meanAbsDifference, 2)})` : ''}, ` +
        `${j.subsampling ?? '—'}, ${j.process ?? '—'}, Huffman ${j.huffman}, thumbnail ${j.thumbnail.present ? j.thumbnail.source : 'none'}`,
      `  markers     ${j.markers.join(' ')}`,
    );
  }
  if (r.tables) {
    lines.push(
      r.tables.comparisons.length === 0
        ? '  tables      the library is empty (`camprint tables add`)'
        : `  tables      identical to ${r.tables.identical.join(', ') || 'no camera'}; same quality as ${r.tables.sameQuality.join(', ') || 'no other'}`,
    );
  }
  for (const d of r.defects) {
    lines.push(
      `  defects     ${d.camera}: ${d.hits} of ${d.tested} map defects seen (chance ${d.expectedByChance.toFixed(2)}), ` +
        `P(coincidence) ${d.pCoincidence < 1e-4 ? `1e${d.log10PCoincidence.toFixed(0)}` : d.pCoincidence.toPrecision(2)} → ${d.match ? 'match' : 'no match'}`,
    );
  }
  for (const s of r.signs) lines.push(`  sign        ${s.detail}`);
  for (const w of r.warnings) lines.push(`  warning     ${w}`);
  return lines.join('\n');
}
