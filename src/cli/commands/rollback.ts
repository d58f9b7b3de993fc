// gantry rollback --env ENV [--to V] [--wait]
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { reportRelease } from '../launch.ts';
import { addClientOptions, addExamples, addWaitOption } from '../options.ts';
import { addOverrideOption, overrideOf, type PolicyOptions } from '../policy-options.ts';

interface RollbackOptions extends PolicyOptions {
  env: string;
  to?: string;
  wait?: boolean;
  dataDir?: string;
}

export function registerRollback(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('rollback')
    .description('release an earlier version to an environment again')
    .requiredOption('--env <environment>', 'environment to roll back, e.g. production')
    .option(
      '--to <version>',
      'version to go back to (default: the last one that succeeded before the current one)',
    );
  addOverrideOption(cmd);
  addWaitOption(cmd);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry rollback --env production --wait',
    'gantry rollback --env staging --to v1 --json',
  ]);
  return cmd.action((opts: RollbackOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const override = overrideOf(opts);
      const client = await createClient(ctx, opts.dataDir);
      const body = { environment: opts.env, ...(opts.to ? { to: opts.to } : {}), ...override };
      const res = await client.rollback(body);
      return reportRelease(ctx, client, res, { json, wait: Boolean(opts.wait) });
    }),
  );
}
