/** `camprint case create|add|note|show|list`: an examiner's cases (cases/). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { fmt, table } from '../context.js';
import { addFiles, addNote, caseSummary, createCase, openCase } from '../../cases/index.js';
import { CASE_FILE_ROLES, type CaseFileRole, type CaseRecord } from '../../store/index.js';
import { UsageError } from '../../util/errors.js';

function role(value: unknown): CaseFileRole {
  if (!(CASE_FILE_ROLES as readonly unknown[]).includes(value)) {
    throw new UsageError(
      `Expected ${CASE_FILE_ROLES.join(' or ')} for --role but received ${JSON.stringify(value)}`,
    );
  }
  return value as CaseFileRole;
}

function describe(k: CaseRecord): string[] {
  return [
    `case ${k.name}${k.title ? `: ${k.title}` : ''}`,
    `  question    ${k.question ? k.question.replace(/\n/g, '\n              ') : '—'}`,
    `  examiner    ${k.examiner || '—'}`,
    `  cameras     ${k.cameras.length ? k.cameras.join(', ') : 'all in the store (identify)'}`,
    `  created     ${k.createdAt}; changed ${k.updatedAt}`,
  ];
}

export function registerCase(program: Command, ctx: () => Context): void {
  const cmd = program
    .command('case')
    .description("an examiner's cases: the question, the files (hashed at intake), notes; see `report`");

  cmd
    .command('create <name>')
    .description('open a new case')
    .option('--title <text>', 'a one-line title')
    .option('--question <text>', 'the question asked, in the requester’s words')
    .option('--examiner <name>', 'who examines it')
    .option('--camera <names...>', 'the cameras (fingerprints) to compare with; none: the whole database')
    .option('--update', 'change the given fields of an existing case instead of refusing it')
    .action(async (name: string, o: Record<string, unknown>) => {
      const c = ctx();
      const store = await c.openStore();
      const { record, created } = await createCase(
        store,
        {
          name,
          title: o.title as string | undefined,
          question: o.question as string | undefined,
          examiner: o.examiner as string | undefined,
          cameras: o.camera as string[] | undefined,
        },
        { update: Boolean(o.update) },
      );
      const missing: string[] = [];
      for (const camera of record.cameras) {
        if ((await store.getFingerprintRecord(camera)) === undefined) missing.push(camera);
      }
      if (missing.length > 0) {
        c.log(`note: no fingerprint named ${missing.join(', ')} yet; \`camprint report\` will need one`);
      }
      c.output({ case: record, created }, () =>
        [`${created ? 'created' : 'updated'}`, ...describe(record)].join('\n'),
      );
    });

  cmd
    .command('add <name> <paths...>')
    .description('add image files (or the images in folders) to a case, each hashed at intake')
    .option('--role <role>', `what they are to the case: ${CASE_FILE_ROLES.join(' or ')}`, 'questioned')
    .action(async (name: string, paths: string[], o: Record<string, unknown>) => {
      const c = ctx();
      const r = role(o.role);
      const store = await c.openStore();
      await openCase(store, name);
      let bar: ReturnType<Context['progress']> | undefined;
      const result = await addFiles(store, name, paths, r, {
        onProgress: (done, total, file) => {
          bar ??= c.progress('hashing', total);
          bar.tick(done, file);
          if (done === total) bar.stop();
        },
      });
      c.output({ case: name, role: r, added: result.added, present: result.present }, () =>
        [
          `case ${name}: ${result.added.length} file(s) added as ${r}` +
            (result.present.length
              ? `, ${result.present.length} already in the case (left as they were)`
              : ''),
          ...result.added.map((f) => `  ${f.sha256}  ${f.path}`),
        ].join('\n'),
      );
    });

  cmd
    .command('note <name> <text>')
    .description('add a dated note to a case (audited)')
    .action(async (name: string, text: string) => {
      const c = ctx();
      const store = await c.openStore();
      const note = await addNote(store, name, text);
      c.output({ note }, () => `case ${name}: note ${note.id} added at ${note.createdAt} by ${note.actor}`);
    });

  cmd
    .command('show <name>')
    .description("a case's fields, files (with their recorded comparisons) and notes")
    .action(async (name: string) => {
      const c = ctx();
      const store = await c.openStore();
      const s = await caseSummary(store, name);
      c.output(s, () => {
        const lines = describe(s.case);
        lines.push(`  files       ${s.files.length}`);
        for (const f of s.files) {
          const matched = [...new Set(f.matches.filter((m) => m.decision === 'match').map((m) => m.camera))];
          lines.push(
            `    ${f.role.padEnd(10)}  ${f.sha256.slice(0, 16)}…  ${`${f.width}×${f.height}`.padStart(9)}  ` +
              `${f.matches.length} comparison(s), matched ${matched.join(', ') || '—'}`,
            `                ${f.path}`,
          );
        }
        for (const n of s.notes) lines.push(`  note ${n.id}  ${n.createdAt} ${n.actor}: ${n.text}`);
        return lines.join('\n');
      });
    });

  cmd
    .command('list')
    .description('every case, by name')
    .action(async () => {
      const c = ctx();
      const store = await c.openStore();
      const cases = await store.listCases();
      const rows: (CaseRecord & { files: number })[] = [];
      for (const k of cases) rows.push({ ...k, files: (await store.listCaseFiles(k.name)).length });
      c.output({ cases: rows }, () =>
        rows.length === 0
          ? 'no cases (`camprint case create <name>`)'
          : table([
              ['case', 'title', 'examiner', 'files', 'changed'],
              ...rows.map((k) => [k.name, k.title || '—', k.examiner || '—', fmt(k.files, 0), k.updatedAt]),
            ]),
      );
    });
}
