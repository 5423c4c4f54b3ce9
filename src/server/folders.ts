/** GET /api/folders: browse the server folders a request may name (the roots and below only). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listFolder, resolveFolder } from './roots.js';
import { errors } from './schemas.js';

export const foldersRoutes: FastifyPluginAsyncZod = async (app) => {
  const { roots } = app.camprint;
  app.get(
    '/folders',
    {
      schema: {
        summary: 'a folder under the roots: its sub-folders and images (default: the first root)',
        description:
          '`path` is absolute, or relative to the first root. `images` of a sub-folder counts the images below it (null when too many to count).',
        tags: ['folders'],
        querystring: z.object({ path: z.string().min(1).max(4096).optional() }),
        response: {
          200: z.object({
            roots: z.array(z.string()),
            path: z.string(),
            entries: z.array(z.object({ name: z.string(), dir: z.boolean(), images: z.number().nullable() })),
          }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const path = resolveFolder(request.query.path ?? roots[0], roots, 'path');
      return { roots, path, entries: listFolder(path, roots) };
    },
  );
};
