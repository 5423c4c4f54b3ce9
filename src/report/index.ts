/**
 * report/: the forensic report of a case (or of one photo) — the question, the files and their
 * hashes, the PCE comparisons with their false-alarm probabilities and correlation figures, the
 * header and defect evidence, a CNN's top-5 when a model is named, the methods and parameters, what
 * the figures show and do not, and the audit log's state — as self-contained HTML, and PDF through
 * Chromium where it is installed.
 */
export {
  collectReport,
  resolveTarget,
  type ReportOptions,
  type ReportData,
  type ReportFile,
  type ReportComparison,
  type QuestionedResult,
  type FingerprintUsed,
  type ModelUsed,
  type CnnTop,
} from './collect.js';
export { renderHtml, finding, fmtPce, fmtProb, esc } from './html.js';
export { correlationSpec, prefixSvgIds, type SurfacePanel } from './plots.js';
export { htmlToPdf, pdfUnavailable, chromiumPath } from './pdf.js';
export {
  writeReport,
  reportHtml,
  correlationFigure,
  FIGURE_CAMERAS,
  type WriteReportOptions,
  type WrittenReport,
  type ReportResultSummary,
} from './report.js';
