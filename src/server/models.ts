/**
 * Networks and trained models: the registered networks, the models (with their curves), training
 * one (a `train` job whose epoch points come on the event stream), stopping and resuming it,
 * evaluating it (an `evaluate` job) and classifying uploaded photos with it.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkEngine, classifyFile, listModelsChecked, listNetworks, type NetworkList } from '../dl/index.js';
import { SPLITS } from '../dl/dataset/index.js';
import { MODEL_STATUSES, type ModelRecord } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { conflict, notFound } from './errors.js';
import { loadStoredModel, modelRecord } from './loaded-models.js';
import { parseFields, receiveMultipart } from './uploads.js';
import { errors, Json, JobAccepted, Name, NameParams, plain, type MultipartDoc } from './schemas.js';

const ModelSummary = z
  .object({
    name: z.string(),
    path: z.string(),
    dataset: z.string().nullable(),
    network: z.string(),
    /** interrupted: the process that trained it was killed; resume it (POST /api/models/:name/resume). */
    status: z.enum(MODEL_STATUSES),
    config: Json,
    epochs: z.number(),
    bestValAccuracy: z.number().nullable(),
    metrics: Json.nullable(),
    error: z.string().nullable(),
    /** The process that trains (or last trained) it, `host:pid:start`; null when unknown. */
    owner: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ModelSummary' });

const Model = ModelSummary.extend({
  /** One point per epoch: epoch, loss, accuracy, valLoss, valAccuracy, lr, imagesPerSecond, seconds. */
  curves: z.array(Json),
}).meta({ id: 'ModelRecord' });

const SettingKey = z.string().regex(/^[a-z_][a-z0-9_]*$/);
const SettingValue = z.union([z.string().max(200), z.number(), z.boolean()]);
/** Engine settings the request may not set: the server chooses where data and models live. */
const RESERVED = new Set(['dataset', 'out', 'network']);

/** The training request, with the defaults of `camprint train`. */
const TrainBody = z
  .object({
    name: Name,
    /** A data set's name (GET /api/datasets). */
    dataset: Name,
    network: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
      .default('camnet'),
    epochs: z.number().int().min(1).max(100_000).default(30),
    lr: z.number().positive().finite().default(0.001),
    batch: z.number().int().min(1).max(65_536).default(64),
    optimizer: z.enum(['sgd', 'adam', 'adamw']).default('adamw'),
    policy: z.enum(['fixed', 'step', 'exp', 'poly', 'cosine']).default('cosine'),
    weightDecay: z.number().nonnegative().finite().default(0.0005),
    seed: z.number().int().nonnegative().default(1),
    checkpointEvery: z.number().int().min(1).default(5),
    /** Any other engine setting (engine/config.py), e.g. {"crop": 64}. */
    settings: z.record(SettingKey, SettingValue).default({}),
  })
  .strict();

const ResumeBody = z
  .object({
    /** Train to this many epochs in all (default: as first asked). */
    epochs: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

const EvaluateBody = z
  .object({
    split: z.enum(SPLITS).default('test'),
    /** A data set's name (default: the one the model was trained on). */
    dataset: Name.optional(),
  })
  .strict();

const ClassifyFields = z.object({ top: z.coerce.number().int().min(1).max(100).default(5) }).strict();
const classifyMultipart: MultipartDoc = {
  fields: ClassifyFields,
  files: { images: { min: 1, max: 100, description: 'the photos' } },
};

function summary(m: ModelRecord): Omit<ModelRecord, 'curves'> {
  const { curves: _curves, ...rest } = m;
  void _curves;
  return rest;
}

export const modelsRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.camprint;
  const { store } = ctx;
  let networks: Promise<NetworkList> | undefined;
  let engineChecked = false;
  const needEngine = (): void => {
    if (!engineChecked) checkEngine(); // InputError saying how to install PyTorch
    engineChecked = true;
  };

  /** The training job running (or queued) for a model, if any. */
  const trainingJob = (name: string) => ctx.jobs.active('train', name);

  app.get(
    '/networks',
    {
      schema: {
        summary: 'the networks the training engine has registered',
        tags: ['models'],
        response: {
          200: z.looseObject({
            networks: z.array(z.looseObject({ name: z.string(), description: z.string() })),
          }),
          ...errors(400),
        },
      },
    },
    async () => {
      networks ??= listNetworks();
      networks.catch(() => (networks = undefined));
      const list = await networks;
      return plain(list);
    },
  );

  app.get(
    '/models',
    {
      schema: {
        summary: 'the models (without their curves)',
        tags: ['models'],
        response: { 200: z.object({ models: z.array(ModelSummary) }), ...errors() },
      },
    },
    async () => plain({ models: (await listModelsChecked(store)).map(summary) }),
  );

  app.get(
    '/models/:name',
    {
      schema: {
        summary: 'one model with its curves (one point per epoch) and metrics',
        tags: ['models'],
        params: NameParams,
        response: { 200: z.object({ model: Model }), ...errors(400, 404) },
      },
    },
    async (request) => plain({ model: await modelRecord(store, request.params.name) }),
  );

  app.post(
    '/models',
    {
      schema: {
        summary: 'train a network on a data set (a train job; epoch points come as `model` events)',
        description:
          'Defaults as `camprint train`. The model folder is <data-dir>/models/<name>. Answers 202 {job}; 409 when the name is taken.',
        tags: ['models'],
        body: TrainBody,
        response: { 202: JobAccepted, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const ds = await store.getDataset(b.dataset);
      if (!ds) throw notFound(`no data set named ${JSON.stringify(b.dataset)}`);
      const out = join(ctx.dataDir, 'models', b.name);
      if (
        (await trainingJob(b.name)) ||
        (await store.getModel(b.name)) ||
        existsSync(join(out, 'checkpoints'))
      )
        throw conflict(
          `a model named ${b.name} exists; resume it (POST /api/models/${b.name}/resume) or choose another name`,
        );
      for (const k of Object.keys(b.settings))
        if (RESERVED.has(k)) throw new InputError(`settings.${k}: set by the server, not by the request`);
      needEngine();
      const job = await ctx.jobs.submit(
        'train',
        b.name,
        {
          name: b.name,
          dataset: ds.path,
          out,
          network: b.network,
          settings: {
            ...b.settings,
            epochs: b.epochs,
            lr: b.lr,
            batch_size: b.batch,
            optimizer: b.optimizer,
            lr_policy: b.policy,
            weight_decay: b.weightDecay,
            seed: b.seed,
            checkpoint_every: b.checkpointEvery,
          },
          resume: false,
        },
        1, // a failed training is not retried: resume it
      );
      return reply.code(202).send({ job });
    },
  );

  app.post(
    '/models/:name/stop',
    {
      schema: {
        summary: 'stop a training: the job is cancelled, the last checkpoint kept (status stopped)',
        tags: ['models'],
        params: NameParams,
        response: { 200: z.object({ stopped: z.literal(true) }), ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const job = await trainingJob(name);
      if (!job) {
        await modelRecord(store, name); // 404 for an unknown model
        throw conflict(`model ${name} is not training`);
      }
      if (!(await ctx.queue.cancel(job.id))) throw conflict(`model ${name} is not training`);
      return { stopped: true as const };
    },
  );

  app.post(
    '/models/:name/resume',
    {
      schema: {
        summary: 'continue a stopped, interrupted or failed training from its last checkpoint (a train job)',
        tags: ['models'],
        params: NameParams,
        body: ResumeBody.nullish(),
        response: { 202: JobAccepted, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const m = await modelRecord(store, name);
      if (await trainingJob(name)) throw conflict(`model ${name} is training`);
      if (!existsSync(join(m.path, 'checkpoints', 'last.pt')))
        throw conflict(`model ${name}: nothing to resume (no checkpoint)`);
      const { dataset, out, network, ...settings } = m.config as Record<string, unknown>;
      if (typeof dataset !== 'string' || typeof network !== 'string')
        throw new InputError(`model ${name}: its record holds no training config to resume`);
      void out;
      const epochs = request.body?.epochs;
      needEngine();
      const job = await ctx.jobs.submit(
        'train',
        name,
        {
          name,
          dataset,
          out: m.path,
          network,
          settings: { ...settings, ...(epochs ? { epochs } : {}) },
          resume: true,
        },
        1,
      );
      return reply.code(202).send({ job });
    },
  );

  app.post(
    '/models/:name/evaluate',
    {
      schema: {
        summary:
          "evaluate a model on a data set split (an evaluate job); stored as the model's metrics[split]",
        tags: ['models'],
        params: NameParams,
        body: EvaluateBody.nullish(),
        response: { 202: JobAccepted, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const m = await modelRecord(store, name);
      const body = EvaluateBody.parse(request.body ?? {});
      let dataset: string;
      if (body.dataset) {
        const ds = await store.getDataset(body.dataset);
        if (!ds) throw notFound(`no data set named ${JSON.stringify(body.dataset)}`);
        dataset = ds.path;
      } else if (m.dataset && isAbsolute(m.dataset)) dataset = m.dataset;
      else {
        const ds = m.dataset ? await store.getDataset(m.dataset) : undefined;
        if (!ds) throw new InputError(`model ${name}: its data set is unknown; name one (dataset)`);
        dataset = ds.path;
      }
      if (!existsSync(join(m.path, 'model.onnx')))
        throw conflict(`model ${name}: no trained network yet (status ${m.status})`);
      const job = await ctx.jobs.submit('evaluate', name, {
        model: m.path,
        dataset,
        split: body.split,
        name,
      });
      return reply.code(202).send({ job });
    },
  );

  app.post(
    '/models/:name/classify',
    {
      schema: {
        summary: 'top classes of uploaded photos (as `classify --json`)',
        description: 'multipart/form-data: files `images` (≥ 1), field `top` (5).',
        tags: ['models'],
        params: NameParams,
        response: {
          200: z.object({
            results: z.array(
              z.object({
                file: z.string(),
                sha256: z.string(),
                crops: z.number(),
                top: z.array(z.object({ class: z.string(), probability: z.number() })),
              }),
            ),
          }),
          ...errors(400, 404, 413),
        },
      },
      config: { multipart: classifyMultipart },
    },
    async (request) => {
      const model = await loadStoredModel(store, request.params.name);
      const { files, fields } = await receiveMultipart(
        request,
        { dir: ctx.uploadsDir, maxBytes: ctx.maxUploadBytes, maxPixels: ctx.maxPixels },
        { files: { images: classifyMultipart.files.images }, requireImage: true },
      );
      const { top } = parseFields(ClassifyFields, fields);
      const results = [];
      for (const f of files) {
        const c = await classifyFile(model, f.path, { top });
        results.push({ file: f.name, sha256: c.sha256, crops: c.crops, top: c.top });
      }
      return plain({ results });
    },
  );
};
