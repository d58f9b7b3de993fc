// gantry promote --from staging --to production [--version V] [--wait]
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { reportRelease } from '../launch.ts';
import { addClientOptions, addExamples, addWaitOption } from '../options.ts';
import { addOverrideOption, overrideOf, type PolicyOptions } from '../policy-options.ts';

interface PromoteOptions extends PolicyOptions {
  from: string;
  to: string;
  version?: string;
  wait?: boolean;
  dataDir?: string;
}

export function registerPromote(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('promote')
    .description('release the version serving in one environment to another')
    .requiredOption('--from <environment>', 'environment the version comes from, e.g. staging')
    .requiredOption('--to <environment>', 'environment to release it to, e.g. production')
    .option('--version <version>', 'version to promote (default: the one serving in --from)');
  addOverrideOption(cmd);
  addWaitOption(cmd);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry promote --from staging --to production --wait',
    'gantry promote --from staging --to production --version v2 --json',
  ]);
  return cmd.action((opts: PromoteOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const override = overrideOf(opts);
      const client = await createClient(ctx, opts.dataDir);
      const body = {
        from: opts.from,
        to: opts.to,
        ...(opts.version ? { version: opts.version } : {}),
        ...override,
      };
      const res = await client.promote(body);
      return reportRelease(ctx, client, res, { json, wait: Boolean(opts.wait) });
    }),
  );
}
