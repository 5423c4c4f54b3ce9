/**
 * `camprint report`: collects (collect.ts), draws the correlation figures (plots.ts), renders the
 * HTML (html.ts), writes it atomically, prints it to PDF where Chromium is installed (pdf.ts), and
 * records a 'case.report' audit entry with the SHA-256 of what was written.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { renderSvg } from '../dl/plots.js';
import type { AuditEntry, Store } from '../store/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { InputError } from '../util/errors.js';
import { collectReport, type QuestionedResult, type ReportData, type ReportOptions } from './collect.js';
import { renderHtml } from './html.js';
import { htmlToPdf, pdfUnavailable } from './pdf.js';
import { correlationSpec, prefixSvgIds, type SurfacePanel } from './plots.js';

/** Cameras drawn per photo in the correlation figure (best PCE first). */
export const FIGURE_CAMERAS = 8;

export interface WriteReportOptions extends ReportOptions {
  /** Where the HTML goes. */
  out: string;
  /** Where the PDF goes, when one is wanted. */
  pdf?: string;
}

/** One photo's comparisons as the JSON output and the audit entry state them. */
export interface ReportResultSummary {
  file: string;
  label: string;
  sha256: string;
  method: 'match' | 'identify';
  results: {
    camera: string;
    pce: number | null;
    ncc: number | null;
    pFalseAlarm: number | null;
    log10PFalseAlarm: number | null;
    threshold: number;
    match: boolean;
    comparable: boolean;
    shift: [number, number] | null;
    rotation: number | null;
    tests: number | null;
    reason?: string;
    record: number;
  }[];
  cnn: { class: string; probability: number }[] | null;
}

export interface WrittenReport {
  /** The HTML report, absolute path. */
  report: string;
  sha256: string;
  pdf?: string;
  pdfSha256?: string;
  files: number;
  results: ReportResultSummary[];
  /** The report's audit entry. */
  audit: AuditEntry;
  data: ReportData;
}

function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The correlation figure of one photo (SVG, ids made unique), or undefined when nothing was comparable. */
export async function correlationFigure(
  q: QuestionedResult,
  threshold: number,
  index: number,
): Promise<string | undefined> {
  const panels: SurfacePanel[] = q.results
    .filter((r) => r.comparable && r.surface !== undefined && r.pce !== null)
    .slice(0, FIGURE_CAMERAS)
    .map((r) => ({
      camera: r.camera,
      pce: r.pce as number,
      match: r.match,
      radius: r.surface!.radius,
      values: r.surface!.values,
    }));
  if (panels.length === 0) return undefined;
  const svg = await renderSvg(correlationSpec(panels, threshold));
  return prefixSvgIds(svg.replace(/^<\?xml[^>]*>\s*/, ''), `f${index}-`);
}

/** The HTML of a report's data (figures drawn). */
export async function reportHtml(data: ReportData): Promise<string> {
  const figures = new Map<string, string>();
  for (const [i, q] of data.questioned.entries()) {
    const svg = await correlationFigure(q, data.settings.threshold, i + 1);
    if (svg !== undefined) figures.set(q.file.label, svg);
  }
  return renderHtml(data, figures);
}

function summarise(data: ReportData): ReportResultSummary[] {
  return data.questioned.map((q) => ({
    file: q.file.path,
    label: q.file.label,
    sha256: q.file.sha256,
    method: q.method,
    results: q.results.map((r) => ({
      camera: r.camera,
      pce: r.pce,
      ncc: r.ncc,
      pFalseAlarm: r.pFalseAlarm,
      log10PFalseAlarm: r.log10PFalseAlarm,
      threshold: r.threshold,
      match: r.match,
      comparable: r.comparable,
      shift: r.shift,
      rotation: r.rotation,
      tests: r.tests ?? null,
      ...(r.reason ? { reason: r.reason } : {}),
      record: r.recordId,
    })),
    cnn: q.cnn?.top ?? null,
  }));
}

/**
 * Makes the report of a case (or of one image file) and writes it: the HTML always, the PDF when
 * asked. The audit entry is recorded once the files are written. When a PDF was asked for and
 * cannot be made, the HTML is still written and recorded, then InputError says why.
 */
export async function writeReport(
  store: Store,
  target: string,
  options: WriteReportOptions,
): Promise<WrittenReport> {
  const out = resolve(options.out);
  const pdfPath = options.pdf === undefined ? undefined : resolve(options.pdf);
  if (pdfPath !== undefined && pdfPath === out) {
    throw new InputError(`${options.pdf}: the PDF cannot go to the same file as the HTML report`);
  }
  const data = await collectReport(store, target, options);
  const html = await reportHtml(data);
  writeFileAtomic(out, html);
  const htmlSha = sha256(html);

  let pdfError: string | undefined;
  let pdfSha: string | undefined;
  if (pdfPath !== undefined) {
    const why = pdfUnavailable();
    if (why !== null) pdfError = why;
    else {
      options.onProgress?.('printing the PDF (Chromium)');
      const label = `${data.title} · camprint ${data.software.version} · HTML SHA-256 ${htmlSha.slice(0, 16)}…`;
      const pdf = await htmlToPdf(html, label);
      writeFileAtomic(pdfPath, pdf);
      pdfSha = sha256(pdf);
    }
  }

  const results = summarise(data);
  const audit = await store.appendAudit({
    actor: options.actor,
    action: 'case.report',
    subject: data.subject,
    details: {
      report: out,
      sha256: htmlSha,
      pdf: pdfSha === undefined ? null : pdfPath!,
      pdfSha256: pdfSha ?? null,
      version: data.software.version,
      generatedAt: data.generatedAt,
      auditEntries: data.audit.entries,
      auditHead: data.audit.headHash,
      files: data.files.map((f) => ({ label: f.label, sha256: f.sha256, role: f.role })),
      results: results.map((r) => ({
        sha256: r.sha256,
        best: r.results.find((x) => x.comparable)?.camera ?? null,
        matches: r.results.filter((x) => x.match).map((x) => x.camera),
        records: r.results.map((x) => x.record),
      })),
      threshold: data.settings.threshold,
      model: data.model?.path ?? null,
    },
  });
  if (pdfError !== undefined) {
    throw new InputError(`cannot write ${options.pdf}: ${pdfError}; the HTML report was written to ${out}`);
  }
  return {
    report: out,
    sha256: htmlSha,
    ...(pdfSha !== undefined ? { pdf: pdfPath, pdfSha256: pdfSha } : {}),
    files: data.files.length,
    results,
    audit,
    data,
  };
}
