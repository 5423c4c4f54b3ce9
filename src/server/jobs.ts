/** Jobs of the queue: list, one, cancel (their events come on GET /api/events). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { JOB_STATUSES } from '../store/index.js';
import { conflict, notFound } from './errors.js';
import { errors, JobInfo, plain } from './schemas.js';

const IdParams = z.object({ id: z.string().min(1).max(200) });

export const jobsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { queue } = app.camprint;

  app.get(
    '/jobs',
    {
      schema: {
        summary: 'jobs, newest first',
        tags: ['jobs'],
        querystring: z.object({
          status: z.enum(JOB_STATUSES).optional(),
          kind: z.string().min(1).max(63).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ jobs: z.array(JobInfo) }), ...errors(400) },
      },
    },
    async (request) => {
      const { status, kind, limit } = request.query;
      const jobs = await queue.list({ status, kind, limit });
      return { jobs: plain(jobs).reverse() };
    },
  );

  app.get(
    '/jobs/:id',
    {
      schema: {
        summary: 'one job',
        tags: ['jobs'],
        params: IdParams,
        response: { 200: JobInfo, ...errors(404) },
      },
    },
    async (request) => {
      const info = await queue.get(request.params.id);
      if (!info) throw notFound(`no job ${request.params.id}`);
      return plain(info);
    },
  );

  app.post(
    '/jobs/:id/cancel',
    {
      schema: {
        summary: 'cancel a job: a queued one is dropped, a running one stopped (409 when it already ended)',
        tags: ['jobs'],
        params: IdParams,
        response: { 200: z.object({ cancelled: z.literal(true) }), ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const info = await queue.get(id);
      if (!info) throw notFound(`no job ${id}`);
      if (info.status === 'running' && queue.backend === 'redis')
        throw conflict(
          `job ${id} is running on a worker; the Redis queue cannot stop a running job (stop its worker instead)`,
        );
      if (!(await queue.cancel(id))) throw conflict(`job ${id} already ended (${info.status})`);
      return { cancelled: true as const };
    },
  );
};
