// The `gantry` command line: one program, a file per command, exit codes as the README's CLI section lists them.
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { registerAlarms } from './commands/alarms.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBackup } from './commands/backup.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDora } from './commands/dora.ts';
import { registerHistory } from './commands/history.ts';
import { registerIncidents } from './commands/incidents.ts';
import { registerInit } from './commands/init.ts';
import { registerLogs } from './commands/logs.ts';
import { registerMetrics } from './commands/metrics.ts';
import { registerNotifications } from './commands/notifications.ts';
import { registerOncall } from './commands/oncall.ts';
import { registerPromote } from './commands/promote.ts';
import { registerRelease } from './commands/release.ts';
import { registerReload } from './commands/reload.ts';
import { registerRollback } from './commands/rollback.ts';
import { registerSecrets } from './commands/secrets.ts';
import { registerServer } from './commands/server.ts';
import { registerSilences } from './commands/silences.ts';
import { registerSlo } from './commands/slo.ts';
import { registerStatus } from './commands/status.ts';
import { registerTokens } from './commands/tokens.ts';
import { registerUpload } from './commands/upload.ts';
import { registerValidate } from './commands/validate.ts';
import { registerWatch } from './commands/watch.ts';
import type { CliContext, CliDeps } from './context.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, ExitError } from './errors.ts';
import { type CliIo, resolveIo, writeLine } from './io.ts';
import { addConnectionOptions, addJsonOption, CLIENT_ENV_HELP } from './options.ts';

export type { CliDeps } from './context.ts';
export type { CliIo, OutputStream } from './io.ts';

const PROGRAM_HELP = `
Examples:
  $ gantry server --config gantry.yaml
  $ gantry deploy --env staging --version v2 --artifact ./dist --wait
  $ gantry release --ref refs/heads/main --version "$GITHUB_SHA" --artifact ./dist --wait
  $ gantry status --json

Exit codes: 0 success, 1 failed operation (e.g. a rolled-back release), 2 bad usage or input.
${CLIENT_ENV_HELP}`;

/**
 * Builds the program. Errors and exits go through exceptions (commander's exitOverride), never
 * process.exit: a command that ends with a non-zero code throws an ExitError (a CommanderError).
 */
export function buildProgram(io?: Partial<CliIo>, deps: CliDeps = {}): Command {
  const ctx: CliContext = { io: resolveIo(io), deps, connection: {} };
  const program = new Command('gantry')
    .description('Gantry: release web services health-gated, watch them in production')
    .version(packageJson.version, '-V, --version', 'print the version of gantry')
    // Program options only before the command name: `deploy --version V` is the deploy's version.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      getOutHelpWidth: () => ctx.io.stdout.columns ?? 100,
      getErrHelpWidth: () => ctx.io.stderr.columns ?? 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', PROGRAM_HELP);
  addConnectionOptions(addJsonOption(program));
  // `gantry --url U status` and `gantry status --url U` alike: the command's own value wins.
  program.hook('preAction', (_program, action) => {
    const url = nearestOption(action, 'url');
    const token = nearestOption(action, 'token');
    const service = nearestOption(action, 'service');
    ctx.connection = {
      ...(url !== undefined ? { url } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(service !== undefined ? { service } : {}),
    };
  });
  for (const register of [
    registerServer,
    registerValidate,
    registerInit,
    registerDeploy,
    registerRelease,
    registerUpload,
    registerPromote,
    registerRollback,
    registerStatus,
    registerHistory,
    registerMetrics,
    registerAlarms,
    registerSlo,
    registerDora,
    registerOncall,
    registerIncidents,
    registerSilences,
    registerSecrets,
    registerNotifications,
    registerWatch,
    registerLogs,
    registerTokens,
    registerAudit,
    registerReload,
    registerBackup,
    registerCompletion,
  ]) {
    register(program, ctx);
  }
  return program;
}

/** An option's value on the command itself, else on its parent command, and so on up (optsWithGlobals lets the program win). */
function nearestOption(command: Command, name: string): string | undefined {
  for (let at: Command | null = command; at; at = at.parent) {
    const value: unknown = at.opts()[name];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** Runs the CLI on the user's arguments (process.argv.slice(2)) and returns the exit code. */
export async function runCli(argv: string[], io?: Partial<CliIo>, deps?: CliDeps): Promise<number> {
  const program = buildProgram(io, deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ExitError) return err.exitCode;
    // Commander has already printed its message (unknown option, missing argument…) or the help.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    writeLine(resolveIo(io).stderr, `error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}
