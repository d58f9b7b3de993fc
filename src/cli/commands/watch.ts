// gantry watch RELEASE_ID: follow a release live (or replay a finished one) and exit with its outcome.
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { formatWatching } from '../format.ts';
import { writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';
import { waitForRelease } from '../wait.ts';

interface WatchOptions {
  dataDir?: string;
}

export function registerWatch(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('watch')
    .description(
      'show a release live, event by event; exit 0 if it succeeds, 1 if it fails, aborts or rolls back',
    )
    .argument('<release-id>', 'release id, e.g. rel_m9x2k3a1b2c3d4e5');
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry watch rel_m9x2k3a1b2c3d4e5',
    'gantry watch rel_m9x2k3a1b2c3d4e5 --json | jq .message',
  ]);
  return cmd.action((id: string, opts: WatchOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      if (json) return waitForRelease(ctx.io, client, id, true);
      // What is being watched, and the version the canary's step lines name.
      const { release } = await client.getRelease(id);
      writeLine(ctx.io.stdout, formatWatching(release));
      return waitForRelease(ctx.io, client, id, false, release);
    }),
  );
}
