/**
 * Cases as services over the store: a case is opened (or created) by name, files are added by
 * path — each read once, hashed (SHA-256 of its bytes) and described at intake by evidence/ —,
 * notes are added, and a summary puts together the case's files, notes and the comparisons the
 * store has recorded for those files.
 */
import { inspectImage, intakeImage, readEvidenceFile } from '../evidence/index.js';
import { listImages } from '../image/index.js';
import type {
  CaseFile,
  CaseFileRole,
  CaseInput,
  CaseNote,
  CaseRecord,
  ImageInput,
  MatchRecord,
  Store,
} from '../store/index.js';
import { InputError } from '../util/errors.js';

/** The case of that name; InputError naming it when the store has none. */
export async function openCase(store: Store, name: string): Promise<CaseRecord> {
  const record = await store.getCase(name);
  if (record === undefined) {
    throw new InputError(
      `case ${name} does not exist (see \`camprint case list\`, or \`camprint case create\`)`,
    );
  }
  return record;
}

/**
 * Creates a case. An existing case is refused, unless `update` is set: then the fields given
 * replace its own (audited as case.update).
 */
export async function createCase(
  store: Store,
  input: CaseInput,
  options: { update?: boolean } = {},
): Promise<{ record: CaseRecord; created: boolean }> {
  const existing = await store.getCase(input.name);
  if (existing !== undefined && !options.update) {
    throw new InputError(
      `case ${input.name} already exists (created ${existing.createdAt}); --update changes it`,
    );
  }
  return { record: await store.putCase(input), created: existing === undefined };
}

/** A file read at intake: what the store records of it. */
export interface IntakeFile {
  file: string;
  image: ImageInput;
  bytes: number;
}

/**
 * Reads and hashes one file at intake (evidence/intake, evidence/inspect: the header is read, the
 * size comes from the decoder). InputError naming the file when it cannot be read or is no image.
 */
export async function intakeFile(file: string): Promise<IntakeFile> {
  const { bytes, sha256 } = await readEvidenceFile(file);
  const inspected = await inspectImage(file, bytes, sha256);
  if (inspected.format === null) {
    throw new InputError(`${file}: the image decoder cannot read this file; it cannot be examined`);
  }
  return { file, image: intakeImage(inspected), bytes: bytes.length };
}

export interface AddFilesResult {
  /** Files new to the case, in the order added. */
  added: CaseFile[];
  /** Files the case already held (by SHA-256): left as they were. */
  present: CaseFile[];
}

/**
 * Adds image files (and the images in folders, recursively) to a case with one role. Every file is
 * read and hashed before the store is touched, so a bad file leaves the case as it was; the case's
 * files are then added in one transaction (an audit entry per new file).
 */
export async function addFiles(
  store: Store,
  caseName: string,
  paths: readonly string[],
  role: CaseFileRole,
  options: { actor?: string; onProgress?: (done: number, total: number, file: string) => void } = {},
): Promise<AddFilesResult> {
  await openCase(store, caseName);
  const files = listImages(paths);
  if (files.length === 0) throw new InputError(`${paths.join(', ')}: no image files found`);
  const intake: IntakeFile[] = [];
  for (const file of files) {
    intake.push(await intakeFile(file));
    options.onProgress?.(intake.length, files.length, file);
  }
  const before = new Set((await store.listCaseFiles(caseName)).map((f) => f.sha256));
  const stored = await store.addCaseFiles(
    caseName,
    intake.map((f) => ({ image: f.image, role })),
    { actor: options.actor },
  );
  return {
    added: stored.filter((f) => !before.has(f.sha256)),
    present: stored.filter((f) => before.has(f.sha256)),
  };
}

export function addNote(
  store: Store,
  caseName: string,
  text: string,
  options: { actor?: string } = {},
): Promise<CaseNote> {
  return store.addCaseNote(caseName, text, options);
}

/** A case's file with the comparisons recorded for it (any command, any case: the image is the key). */
export interface CaseFileSummary extends CaseFile {
  matches: MatchRecord[];
}

export interface CaseSummary {
  case: CaseRecord;
  files: CaseFileSummary[];
  notes: CaseNote[];
}

/** Everything the store holds about a case. */
export async function caseSummary(store: Store, name: string): Promise<CaseSummary> {
  const record = await openCase(store, name);
  const files: CaseFileSummary[] = [];
  for (const f of await store.listCaseFiles(name)) {
    files.push({ ...f, matches: await store.listMatches({ imageSha256: f.sha256 }) });
  }
  return { case: record, files, notes: await store.listCaseNotes(name) };
}
