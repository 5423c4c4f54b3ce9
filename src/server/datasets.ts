/**
 * Deep-learning data sets: list, one (with its counts per class), example crops as a picture,
 * and making one (a `dataset-create` job) from a server folder of class folders.
 */
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLASSES_FROM, INPUT_KINDS, ONLY, SPLIT_BY, readManifest } from '../dl/dataset/index.js';
import { readClassCrops } from '../dl/dataset/read.js';
import type { DatasetRecord, Store } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { cropsPng } from './render.js';
import { conflict, notFound } from './errors.js';
import { checkTree, resolveFolder } from './roots.js';
import { errors, Json, JobAccepted, Name, NameParams, plain } from './schemas.js';

const Counts = z.object({ train: z.number(), val: z.number(), test: z.number() });

const Dataset = z
  .object({
    name: z.string(),
    path: z.string(),
    manifestSha256: z.string(),
    input: z.string(),
    crop: z.number(),
    classes: z.array(z.string()),
    counts: Counts,
    images: Counts,
    params: Json,
    createdAt: z.string(),
  })
  .meta({ id: 'DatasetRecord' });

const CreateBody = z
  .object({
    name: Name,
    /** A server folder (under a root) whose sub-folders are the classes. */
    folder: z.string().min(1).max(4096),
    input: z.enum(INPUT_KINDS).optional(),
    crop: z.number().int().min(16).max(8192).optional(),
    cropsPerImage: z.number().int().min(1).max(100_000).optional(),
    split: z.string().max(40).optional(),
    splitBy: z.enum(SPLIT_BY).optional(),
    classesFrom: z.enum(CLASSES_FROM).optional(),
    only: z.enum(ONLY).optional(),
    seed: z.number().int().nonnegative().optional(),
    minImages: z.number().int().positive().optional(),
    maxImages: z.number().int().positive().optional(),
    overwrite: z.boolean().optional(),
  })
  .strict();

async function datasetRecord(store: Store, name: string): Promise<DatasetRecord> {
  const ds = await store.getDataset(name);
  if (!ds) throw notFound(`no data set named ${JSON.stringify(name)}`);
  return ds;
}

export const datasetsRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.camprint;
  const { store } = ctx;

  app.get(
    '/datasets',
    {
      schema: {
        summary: 'the data sets',
        tags: ['datasets'],
        response: { 200: z.object({ datasets: z.array(Dataset) }), ...errors() },
      },
    },
    async () => plain({ datasets: await store.listDatasets() }),
  );

  app.get(
    '/datasets/:name',
    {
      schema: {
        summary: 'one data set, with its crops (and photos) per class and split',
        tags: ['datasets'],
        params: NameParams,
        response: {
          200: z.object({
            dataset: Dataset,
            perClass: z.array(
              z.object({
                class: z.string(),
                train: z.number(),
                val: z.number(),
                test: z.number(),
                images: Counts,
              }),
            ),
            skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const ds = await datasetRecord(store, request.params.name);
      const m = readManifest(ds.path);
      const perClass = m.classes.map((c) => ({
        class: c,
        train: 0,
        val: 0,
        test: 0,
        images: { train: 0, val: 0, test: 0 },
      }));
      for (const s of m.sources) {
        perClass[s.class][s.split] += s.crops;
        perClass[s.class].images[s.split]++;
      }
      return plain({ dataset: ds, perClass, skipped: m.skipped });
    },
  );

  app.get(
    '/datasets/:name/examples.png',
    {
      schema: {
        summary: 'example crops of one class (each contrast-stretched), as a PNG grid',
        tags: ['datasets'],
        params: NameParams,
        querystring: z.object({
          class: z.string().min(1).max(200).optional(),
          n: z.coerce.number().int().min(1).max(64).default(8),
        }),
        produces: ['image/png'],
      },
    },
    async (request, reply) => {
      const ds = await datasetRecord(store, request.params.name);
      const m = readManifest(ds.path);
      const cls = request.query.class ?? m.classes[0];
      const label = m.classes.indexOf(cls);
      if (label < 0)
        throw new InputError(
          `class: ${JSON.stringify(cls)} is not a class of ${ds.name} (${m.classes.join(', ')})`,
        );
      const crops = readClassCrops(ds.path, label, request.query.n, m);
      const png = await cropsPng(crops, m.channels, m.crop);
      return reply.type('image/png').header('cache-control', 'no-cache').send(png);
    },
  );

  app.post(
    '/datasets',
    {
      schema: {
        summary: 'make a data set (a dataset-create job) from a server folder of class folders',
        description:
          'As `camprint dataset create`: each sub-folder of `folder` is a class. Written to <data-dir>/datasets/<name>; an interrupted build resumes when submitted again. Answers 202 {job}.',
        tags: ['datasets'],
        body: CreateBody,
        response: { 202: JobAccepted, ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      const { name, folder, ...options } = request.body;
      const dir = resolveFolder(folder, ctx.roots, 'folder');
      checkTree(dir, ctx.roots, 'folder');
      if (await ctx.jobs.active('dataset-create', name))
        throw conflict(`data set ${name} is being made already`);
      const job = await ctx.jobs.submit('dataset-create', name, {
        name,
        dir,
        out: join(ctx.dataDir, 'datasets', name),
        maxPixels: ctx.maxPixels,
        ...options,
      });
      return reply.code(202).send({ job });
    },
  );
};
