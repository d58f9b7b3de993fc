// The helpers a command with subcommands (`gantry alarms list|history|…`) shares: run an action
// with the usual error handling and exit code, a client for the server, printing, subcommands
// with the client options and examples.
import type { Command } from 'commander';
import type { GantryClient } from './client.ts';
import { type CliContext, createClient, perform } from './context.ts';
import { EXIT_OK } from './errors.ts';
import { writeLine } from './io.ts';
import { addClientOptions, addExamples } from './options.ts';

export interface ClientOptions {
  dataDir?: string;
}

export function commandGroup(ctx: CliContext, group: Command) {
  return {
    run: (command: Command, body: (json: boolean) => Promise<void>) =>
      perform(ctx, command, async (json) => {
        await body(json);
        return EXIT_OK;
      }),
    client: (opts: ClientOptions): Promise<GantryClient> => createClient(ctx, opts.dataDir),
    print: (lines: string[]) => {
      for (const line of lines) writeLine(ctx.io.stdout, line);
    },
    sub: (name: string, description: string, examples: string[], opts: { isDefault?: boolean } = {}) => {
      const cmd = addClientOptions(group.command(name, opts).description(description));
      addExamples(cmd, examples);
      return cmd;
    },
  };
}
