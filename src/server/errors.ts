/**
 * Errors as the API answers them: `{"error": "<one line>"}` with 400 (bad input: InputError,
 * UsageError, a request that fails its schema), 401, 404, 409, 413, 429, and 500 for anything
 * else, whose detail (with the stack) goes to the log only. Never a stack trace in a response.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { InputError, UsageError } from '../util/errors.js';

/** An error with the HTTP status it answers (404, 409, 413, …); its message is shown as it is. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, what);
export const conflict = (what: string): HttpError => new HttpError(409, what);

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Server paths of this request's uploads and the names the client gave them: messages about
     * an upload name the file as the client knows it, not where the server keeps it.
     */
    uploadNames?: Map<string, string>;
  }
}

/** The message with each upload's server path replaced by the client's file name. */
export function clientMessage(request: FastifyRequest, message: string): string {
  let text = message;
  for (const [path, name] of request.uploadNames ?? []) text = text.split(path).join(name);
  return text;
}

/** "body.name: Invalid input: expected string, received undefined; …" */
function validationMessage(err: FastifyError): string {
  const where = err.validationContext ?? 'request';
  if (hasZodFastifySchemaValidationErrors(err)) {
    return err.validation
      .map((v) => `${where}${v.instancePath === '/' ? '' : v.instancePath.replace(/\//g, '.')}: ${v.message}`)
      .join('; ');
  }
  return err.message;
}

/** The first line of a message, at most 2,000 characters (one line, as the CLI prints it). */
function oneLine(message: string): string {
  const line = message.split('\n')[0];
  return line.length > 2000 ? `${line.slice(0, 2000)}…` : line;
}

/** What the client gets for an error: the status and the message. */
export function answerFor(err: unknown, request: FastifyRequest): { status: number; message: string } {
  if (err instanceof HttpError)
    return { status: err.statusCode, message: clientMessage(request, err.message) };
  if (err instanceof InputError || err instanceof UsageError)
    return { status: 400, message: oneLine(clientMessage(request, err.message)) };
  const e = err as Partial<FastifyError> | undefined;
  if (e && Array.isArray(e.validation)) return { status: 400, message: validationMessage(e as FastifyError) };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  // fastify's and its plugins' own 4xx errors (bad JSON, wrong media type, multipart limits, rate
  // limit) say what is wrong in a fixed sentence: shown as they are.
  if (status >= 400 && status < 500) return { status, message: oneLine(String(e?.message ?? 'bad request')) };
  return { status: 500, message: `internal error (request ${request.id}; the server's log has the details)` };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, message } = answerFor(err, request);
  if (status >= 500) request.log.error({ err }, `${request.method} ${request.url}: internal error`);
  else request.log.info(`${request.method} ${request.url}: ${status} ${message}`);
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="camprint"');
  void reply.code(status).type('application/json; charset=utf-8').send({ error: message });
}
