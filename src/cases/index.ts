/**
 * cases/: an examiner's cases over the store — the question, the files (hashed at intake, each
 * questioned or reference), notes, and what the store has recorded about them. `camprint case`
 * and the report (report/) use these; the server can too.
 */
export {
  openCase,
  createCase,
  intakeFile,
  addFiles,
  addNote,
  caseSummary,
  type IntakeFile,
  type AddFilesResult,
  type CaseFileSummary,
  type CaseSummary,
} from './cases.js';
