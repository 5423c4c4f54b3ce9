/**
 * Cases: list, open one, its files (uploaded, hashed at intake), notes, and its forensic report
 * (HTML, PDF through Chromium) — the services of `camprint case` and `camprint report`.
 * An uploaded file is kept content-addressed in uploads/ and linked into the case's folder
 * (<data-dir>/cases/<case>/) under the name the client gave it, so that the case and its report
 * name the file as the examiner knows it.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addFiles, addNote, caseSummary, createCase } from '../cases/index.js';
import { writeReport } from '../report/index.js';
import { CASE_FILE_ROLES, type Store } from '../store/index.js';
import { conflict, notFound } from './errors.js';
import { parseFields, receiveMultipart, type Upload } from './uploads.js';
import { errors, Json, Name, NameParams, plain, type MultipartDoc } from './schemas.js';

const Case = z
  .object({
    name: z.string(),
    title: z.string(),
    question: z.string(),
    examiner: z.string(),
    cameras: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CaseRecord' });

const CaseFile = z
  .object({
    case: z.string(),
    sha256: z.string(),
    path: z.string(),
    role: z.enum(CASE_FILE_ROLES),
    width: z.number(),
    height: z.number(),
    format: z.string(),
    addedAt: z.string(),
  })
  .meta({ id: 'CaseFile' });

const CaseNote = z
  .object({ id: z.number(), case: z.string(), text: z.string(), actor: z.string(), createdAt: z.string() })
  .meta({ id: 'CaseNote' });

const MatchRecord = z
  .object({
    id: z.number(),
    imageSha256: z.string(),
    imagePath: z.string(),
    camera: z.string(),
    pce: z.number().nullable(),
    ncc: z.number().nullable(),
    pFalseAlarm: z.number().nullable(),
    shiftY: z.number(),
    shiftX: z.number(),
    rotation: z.number(),
    decision: z.string(),
    threshold: z.number(),
    params: Json,
    createdAt: z.string(),
  })
  .meta({ id: 'MatchRecord' });

const CreateBody = z
  .object({
    name: Name,
    title: z.string().max(500).optional(),
    question: z.string().max(20_000).optional(),
    examiner: z.string().max(500).optional(),
    cameras: z.array(Name).max(10_000).optional(),
  })
  .strict();

const FileFields = z.object({ role: z.enum(CASE_FILE_ROLES).default('questioned') }).strict();
const filesMultipart: MultipartDoc = {
  fields: FileFields,
  files: { files: { min: 1, max: 200, description: 'the photos (questioned or reference material)' } },
};

async function needCase(store: Store, name: string): Promise<void> {
  if ((await store.getCase(name)) === undefined) throw notFound(`no case named ${JSON.stringify(name)}`);
}

/** A name safe as a file name in the case's folder (no leading dot, no separators). */
function safeName(name: string): string {
  const clean = name.replace(/[/\\:]/g, '_').replace(/^\.+/, '_');
  return clean.length > 0 ? clean : 'file';
}

/**
 * The upload linked into the case's folder under the client's name (a hard link to the
 * content-addressed file, a copy where links fail); a name taken by other bytes gets the
 * SHA-256's first 12 digits in front.
 */
function caseCopy(caseDir: string, upload: Upload): string {
  mkdirSync(caseDir, { recursive: true });
  let name = safeName(upload.name);
  if (extname(name) === '') name += extname(upload.path);
  let path = join(caseDir, name);
  if (existsSync(path) && !readFileSync(path).equals(readFileSync(upload.path)))
    path = join(caseDir, `${upload.sha256.slice(0, 12)}-${name}`);
  if (!existsSync(path)) {
    try {
      linkSync(upload.path, path);
    } catch {
      copyFileSync(upload.path, path);
    }
  }
  return path;
}

export const casesRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.camprint;
  const { store } = ctx;

  app.get(
    '/cases',
    {
      schema: {
        summary: 'the cases',
        tags: ['cases'],
        response: { 200: z.object({ cases: z.array(Case) }), ...errors() },
      },
    },
    async () => plain({ cases: await store.listCases() }),
  );

  app.post(
    '/cases',
    {
      schema: {
        summary: 'open a case (409 when the name is taken)',
        tags: ['cases'],
        body: CreateBody,
        response: { 201: z.object({ case: Case }), ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      if ((await store.getCase(request.body.name)) !== undefined)
        throw conflict(`a case named ${request.body.name} exists`);
      const { record } = await createCase(store, request.body);
      return reply.code(201).send(plain({ case: record }));
    },
  );

  app.get(
    '/cases/:name',
    {
      schema: {
        summary: 'a case: its files, notes and the comparisons recorded for its files',
        tags: ['cases'],
        params: NameParams,
        response: {
          200: z.object({
            case: Case,
            files: z.array(CaseFile),
            notes: z.array(CaseNote),
            matches: z.array(MatchRecord),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      await needCase(store, request.params.name);
      const s = await caseSummary(store, request.params.name);
      const matches = new Map<number, unknown>();
      for (const f of s.files) for (const m of f.matches) matches.set(m.id, m);
      return plain({
        case: s.case,
        files: s.files.map(({ matches: _m, ...f }) => {
          void _m;
          return f;
        }),
        notes: s.notes,
        matches: [...matches.values()] as z.output<typeof MatchRecord>[],
      });
    },
  );

  app.post(
    '/cases/:name/files',
    {
      schema: {
        summary: 'add uploaded files to a case (each hashed at intake)',
        description:
          'multipart/form-data: files `files` (≥ 1), field `role` (questioned | reference; questioned by default).',
        tags: ['cases'],
        params: NameParams,
        response: { 200: z.object({ files: z.array(CaseFile) }), ...errors(400, 404, 413) },
      },
      config: { multipart: filesMultipart },
    },
    async (request) => {
      const { name } = request.params;
      await needCase(store, name);
      const { files, fields } = await receiveMultipart(
        request,
        { dir: ctx.uploadsDir, maxBytes: ctx.maxUploadBytes, maxPixels: ctx.maxPixels },
        { files: { files: filesMultipart.files.files }, requireImage: true },
      );
      const { role } = parseFields(FileFields, fields);
      const caseDir = join(ctx.dataDir, 'cases', name);
      const paths = files.map((f) => {
        const path = caseCopy(caseDir, f);
        request.uploadNames?.set(path, f.name);
        return path;
      });
      const r = await addFiles(store, name, paths, role);
      const bySha = new Map([...r.added, ...r.present].map((f) => [f.sha256, f]));
      return plain({
        files: files.map((f) => bySha.get(f.sha256)!).filter((f, i, all) => all.indexOf(f) === i),
      });
    },
  );

  app.post(
    '/cases/:name/notes',
    {
      schema: {
        summary: "add a note to a case's file",
        tags: ['cases'],
        params: NameParams,
        body: z.object({ text: z.string().min(1).max(20_000) }).strict(),
        response: { 201: z.object({ note: CaseNote }), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      await needCase(store, request.params.name);
      const note = await addNote(store, request.params.name, request.body.text);
      return reply.code(201).send(plain({ note }));
    },
  );

  for (const kind of ['html', 'pdf'] as const) {
    app.get(
      `/cases/:name/report.${kind}`,
      {
        schema: {
          summary: `the case's forensic report as ${kind.toUpperCase()} (as \`camprint report\`; made afresh, audited)`,
          description:
            kind === 'pdf'
              ? 'Printed by Chromium (/usr/bin/chromium); 400 saying so where it is not installed.'
              : 'Self-contained HTML (inline SVG figures).',
          tags: ['cases'],
          params: NameParams,
          produces: [kind === 'pdf' ? 'application/pdf' : 'text/html'],
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        await needCase(store, name);
        const dir = join(ctx.dataDir, 'reports', name);
        mkdirSync(dir, { recursive: true });
        const r = await writeReport(store, name, {
          out: join(dir, 'report.html'),
          ...(kind === 'pdf' ? { pdf: join(dir, 'report.pdf') } : {}),
          maxPixels: ctx.maxPixels,
        });
        const file = kind === 'pdf' ? r.pdf! : r.report;
        return reply
          .type(kind === 'pdf' ? 'application/pdf' : 'text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('content-disposition', `inline; filename="${name.replace(/[^\w.-]/g, '_')}-report.${kind}"`)
          .send(readFileSync(file));
      },
    );
  }
};
