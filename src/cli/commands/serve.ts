/** `camprint serve`: the web workbench and its HTTP API (server/, docs/api.md) until stopped. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { startServer, SERVER_DEFAULTS } from '../../server/index.js';
import { UsageError } from '../../util/errors.js';
import { intInRange, nonNegativeInt, positiveNumber } from '../options.js';

export function registerServe(program: Command, ctx: () => Context): void {
  program
    .command('serve')
    .description(
      'the web workbench and its JSON API (docs/api.md) on 127.0.0.1; another --host needs CAMPRINT_TOKEN, ' +
        'which every API call then sends as Authorization: Bearer <token>',
    )
    .option('--port <n>', 'TCP port (0: any free one)', String(SERVER_DEFAULTS.port))
    .option(
      '--host <address>',
      'address to bind (not loopback: CAMPRINT_TOKEN is required)',
      SERVER_DEFAULTS.host,
    )
    .option(
      '--root <dir>',
      'a folder whose images requests may name (repeatable; default <data-dir>/inputs)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--max-upload-mb <n>', 'largest uploaded file, in MB', String(SERVER_DEFAULTS.maxUploadMb))
    .option('--max-pixels <n>', 'most pixels of an uploaded image (read from its header)', '100e6')
    .option(
      '--rate-limit <n>',
      'requests per minute per client (0: no limit)',
      String(SERVER_DEFAULTS.rateLimit.max),
    )
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const port = intInRange('--port', o.port, 0, 65535);
      const maxUploadMb = positiveNumber('--max-upload-mb', o.maxUploadMb);
      const maxPixels = Math.floor(positiveNumber('--max-pixels', o.maxPixels));
      const rate = nonNegativeInt('--rate-limit', o.rateLimit);
      const host = String(o.host);
      let started;
      try {
        started = await startServer({
          dataDir: c.dataDir,
          databaseUrl: c.global.databaseUrl,
          host,
          port,
          roots: o.root as string[],
          maxUploadBytes: Math.floor(maxUploadMb * 1048576),
          maxPixels: Math.max(1, maxPixels),
          rateLimit: rate === 0 ? false : { max: rate, windowMs: 60_000 },
          logger: { level: process.env.CAMPRINT_LOG_LEVEL ?? 'warn', stream: process.stderr },
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`--port ${port}: the port is in use on ${host}`);
        if (code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen there`);
        if (code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${host}: no such address on this machine`);
        throw err;
      }
      const { app, url } = started;
      const roots = app.camprint.roots;
      c.output(
        { url, host, port: Number(new URL(url).port), roots, token: Boolean(process.env.CAMPRINT_TOKEN) },
        () =>
          [
            `camprint serve: ${url}  (Ctrl-C stops)`,
            `  data ${app.camprint.dataDir}; folders under ${roots.join(', ')}`,
            process.env.CAMPRINT_TOKEN
              ? '  the API needs the token (CAMPRINT_TOKEN)'
              : '  no token (loopback only)',
          ].join('\n'),
      );
      // Until SIGINT or SIGTERM: then the jobs this server runs are stopped (a training keeps its
      // checkpoint), the queue and the store closed; the worker pool closes after (main.ts).
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      c.log('camprint serve: stopping …');
      await app.close();
    });
}
