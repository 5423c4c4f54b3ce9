/** `camprint audit verify|list`: the store's hash-chained audit log (chain of custody). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { table } from '../context.js';
import { InputError } from '../../util/errors.js';
import { positiveInt } from '../options.js';

export function registerAudit(program: Command, ctx: () => Context): void {
  const cmd = program.command('audit').description('the append-only, hash-chained audit log');

  cmd
    .command('verify')
    .description(
      'recompute the hash chain: exit 0 when intact, 2 with the first bad entry and why ' +
        '(an edited, removed or reordered entry); compare entries and head hash with a copy kept elsewhere to catch a cut-off end',
    )
    .action(async () => {
      const c = ctx();
      const store = await c.openStore();
      const info = await store.info();
      const v = await store.verifyAudit();
      const doc = { store: info.location, ...v };
      c.output(doc, () =>
        v.ok
          ? `audit log intact: ${v.entries} entries, head ${v.headHash ?? '(empty)'}`
          : `audit log BROKEN at entry ${v.firstBadSeq}: ${v.reason} (${v.entries} entries verified before it)`,
      );
      if (!v.ok)
        throw new InputError(`${info.location}: audit log broken at entry ${v.firstBadSeq}: ${v.reason}`);
    });

  cmd
    .command('list')
    .description('print audit entries in order')
    .option('--from <seq>', 'first entry', '1')
    .option('--limit <n>', 'at most this many entries')
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const store = await c.openStore();
      const entries = await store.listAudit({
        fromSeq: positiveInt('--from', o.from),
        limit: o.limit === undefined ? undefined : positiveInt('--limit', o.limit),
      });
      c.output({ entries }, () =>
        entries.length === 0
          ? 'no audit entries'
          : table([
              ['seq', 'time', 'actor', 'action', 'subject', 'hash'],
              ...entries.map((e) => [e.seq, e.ts, e.actor, e.action, e.subject, e.hash.slice(0, 16)]),
            ]),
      );
    });
}
