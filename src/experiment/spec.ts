/**
 * The experiment specification: one YAML or JSON file that says where the photos come from
 * (simulated cameras or a folder), what a class is, how photos are split, what the network sees,
 * which networks are trained with which solver, and which methods (cnn, pce, fusion) are scored.
 * Checked once at the boundary with zod; a bad field is an InputError (exit 2) naming the spec file
 * and the field. `full:` holds overrides applied by `--full` (the paper's scale, for a GPU).
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, UsageError } from '../util/errors.js';
import { parseSize, validateSimulateOptions } from '../sim/index.js';
import { INPUT_KINDS, parseSplit } from '../dl/dataset/index.js';

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-" (at most 100)');
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

/** `camprint simulate` options (see src/sim/options.ts); the seed defaults to the spec's seed. */
const SimulateSpec = z.strictObject({
  models: posInt.max(999),
  devices: posInt.max(999).default(1),
  images: nonNegInt,
  flat: nonNegInt.default(0),
  size: z.string().refine((s) => {
    try {
      parseSize(s);
      return true;
    } catch {
      return false;
    }
  }, 'a size WxH with each side from 16 to 16384 (for example 512x384)'),
  jpegQuality: z.number().int().min(1).max(100).optional(),
  prnuScale: z.number().min(0).max(10).optional(),
  hotPixels: nonNegInt.optional(),
  seed: nonNegInt.optional(),
});

const DataSpec = z
  .strictObject({
    /** Synthetic cameras made by `camprint simulate` into the results folder. */
    simulate: SimulateSpec.optional(),
    /** A folder of photos (relative paths: relative to the spec file). */
    folder: z.string().min(1).optional(),
    /**
     * class-folders: `<class>/…/*.jpg` (DIGITS, camprint simulate); kind-folders:
     * `{flat,natural}/<class>/*.jpg` (the Dresden layout); auto: kind-folders when the folder's
     * sub-folders are only flat and natural.
     */
    layout: z.enum(['auto', 'class-folders', 'kind-folders']).default('auto'),
    /** What a class is: a unit (device, the class folder) or a model (the part before the last "_"). */
    classes: z.enum(['device', 'model']).default('device'),
    /** Which photos make the data set (train/val/test): flat-fields never in a test split by default. */
    use: z.enum(['natural', 'flat', 'all']).default('natural'),
    /** Classes (or devices) left out. */
    exclude: z.array(z.string().min(1)).default([]),
    /** At most this many photos per class in the data set (a seeded choice). */
    maxImages: posInt.optional(),
  })
  .refine((d) => (d.simulate === undefined) !== (d.folder === undefined), {
    message: 'exactly one of simulate or folder is needed',
  });

const DatasetSpec = z.strictObject({
  input: z.enum(INPUT_KINDS).default('residual-rgb'),
  crop: z
    .number()
    .int()
    .min(16)
    .max(8192)
    .refine((c) => c % 2 === 0, 'an even number of pixels')
    .default(64),
  cropsPerImage: posInt.default(32),
  split: z
    .string()
    .refine((s) => {
      try {
        parseSplit(s);
        return true;
      } catch {
        return false;
      }
    }, 'train/val/test percentages summing to 100 (for example 75/10/15)')
    .default('75/10/15'),
  splitBy: z.enum(['photo', 'device']).default('photo'),
  testDevices: z.array(z.string().min(1)).min(1).optional(),
  levels: z.number().int().min(1).max(10).optional(),
  sigma: z.number().positive().optional(),
});

const ScalarSetting = z.union([z.string(), z.number(), z.boolean()]);

/** One network and its solver (engine/config.py names in `settings` for anything else). */
const NetworkSpec = z.strictObject({
  id: name.optional(),
  network: z.string().min(1).default('camnet'),
  epochs: posInt.default(15),
  batch: posInt.default(64),
  lr: z.number().positive().default(0.001),
  optimizer: z.enum(['sgd', 'adam', 'adamw']).default('adamw'),
  policy: z.enum(['fixed', 'step', 'exp', 'poly', 'cosine']).default('cosine'),
  weightDecay: z.number().nonnegative().default(0.0005),
  checkpointEvery: posInt.default(5),
  settings: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), ScalarSetting).default({}),
});

const PceSpec = z.strictObject({
  /**
   * Which photos make each class's fingerprint: auto (flat-fields of the class's training units
   * when the data has them, else the class's training-split photos), flat (flat-fields only),
   * train (the training split as it is).
   */
  reference: z.enum(['auto', 'flat', 'train']).default('auto'),
  /** At most this many reference photos per class (0: all). */
  maxImages: nonNegInt.default(0),
  threshold: z.number().positive().default(60),
  rotations: z.boolean().default(false),
  maxShift: nonNegInt.default(0),
});

const FusionSpec = z.strictObject({
  /**
   * logistic: one conditional-logit fit of both scores on the validation split; sum: the sum of
   * each method's own calibrated log-likelihood (each fitted on the validation split alone).
   */
  rule: z.enum(['logistic', 'sum']).default('logistic'),
  /** Which network's probabilities (its id); default the best on the validation split. */
  cnn: z.string().optional(),
  /** Weight of the Gaussian prior on the calibration coefficients (ridge). */
  l2: z.number().nonnegative().default(1),
});

const PaperSpec = z.strictObject({
  top1: z.number().min(0).max(100).nullable().default(null),
  top5: z.number().min(0).max(100).nullable().default(null),
  classes: posInt.optional(),
  note: z.string().optional(),
});

export const METHODS = ['cnn', 'pce', 'fusion'] as const;
export type Method = (typeof METHODS)[number];

const SpecSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    /** How this spec is scaled down from the paper (kept in the results). */
    scaling: z.string().optional(),
    paper: PaperSpec.optional(),
    seed: nonNegInt.default(1),
    data: DataSpec,
    dataset: DatasetSpec.prefault({}),
    cnn: z.union([NetworkSpec, z.array(NetworkSpec).min(1)]).prefault({}),
    pce: PceSpec.prefault({}),
    fusion: FusionSpec.prefault({}),
    methods: z.array(z.enum(METHODS)).min(1).default(['cnn', 'pce', 'fusion']),
    /** Overrides merged into the spec by --full (objects merged key by key, anything else replaced). */
    full: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((s, ctx) => {
    const methods = new Set(s.methods);
    if (methods.has('fusion') && !(methods.has('cnn') && methods.has('pce')))
      ctx.addIssue({ code: 'custom', path: ['methods'], message: 'fusion needs both cnn and pce' });
    if (methods.has('fusion') && safely(() => parseSplit(s.dataset.split).val) === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'split'],
        message: 'fusion is calibrated on the validation split: give it a share above 0',
      });
    if (s.dataset.testDevices && s.dataset.splitBy !== 'device')
      ctx.addIssue({ code: 'custom', path: ['dataset', 'testDevices'], message: 'needs splitBy device' });
    const nets = Array.isArray(s.cnn) ? s.cnn : [s.cnn];
    const ids = nets.map((n) => n.id ?? n.network);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['cnn', i, 'id'],
          message: `two networks named ${id}: give each an id`,
        });
    });
    if (s.fusion.cnn !== undefined && !ids.includes(s.fusion.cnn))
      ctx.addIssue({
        code: 'custom',
        path: ['fusion', 'cnn'],
        message: `not one of the networks (${ids.join(', ')})`,
      });
    if (s.data?.simulate) {
      const sim = s.data.simulate;
      try {
        const { width, height } = parseSize(sim.size);
        validateSimulateOptions({ dir: '.', ...sim, width, height, seed: sim.seed ?? s.seed });
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['data', 'simulate'], message: (err as Error).message });
      }
      if (s.data.use === 'flat' && sim.flat === 0)
        ctx.addIssue({ code: 'custom', path: ['data', 'use'], message: 'no flat-fields are simulated' });
    }
  });

type ParsedSpec = z.output<typeof SpecSchema>;

/** f(), or undefined when it throws (refinements run even after a field has failed). */
function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
export type NetworkSettings = z.output<typeof NetworkSpec> & { id: string };

/** A checked spec with every default filled in, paths absolute, networks as a list with ids. */
export interface ExperimentSpec extends Omit<ParsedSpec, 'cnn' | 'full'> {
  cnn: NetworkSettings[];
  /** The spec file (absolute). */
  file: string;
  /** Whether --full overrides were applied. */
  full: boolean;
  /** The overrides --full would apply (as written). */
  fullOverrides: Record<string, unknown> | null;
}

/** Objects merged key by key (b wins); arrays and scalars replaced. */
export function deepMerge(a: unknown, b: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

/** "data.simulate.models" from a zod issue path. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.length
    ? path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('')
    : 'the document';
}

/**
 * Checks a spec document (already parsed from YAML or JSON).
 * @param file the spec file, for messages and to resolve relative paths
 * @param full apply the spec's `full:` overrides
 * @throws InputError "<file>: <field>: <what is wrong>"
 */
export function checkSpec(doc: unknown, file: string, full = false): ExperimentSpec {
  const where = resolve(file);
  let input = doc;
  if (full) {
    const overrides = (doc as { full?: unknown } | null)?.full;
    if (overrides === undefined)
      throw new InputError(`${file}: full: --full needs a full: section of overrides in the spec`);
    input = deepMerge(doc, overrides);
  }
  const r = SpecSchema.safeParse(input);
  if (!r.success) {
    let issue: z.core.$ZodIssue = r.error.issues[0];
    let path: PropertyKey[] = [...issue.path];
    // A union (one network or a list of them): the first alternative's complaint.
    while (issue.code === 'invalid_union' && issue.errors[0]?.[0]) {
      issue = issue.errors[0][0];
      path = [...path, ...issue.path];
    }
    const message =
      issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message;
    throw new InputError(`${file}: ${pathOf(path)}: ${message}${full ? ' (with --full)' : ''}`);
  }
  const s = r.data;
  const nets = (Array.isArray(s.cnn) ? s.cnn : [s.cnn]).map((n) => ({ ...n, id: n.id ?? n.network }));
  const data = {
    ...s.data,
    folder:
      s.data.folder === undefined
        ? undefined
        : isAbsolute(s.data.folder)
          ? s.data.folder
          : resolve(dirname(where), s.data.folder),
  };
  const { full: overrides, ...rest } = s;
  return { ...rest, data, cnn: nets, file: where, full, fullOverrides: overrides ?? null };
}

/**
 * Reads and checks a spec file: `.json`, or `.yaml`/`.yml` (through the `yaml` package).
 * @throws InputError naming the file (unreadable, not YAML/JSON) or the field
 */
export async function loadSpec(file: string, full = false): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`);
  }
  const ext = extname(file).toLowerCase();
  let doc: unknown;
  if (ext === '.yaml' || ext === '.yml') {
    let YAML: { parse(text: string): unknown };
    try {
      YAML = (await import('yaml')) as unknown as { parse(text: string): unknown };
    } catch {
      throw new UsageError(
        `${file}: YAML specs need the yaml package (npm install yaml); or write it as JSON`,
      );
    }
    try {
      doc = YAML.parse(text);
    } catch (err) {
      throw new InputError(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  } else {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new InputError(`${file}: the document: expected a mapping of fields (name, data, …)`);
  return checkSpec(doc, file, full);
}
