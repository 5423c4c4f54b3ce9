/**
 * The camprint command line (commander). Thin: each command parses and checks its options, calls
 * the services, prints one JSON document with --json (progress and logs go to stderr).
 * Exit codes: 0 ok, 1 usage, 2 bad input, 3 internal error.
 */
import { Command, CommanderError } from 'commander';
import { Context } from './context.js';
import { exitCodeOf, InputError } from '../util/errors.js';
import { closePool } from '../pool/index.js';
import { VERSION } from '../version.js';
import { registerResidual } from './commands/residual.js';
import { registerFingerprint } from './commands/fingerprint.js';
import { registerMatch } from './commands/match.js';
import { registerSimulate } from './commands/simulate.js';
import { registerDemo } from './commands/demo.js';
import { registerDataset } from './commands/dataset.js';
import { registerDl } from './commands/dl.js';
import { registerCluster } from './commands/cluster.js';
import { registerQueue } from './commands/queue.js';
import { registerInspect } from './commands/inspect.js';
import { registerTables } from './commands/tables.js';
import { registerDefects } from './commands/defects.js';
import { registerAudit } from './commands/audit.js';
import { registerExperiment } from './commands/experiment.js';
import { registerServe } from './commands/serve.js';
import { registerCase } from './commands/case.js';
import { registerReport } from './commands/report.js';

let context: Context | undefined;
const program = new Command('camprint')
  .description('which camera took this photo? PRNU fingerprints, PCE matching, camera databases')
  .version(VERSION)
  .option('--json', 'print exactly one JSON document on stdout')
  .option('--data-dir <dir>', 'the embedded store (default ~/.camprint, or CAMPRINT_DATA_DIR)')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  .hook('preAction', () => {
    context = new Context(program.opts());
  });
const ctx = (): Context => context!;

for (const register of [
  registerResidual,
  registerFingerprint,
  registerMatch,
  registerSimulate,
  registerDemo,
  registerDataset,
  registerDl,
  registerCluster,
  registerQueue,
  registerInspect,
  registerTables,
  registerDefects,
  registerAudit,
  registerServe,
  registerCase,
  registerReport,
  registerExperiment,
]) {
  register(program, ctx);
}
for (const cmd of program.commands) applyExitOverride(cmd);

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    // A command may set its own status (train stopped by Ctrl-C: 130).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; commander already printed its message.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
        ? 0
        : 1;
    }
    const code = exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    if (code === 3) {
      process.stderr.write(`camprint: internal error: ${message}\n`);
      if (process.env.CAMPRINT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    } else {
      process.stderr.write(`camprint: ${err instanceof InputError ? '' : 'usage: '}${message}\n`);
    }
    return code;
  } finally {
    await context?.close().catch(() => undefined);
    await closePool().catch(() => undefined);
  }
}

process.exitCode = await main();
