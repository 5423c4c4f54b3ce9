/**
 * Schemas the routes share. Each route declares its parameters, body and answers with zod:
 * fastify-type-provider-zod validates requests with them and @fastify/swagger turns them into
 * the OpenAPI document (GET /api/openapi.json). Multipart bodies are read by the handler
 * (streamed to disk) and documented through the route's `config.multipart`.
 */
import { z } from 'zod';
import { JOB_STATUSES } from '../store/index.js';

/** Every error answer. */
export const ErrorBody = z.object({ error: z.string() }).meta({ id: 'Error' });

/** The error answers a route can give, by status. */
export function errors(...codes: (400 | 401 | 404 | 409 | 413 | 429)[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([401, 429, ...codes].map((c) => [c, ErrorBody]));
}

/** A name as the store takes it (camera, data set, model, case): no slashes or control characters. */
export const Name = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (s) =>
      !/[/\\]/.test(s) &&
      ![...s].some((ch) => ch.charCodeAt(0) < 32) &&
      s.trim() === s &&
      s !== '.' &&
      s !== '..',
    {
      message:
        'expected a name (1–200 characters, no slashes, control characters or surrounding spaces, not . or ..)',
    },
  );

export const NameParams = z.object({ name: Name });

/** A plain JSON object, passed through as it is. */
export const Json = z.record(z.string(), z.unknown());

export const JobInfo = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.enum(JOB_STATUSES),
    progress: z.number(),
    detail: z.string().optional(),
    params: Json,
    result: Json.optional(),
    error: z.string().optional(),
    inputError: z.boolean().optional(),
    attempts: z.number().optional(),
    worker: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'JobInfo' });

/** 202: the job that does the work (its events come on GET /api/events). */
export const JobAccepted = z.object({ job: z.string() }).meta({ id: 'JobAccepted' });

export const ImageRecord = z
  .object({
    sha256: z.string(),
    path: z.string(),
    width: z.number(),
    height: z.number(),
    format: z.string(),
    orientation: z.number(),
    exif: Json.optional(),
    firstSeen: z.string(),
  })
  .meta({ id: 'ImageRecord' });

/** A multipart body as the route reads it: its text fields (zod) and its file fields. */
export interface MultipartDoc {
  fields: z.ZodObject;
  files: Record<string, { min: number; max: number; description: string }>;
}

/** The JSON schema of a multipart body, for the OpenAPI document. */
export function multipartJsonSchema(doc: MultipartDoc): Record<string, unknown> {
  const fields = z.toJSONSchema(doc.fields, { io: 'input', target: 'openapi-3.0' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  const properties: Record<string, unknown> = { ...(fields.properties ?? {}) };
  const required = [...(fields.required ?? [])];
  for (const [name, f] of Object.entries(doc.files)) {
    const file = { type: 'string', format: 'binary' };
    properties[name] =
      f.max === 1
        ? { ...file, description: f.description }
        : { type: 'array', items: file, minItems: f.min, maxItems: f.max, description: f.description };
    if (f.min > 0) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** A value as JSON carries it (non-finite numbers become null, undefined fields go). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
