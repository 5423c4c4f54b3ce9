/**
 * `camprint worker` (runs queued jobs from Redis) and `camprint jobs submit|list|show|kinds`.
 * Without CAMPRINT_REDIS_URL, `jobs submit` runs the job in this process and `jobs list/show`
 * read the store's jobs table.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { Context } from '../context.js';
import { table } from '../context.js';
import { positiveInt } from '../options.js';
import { InputError, UsageError } from '../../util/errors.js';
import { JOB_STATUSES, type JobStatus } from '../../store/index.js';
import {
  jobFailedError,
  jobHandler,
  jobKinds,
  openQueue,
  queueSettings,
  redactUrl,
  startWorker,
  type JobInfo,
  type Queue,
} from '../../queue/index.js';

export function registerQueue(program: Command, ctx: () => Context): void {
  program
    .command('worker')
    .description('run queued jobs from Redis (CAMPRINT_REDIS_URL) until stopped; run one per machine')
    .option('--concurrency <n>', 'jobs of each kind run at once in this process', '1')
    .option('--kinds <a,b>', 'the job kinds to take (default: all; see `camprint jobs kinds`)')
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const settings = queueSettings();
      if (!settings.redisUrl)
        throw new InputError(
          'camprint worker needs CAMPRINT_REDIS_URL, the Redis that feeds the workers (e.g. redis://localhost:6379)',
        );
      const concurrency = positiveInt('--concurrency', o.concurrency);
      const kinds = o.kinds === undefined ? undefined : kindList(String(o.kinds));
      const t0 = performance.now();
      const worker = await startWorker({
        settings,
        kinds,
        concurrency,
        store: () => c.openStore(),
        log: (line) => c.log(line),
      });
      c.log(
        `camprint worker ${worker.name}: taking ${worker.kinds.join(', ')} (${concurrency} at a time each) from ` +
          `${redactUrl(settings.redisUrl)}; Ctrl-C stops after the running jobs, twice hands them back`,
      );
      const released = await new Promise<boolean>((resolve) => {
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals): void => {
          signals++;
          if (signals === 1) {
            c.log(`camprint worker: ${sig}: finishing the running jobs (again to hand them back)`);
            void worker.close().then(
              () => resolve(false),
              () => resolve(false),
            );
          } else if (signals === 2) {
            c.log(`camprint worker: ${sig}: handing the running jobs back to the queue`);
            void worker.release().then(
              () => resolve(true),
              () => resolve(true),
            );
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      const stats = worker.stats();
      const seconds = (performance.now() - t0) / 1000;
      c.output({ worker: worker.name, kinds: worker.kinds, ...stats, released, seconds }, () =>
        [
          `camprint worker ${worker.name}: stopped after ${seconds.toFixed(0)} s`,
          `  ${stats.completed} done, ${stats.failed} failed, ${stats.retried} attempts retried`,
          released ? '  running jobs handed back to the queue' : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      if (released) {
        process.exitCode = 130;
        // A handed-back job's handler may still hold the pool; it must not keep us alive.
        setTimeout(() => process.exit(130), 3000).unref();
      }
    });

  const jobs = program.command('jobs').description('submit, list and show queued jobs');

  jobs
    .command('submit <kind>')
    .description('queue a job (run here when CAMPRINT_REDIS_URL is not set)')
    .requiredOption('--params <json|@file>', "the job's parameters: JSON, or @file holding JSON")
    .option('--wait', 'wait until it is done and print its result')
    .option(
      '--attempts <n>',
      'tries before it fails (default 3, CAMPRINT_JOB_ATTEMPTS); bad input is never retried',
    )
    .option('--id <id>', 'the job id (default: a random UUID)')
    .action(async (kind: string, o: Record<string, unknown>) => {
      const c = ctx();
      jobHandler(kind);
      const params = parseParams(String(o.params));
      const attempts = o.attempts === undefined ? undefined : positiveInt('--attempts', o.attempts);
      await withQueue(c, async (queue) => {
        const id = await queue.submit(kind, params, {
          attempts,
          id: o.id === undefined ? undefined : String(o.id),
        });
        const here = queue.backend === 'in-process';
        if (!o.wait && !here) {
          const info = (await queue.get(id)) ?? { id, kind, status: 'queued' };
          c.output({ ...info, backend: queue.backend }, () => `job ${id} (${kind}) queued`);
          return;
        }
        if (here) c.log(`job ${id} (${kind}): CAMPRINT_REDIS_URL is not set, running it in this process`);
        const bar = c.progress(`${kind} ${id.slice(0, 8)}`, 100);
        const stop = queue.on((e) => {
          if (e.id !== id) return;
          if (e.type === 'progress') bar.tick(Math.round(e.progress * 100), e.detail ?? '');
          else if (e.type === 'retrying') c.log(`job ${id}: ${e.error}; retrying`);
          else if (e.type === 'stalled') c.log(`job ${id}: its worker stopped answering; handed to another`);
        });
        const info = await queue.wait(id).finally(() => {
          stop();
          bar.stop();
        });
        if (info.status !== 'done') throw jobFailedError(info);
        c.output({ ...info, backend: queue.backend }, () => describe(info));
      });
    });

  jobs
    .command('list')
    .description(
      'the most recent jobs, oldest first (from Redis when CAMPRINT_REDIS_URL is set, else the store)',
    )
    .option('--status <status>', `only jobs in this state (${JOB_STATUSES.join(', ')})`)
    .option('--kind <kind>', 'only jobs of this kind')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const status = o.status === undefined ? undefined : jobStatus(String(o.status));
      if (o.kind !== undefined) jobHandler(String(o.kind));
      const limit = positiveInt('--limit', o.limit);
      await withQueue(c, async (queue) => {
        const list = await queue.list({
          status,
          kind: o.kind === undefined ? undefined : String(o.kind),
          limit,
        });
        c.output({ backend: queue.backend, jobs: list }, () =>
          list.length === 0
            ? 'no jobs'
            : table([
                ['id', 'kind', 'status', 'progress', 'attempts', 'worker', 'updated'],
                ...list.map((j) => [
                  j.id,
                  j.kind,
                  j.status,
                  `${Math.round(j.progress * 100)}%`,
                  j.attempts ?? '—',
                  j.worker ?? '—',
                  j.updatedAt,
                ]),
              ]),
        );
      });
    });

  jobs
    .command('show <id>')
    .description('one job: its state, parameters and result or error')
    .action(async (id: string) => {
      const c = ctx();
      await withQueue(c, async (queue) => {
        const info = await queue.get(id);
        if (!info) throw new InputError(`job ${id}: no such job`);
        c.output({ ...info, backend: queue.backend }, () => describe(info));
      });
    });

  jobs
    .command('kinds')
    .description('the job kinds this build can run')
    .action(() => {
      const c = ctx();
      const kinds = jobKinds();
      c.output({ kinds }, () => kinds.map((k) => `${k.kind.padEnd(20)} ${k.description}`).join('\n'));
    });
}

/** Opens the configured queue with the context's store, runs `fn`, closes it. */
async function withQueue(c: Context, fn: (queue: Queue) => Promise<void>): Promise<void> {
  const queue = await openQueue({ store: () => c.openStore(), log: (line) => c.log(line) });
  try {
    await fn(queue);
  } finally {
    await queue.close();
  }
}

function kindList(text: string): string[] {
  const kinds = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (kinds.length === 0)
    throw new UsageError(`Expected job kinds a,b for --kinds but received ${JSON.stringify(text)}`);
  for (const k of kinds) jobHandler(k);
  return [...new Set(kinds)];
}

function jobStatus(text: string): JobStatus {
  if (!(JOB_STATUSES as readonly string[]).includes(text))
    throw new UsageError(
      `Expected one of ${JOB_STATUSES.join(', ')} for --status but received ${JSON.stringify(text)}`,
    );
  return text as JobStatus;
}

/** --params: inline JSON, or @file holding JSON. */
function parseParams(text: string): unknown {
  if (text.startsWith('@')) {
    const file = text.slice(1);
    let body: string;
    try {
      body = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(
        `${file}: cannot read the job parameters (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(
      `Expected JSON (or @file) for --params but received ${JSON.stringify(text)} (${(err as Error).message})`,
    );
  }
}

function describe(j: JobInfo): string {
  const lines = [
    `job ${j.id} (${j.kind}): ${j.status}${j.status === 'running' ? ` ${Math.round(j.progress * 100)}%` : ''}`,
    `  created ${j.createdAt}, updated ${j.updatedAt}` +
      (j.attempts !== undefined ? `, ${j.attempts} attempt${j.attempts === 1 ? '' : 's'}` : '') +
      (j.worker ? `, worker ${j.worker}` : ''),
    `  params ${JSON.stringify(j.params)}`,
  ];
  if (j.result) lines.push(`  result ${JSON.stringify(j.result)}`);
  if (j.error) lines.push(`  error ${j.error}`);
  return lines.join('\n');
}
