/**
 * The report on simulated cameras: two cameras' fingerprints from flat-fields, a case with one
 * photo of camera A (questioned) and one of camera B (reference). The report names A as the match
 * and not B, states the file's SHA-256, the software version, the P_FA and a figure, records the
 * comparisons and a 'case.report' audit entry with the SHA-256 of what it wrote, and prints a PDF
 * where Chromium is installed. Then the same through the CLI: case commands, a one-image report,
 * a database search, and the refusals (unknown target, a file changed since intake, no Chromium).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addFiles, addNote, caseSummary, createCase } from '../cases/index.js';
import { closePool } from '../pool/index.js';
import { buildFingerprint, saveFingerprint } from '../services/index.js';
import { simulate, type SimulatedCamera } from '../sim/index.js';
import { openStore, type Store } from '../store/index.js';
import { CLI } from '../testing/shared.js';
import { VERSION } from '../version.js';
import { fmtProb, pdfUnavailable, writeReport } from './index.js';

let dir: string;
let dataDir: string;
let store: Store;
let A: SimulatedCamera;
let B: SimulatedCamera;
let reportWritten: { pdf: string; pdfSha256?: string; entryPdfSha256: unknown } | undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, checked field by field
type Json = any;
function camprint(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stderr: string; json: Json } {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
  });
  return {
    code: r.status ?? -1,
    stderr: r.stderr,
    json: r.status === 0 && args.includes('--json') ? JSON.parse(r.stdout) : undefined,
  };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-report-'));
  dataDir = join(dir, 'store');
  // Strong PRNU (as services.test): 512×384 photos carry little of a 6 MP photo's PRNU energy.
  const sim = await simulate({
    prnuScale: 1,
    dir: join(dir, 'sim'),
    models: 2,
    devices: 1,
    images: 2,
    flat: 8,
    width: 512,
    height: 384,
    seed: 5,
  });
  [A, B] = sim.cameras;
  store = await openStore({ dataDir, actor: 'tester', databaseUrl: null });
  for (const cam of sim.cameras) await saveFingerprint(store, cam.camera, await buildFingerprint(cam.flat));
});

after(async () => {
  await store?.close();
  await closePool();
  rmSync(dir, { recursive: true, force: true });
});

test('a case report names camera A as the match and not B, with hashes, P_FA, a figure, records and an audit entry', async () => {
  await createCase(store, {
    name: 'SIM-1',
    title: 'Simulated case',
    question: `Was the questioned photo taken with ${A.camera}?`,
    examiner: 'Test Examiner',
    cameras: [A.camera, B.camera],
  });
  const q = await addFiles(store, 'SIM-1', [A.natural[0]], 'questioned');
  const r = await addFiles(store, 'SIM-1', [B.natural[0]], 'reference');
  assert.equal(q.added.length, 1);
  assert.equal(r.added.length, 1);
  assert.equal((await addFiles(store, 'SIM-1', [A.natural[0]], 'questioned')).present.length, 1);
  await addNote(store, 'SIM-1', 'Photos received by e-mail.');
  const photoSha = sha256(A.natural[0]);
  assert.equal(q.added[0].sha256, photoSha);

  const out = join(dir, 'out', 'report.html');
  const pdf = join(dir, 'out', 'report.pdf');
  const noPdf = pdfUnavailable();
  const written = await writeReport(store, 'SIM-1', { out, ...(noPdf === null ? { pdf } : {}) });

  // The finding: A matches, B does not.
  assert.equal(written.results.length, 1);
  const [res] = written.results;
  assert.equal(res.sha256, photoSha);
  const byCamera = new Map(res.results.map((x) => [x.camera, x]));
  const a = byCamera.get(A.camera)!;
  const b = byCamera.get(B.camera)!;
  assert.ok(a.match && a.pce! > 60, `${A.camera}: PCE ${a.pce}`);
  assert.ok(!b.match && b.pce! < 60, `${B.camera}: PCE ${b.pce}`);
  assert.equal(res.results[0].camera, A.camera, 'best first');
  assert.equal(written.files, 2);

  // The HTML: self-contained, with the file's SHA-256, the version, the P_FA, the figure.
  const html = readFileSync(out, 'utf8');
  assert.equal(written.sha256, sha256(out));
  assert.ok(html.includes(photoSha), 'the questioned file’s SHA-256');
  assert.ok(html.includes(sha256(B.natural[0])), 'the reference file’s SHA-256');
  assert.ok(html.includes(`camprint ${VERSION}`), 'the software version');
  assert.ok(html.includes(fmtProb(a.pFalseAlarm, a.log10PFalseAlarm)), 'the P_FA of the match');
  assert.match(html, /<svg[\s>]/);
  assert.match(html, /Photos received by e-mail\./);
  assert.match(html, /What the figures show and what they do not/);
  assert.ok(
    html.includes((await store.getFingerprintRecord(A.camera))!.dataSha256),
    'the fingerprint’s data hash',
  );
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(\s*['"]?https?:/i, 'nothing fetched');
  assert.doesNotMatch(html, /\s(?:src|href)="(?!#)/i, 'no external reference');
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique in the page');

  // The comparisons are in the store, and the report's audit entry names what was written.
  const matches = await store.listMatches({ imageSha256: photoSha });
  assert.deepEqual(
    matches.map((m) => [m.camera, m.decision, m.params.command]),
    [
      [A.camera, 'match', 'report'],
      [B.camera, 'no-match', 'report'],
    ],
  );
  assert.deepEqual(
    res.results.map((x) => x.record),
    matches.map((m) => m.id),
  );
  const summary = await caseSummary(store, 'SIM-1');
  assert.equal(summary.files[0].matches.length, 2);
  const audit = await store.listAudit();
  const entry = audit.at(-1)!;
  assert.equal(entry.action, 'case.report');
  assert.equal(entry.subject, 'case:SIM-1');
  assert.equal(entry.details.sha256, written.sha256);
  assert.equal(
    entry.details.auditEntries,
    audit.length - 1,
    'the head the report states is the entry before',
  );
  assert.ok(html.includes(audit.at(-2)!.hash), 'the audit head hash is printed');
  assert.equal((await store.verifyAudit()).ok, true);

  reportWritten = { pdf, pdfSha256: written.pdfSha256, entryPdfSha256: entry.details.pdfSha256 };
});

test('the report prints to a PDF through Chromium', { skip: pdfUnavailable() ?? false }, () => {
  assert.ok(reportWritten, 'the case report was written');
  const bytes = readFileSync(reportWritten.pdf);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.equal(reportWritten.pdfSha256, sha256(reportWritten.pdf));
  assert.equal(reportWritten.entryPdfSha256, reportWritten.pdfSha256, 'the audit entry names the PDF');
});

test(
  'the CLI: case commands, a one-image report, a database search, and the refusals',
  { timeout: 180_000 },
  () => {
    const created = camprint([
      '--json',
      'case',
      'create',
      'CLI-1',
      '--title',
      'CLI case',
      '--examiner',
      'E. X.',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json.created, true);
    assert.deepEqual(created.json.case.cameras, []);
    const again = camprint(['case', 'create', 'CLI-1']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^camprint: case CLI-1 already exists .*\n$/);
    const update = camprint(['--json', 'case', 'create', 'CLI-1', '--update', '--question', 'Which camera?']);
    assert.equal(update.code, 0, update.stderr);
    assert.deepEqual([update.json.created, update.json.case.question], [false, 'Which camera?']);

    const copy = join(dir, 'copy.jpg');
    copyFileSync(B.natural[1], copy);
    const add = camprint(['--json', 'case', 'add', 'CLI-1', copy]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.json.added.length, 1);
    assert.equal(add.json.added[0].sha256, sha256(copy));
    const note = camprint(['--json', 'case', 'note', 'CLI-1', 'A note.']);
    assert.equal(note.code, 0, note.stderr);
    const show = camprint(['--json', 'case', 'show', 'CLI-1']);
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(
      [show.json.case.name, show.json.files.length, show.json.notes[0].text],
      ['CLI-1', 1, 'A note.'],
    );
    const list = camprint(['--json', 'case', 'list']);
    assert.deepEqual(
      list.json.cases.map((c: Json) => [c.name, c.files]),
      [
        ['CLI-1', 1],
        ['SIM-1', 2],
      ],
    );

    // The case names no camera: the whole database is searched; B is found.
    const out = join(dir, 'cli', 'r.html');
    const rep = camprint(['--json', 'report', 'CLI-1', '--out', out]);
    assert.equal(rep.code, 0, rep.stderr);
    assert.equal(rep.json.report, out);
    assert.equal(rep.json.sha256, sha256(out));
    assert.equal(rep.json.files, 1);
    assert.equal(rep.json.results[0].method, 'identify');
    assert.equal(rep.json.results[0].results[0].camera, B.camera);
    assert.equal(rep.json.results[0].results[0].match, true);
    assert.match(readFileSync(out, 'utf8'), /The database search/);

    // One image, no case.
    const one = camprint([
      '--json',
      'report',
      A.natural[1],
      '--camera',
      A.camera,
      '--out',
      join(dir, 'one.html'),
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.json.results[0].results[0].match, true);

    // Refusals: exit 2, one line naming what is wrong.
    const unknown = camprint(['report', 'no-such-case', '--out', join(dir, 'x.html')]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^camprint: no-such-case: neither a case in the store .* nor an image file\n$/,
    );
    const badRole = camprint(['case', 'add', 'CLI-1', copy, '--role', 'suspect']);
    assert.equal(badRole.code, 1);
    const noCase = camprint(['case', 'add', 'NOPE', copy]);
    assert.equal(noCase.code, 2);
    assert.match(noCase.stderr, /case NOPE does not exist/);
    const notImage = join(dir, 'notes.txt');
    appendFileSync(notImage, 'not an image');
    const bad = camprint(['case', 'add', 'CLI-1', notImage]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /notes\.txt: /);
    assert.equal(bad.stderr.trim().split('\n').length, 1);

    // Chromium absent: the HTML is written and recorded, the PDF refused with exit 2.
    const html = join(dir, 'nopdf.html');
    const nopdf = camprint(['report', 'CLI-1', '--out', html, '--pdf', join(dir, 'nopdf.pdf')], {
      CAMPRINT_CHROMIUM: join(dir, 'no-chromium'),
    });
    assert.equal(nopdf.code, 2);
    assert.match(
      nopdf.stderr,
      /cannot write .*nopdf\.pdf: .*no-chromium is not installed.*HTML report was written/,
    );
    assert.ok(existsSync(html));
    assert.ok(!existsSync(join(dir, 'nopdf.pdf')));

    // A file changed since intake: no report.
    appendFileSync(copy, Buffer.from([0]));
    const changed = camprint(['report', 'CLI-1', '--out', join(dir, 'changed.html')]);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /copy\.jpg: its SHA-256 is now [0-9a-f]{64}, not [0-9a-f]{64} as recorded/);
    assert.ok(!existsSync(join(dir, 'changed.html')));
  },
);
