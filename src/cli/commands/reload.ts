// gantry reload [--force]: the server re-reads its service files (as on SIGHUP), and says what changed.
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';

interface ReloadOptions {
  force?: boolean;
  dataDir?: string;
}

export function registerReload(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('reload')
    .description("re-read the server's service files: apply changes, start added services, stop removed ones")
    .option('--force', 'stop the running instances of services whose file is gone (refused otherwise)');
  addClientOptions(cmd);
  addExamples(cmd, ['gantry reload', 'gantry reload --force --json']);
  return cmd.action((opts: ReloadOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const { reloaded } = await client.reloadConfig(Boolean(opts.force));
      if (json) {
        writeJson(ctx.io.stdout, { reloaded });
        return EXIT_OK;
      }
      writeLine(ctx.io.stdout, `reloaded ${reloaded.file}`);
      writeLine(ctx.io.stdout, `  applied: ${reloaded.applied.join(', ') || 'nothing changed'}`);
      if (reloaded.added) writeLine(ctx.io.stdout, `  services started: ${reloaded.added.join(', ')}`);
      if (reloaded.removed) writeLine(ctx.io.stdout, `  services stopped: ${reloaded.removed.join(', ')}`);
      return EXIT_OK;
    }),
  );
}
