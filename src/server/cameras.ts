/**
 * Cameras and their fingerprints: list, one (with its source images), the fingerprint as a
 * picture, and building one (a `fingerprint-build` job) from uploaded photos or a server folder.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fingerprintPng } from './render.js';
import { conflict, notFound } from './errors.js';
import { checkTree, resolveFolder } from './roots.js';
import { parseFields, receiveMultipart } from './uploads.js';
import {
  errors,
  ImageRecord,
  Json,
  JobAccepted,
  Name,
  NameParams,
  plain,
  type MultipartDoc,
} from './schemas.js';
import { InputError } from '../util/errors.js';

const CameraSummary = z
  .object({
    camera: z.string(),
    images: z.number(),
    width: z.number(),
    height: z.number(),
    model: z.string().nullable(),
    device: z.string().nullable(),
    meanPce: z.number().nullable(),
    quality: Json,
    createdAt: z.string(),
  })
  .meta({ id: 'CameraSummary' });

const CameraDetail = z.object({
  camera: z.string(),
  model: z.string().nullable(),
  device: z.string().nullable(),
  width: z.number(),
  height: z.number(),
  images: z.number(),
  quality: Json,
  params: Json,
  dataSha256: z.string(),
  digestSize: z.number(),
  createdAt: z.string(),
});

const BuildFields = z
  .object({
    camera: Name,
    model: z.string().min(1).max(200).optional(),
    device: z.string().min(1).max(200).optional(),
  })
  .strict();

const BuildJson = BuildFields.extend({
  /** A server folder (under a root) of images: flat-fields are best. */
  folder: z.string().min(1).max(4096),
}).strict();

const buildMultipart: MultipartDoc = {
  fields: BuildFields,
  files: { images: { min: 1, max: 500, description: 'the photos (flat-fields are best), all of one size' } },
};

/** Rendered pictures by fingerprint data and view (a new fingerprint has a new SHA-256). */
const pictures = new Map<string, Buffer>();

export const camerasRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.camprint;
  const { store } = ctx;

  app.get(
    '/cameras',
    {
      schema: {
        summary: 'the stored fingerprints (as `fingerprint list`)',
        tags: ['cameras'],
        response: { 200: z.object({ cameras: z.array(CameraSummary) }), ...errors() },
      },
    },
    async () => {
      const list = await store.listFingerprints();
      return plain({
        cameras: list.map((r) => ({
          camera: r.camera,
          images: r.images,
          width: r.width,
          height: r.height,
          model: r.model ?? null,
          device: r.device ?? null,
          meanPce: typeof r.quality.meanPce === 'number' ? r.quality.meanPce : null,
          quality: r.quality,
          createdAt: r.createdAt,
        })),
      });
    },
  );

  app.get(
    '/cameras/:name',
    {
      schema: {
        summary: "one camera's fingerprint record and the images it was built from",
        tags: ['cameras'],
        params: NameParams,
        response: {
          200: z.object({ camera: CameraDetail, sources: z.array(ImageRecord) }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      const r = await store.getFingerprintRecord(name);
      if (!r) throw notFound(`no fingerprint named ${JSON.stringify(name)}`);
      const sources = await store.listFingerprintSources(name);
      return plain({ camera: { ...r, model: r.model ?? null, device: r.device ?? null }, sources });
    },
  );

  app.get(
    '/cameras/:name/fingerprint.png',
    {
      schema: {
        summary: 'the fingerprint as a picture: its centre 256×256 (tile) or its log-magnitude spectrum',
        tags: ['cameras'],
        params: NameParams,
        querystring: z.object({ view: z.enum(['tile', 'spectrum']).default('tile') }),
        produces: ['image/png'],
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { view } = request.query;
      const r = await store.getFingerprintRecord(name);
      if (!r) throw notFound(`no fingerprint named ${JSON.stringify(name)}`);
      const key = `${r.dataSha256}:${view}`;
      let png = pictures.get(key);
      if (!png) {
        const fp = await store.getFingerprint(name);
        if (!fp) throw notFound(`no fingerprint named ${JSON.stringify(name)}`);
        png = await fingerprintPng(fp.data, fp.record.height, fp.record.width, view);
        if (pictures.size >= 64) pictures.delete(pictures.keys().next().value!);
        pictures.set(key, png);
      }
      return reply.type('image/png').header('cache-control', 'no-cache').send(png);
    },
  );

  app.post(
    '/cameras',
    {
      schema: {
        summary:
          "build a camera's fingerprint (a fingerprint-build job) from uploaded photos or a server folder",
        description:
          "multipart/form-data: fields camera, model?, device?, files `images` (≥ 1); or JSON {camera, model?, device?, folder} with a folder under the server's roots. Answers 202 {job}; the job's events come on GET /api/events.",
        tags: ['cameras'],
        body: BuildJson.nullish(),
        response: { 202: JobAccepted, ...errors(400, 409, 413) },
      },
      config: { multipart: buildMultipart },
    },
    async (request, reply) => {
      let params: { camera: string; model?: string; device?: string; images: string[] };
      if (request.isMultipart()) {
        const { files, fields } = await receiveMultipart(
          request,
          { dir: ctx.uploadsDir, maxBytes: ctx.maxUploadBytes, maxPixels: ctx.maxPixels },
          { files: { images: buildMultipart.files.images }, requireImage: true },
        );
        params = { ...parseFields(BuildFields, fields), images: files.map((f) => f.path) };
      } else {
        if (!request.body)
          throw new InputError('expected JSON {camera, folder} or a multipart upload of images');
        const { folder, ...rest } = request.body;
        const dir = resolveFolder(folder, ctx.roots, 'folder');
        if (checkTree(dir, ctx.roots, 'folder') === 0)
          throw new InputError(`folder: ${folder}: no images found (JPEG, PNG, TIFF or WebP)`);
        params = { ...rest, images: [dir] };
      }
      if (await ctx.jobs.active('fingerprint-build', params.camera))
        throw conflict(`a fingerprint of ${params.camera} is being built already`);
      const job = await ctx.jobs.submit('fingerprint-build', params.camera, {
        ...params,
        maxPixels: ctx.maxPixels,
      });
      return reply.code(202).send({ job });
    },
  );
};
