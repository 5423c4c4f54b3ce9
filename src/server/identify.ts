/**
 * POST /api/identify (which stored camera took this photo?) and POST /api/inspect (its header
 * and defect evidence), on an uploaded photo: the same services as `identify` and `inspect`,
 * with their trail in the store.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { identifyFile } from '../search/index.js';
import { identifyAnswer, noneComparableError, recordMatches, requireComparable } from '../search/answer.js';
import { inspectAndRecord } from '../evidence/index.js';
import { classifyFile } from '../dl/index.js';
import { InputError } from '../util/errors.js';
import { loadStoredModel } from './loaded-models.js';
import { parseFields, receiveMultipart, type Upload } from './uploads.js';
import { errors, Json, Name, plain, type MultipartDoc } from './schemas.js';

/** Half-width of the correlation surface returned around the best candidate's peak (21×21). */
const SURFACE_RADIUS = 10;

const IdentifyFields = z
  .object({
    top: z.coerce.number().int().min(1).max(100).default(5),
    model: Name.optional(),
  })
  .strict();

const identifyMultipart: MultipartDoc = {
  fields: IdentifyFields,
  files: { image: { min: 1, max: 1, description: 'the photo' } },
};
const inspectMultipart: MultipartDoc = {
  fields: z.object({}).strict(),
  files: {
    image: { min: 1, max: 1, description: 'the file (a damaged JPEG is analysed as far as it can be)' },
  },
};

const Candidate = z.looseObject({
  camera: z.string(),
  pce: z.number().nullable(),
  match: z.boolean(),
  comparable: z.boolean(),
  digestScore: z.number().nullable().optional(),
});

const Inspect = z.looseObject({ file: z.string(), sha256: z.string() }).meta({ id: 'InspectResult' });

const IdentifyAnswer = z.object({
  file: z.string(),
  sha256: z.string(),
  candidates: z.array(Candidate),
  searched: z.number(),
  search: Json,
  seconds: z.number(),
  inspect: Inspect,
  surface: z
    .object({
      camera: z.string(),
      size: z.number(),
      values: z.array(z.number().nullable()),
    })
    .optional(),
  classification: z
    .object({
      model: z.string(),
      top: z.array(z.object({ class: z.string(), probability: z.number() })),
    })
    .optional(),
});

export const identifyRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.camprint;
  const { store } = ctx;
  const limits = { dir: ctx.uploadsDir, maxBytes: ctx.maxUploadBytes, maxPixels: ctx.maxPixels };

  const one = async (
    request: Parameters<typeof receiveMultipart>[0],
    requireImage: boolean,
  ): Promise<{ upload: Upload; fields: Record<string, string> }> => {
    const { files, fields } = await receiveMultipart(request, limits, {
      files: { image: { min: 1, max: 1 } },
      requireImage,
    });
    return { upload: files[0], fields };
  };

  app.post(
    '/identify',
    {
      schema: {
        summary:
          'which stored camera took this photo? (as `identify --json`, with inspect, surface and classification)',
        description:
          "multipart/form-data: file `image`; fields `top` (5), `model` (a trained model: adds its top-5). The candidates are ranked by the digest search and tested by PCE; `surface` is the correlation (in σ units) in the 21×21 window around the best candidate's peak, row-major.",
        tags: ['identify'],
        response: { 200: IdentifyAnswer, ...errors(400, 404, 413) },
      },
      config: { multipart: identifyMultipart },
    },
    async (request) => {
      const { upload, fields } = await one(request, true);
      const { top, model } = parseFields(IdentifyFields, fields);
      if ((await store.listFingerprints()).length === 0)
        throw new InputError('no fingerprints in the store: build one first (POST /api/cameras)');
      const report = await identifyFile(store, upload.path, {
        maxPixels: ctx.maxPixels,
        surfaceRadius: SURFACE_RADIUS,
      });
      if (report.results.length === 0) throw await noneComparableError(store, upload.path, report);
      requireComparable(upload.path, report);
      await recordMatches(store, report, {
        command: 'identify',
        method: 'digest',
        via: 'server',
        upload: upload.name,
      });
      const answer = identifyAnswer(report, top);
      const inspect = await inspectAndRecord(store, upload.path, { maxPixels: ctx.maxPixels });
      const best = report.results.find((r) => r.comparable);
      const surface = best?.surface
        ? { camera: best.camera, size: 2 * best.surface.radius + 1, values: best.surface.values }
        : undefined;
      let classification;
      if (model) {
        // The upload's pixel count was checked against the server's limit from its header.
        const c = await classifyFile(await loadStoredModel(store, model), upload.path, { top: 5 });
        classification = { model, top: c.top };
      }
      return plain({
        file: upload.name,
        ...answer,
        inspect: { ...inspect, file: upload.name },
        ...(surface ? { surface } : {}),
        ...(classification ? { classification } : {}),
      });
    },
  );

  app.post(
    '/inspect',
    {
      schema: {
        summary: 'header and defect evidence of a photo (as `inspect --json`)',
        description: 'multipart/form-data: file `image`.',
        tags: ['identify'],
        response: { 200: Inspect, ...errors(400, 413) },
      },
      config: { multipart: inspectMultipart },
    },
    async (request) => {
      const { upload } = await one(request, false);
      const r = await inspectAndRecord(store, upload.path, { maxPixels: ctx.maxPixels });
      return plain({ ...r, file: upload.name });
    },
  );
};
