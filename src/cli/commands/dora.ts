// gantry dora [--env E] [--since 30d]: deployment frequency, lead time for changes, change failure
// rate and time to restore of each environment over a period (docs/slo.md).
import type { Command } from 'commander';
import type { DoraFigures } from '../../api/dora-routes.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { formatDuration, formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';

interface DoraOptions {
  env?: string;
  since: string;
  dataDir?: string;
}

export function registerDora(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('dora')
    .description('show DORA metrics: deployment frequency, lead time, change failure rate, time to restore')
    .option('--env <environment>', 'only this environment')
    .option('--since <duration>', 'the period, ending now', '30d');
  addClientOptions(cmd);
  addExamples(cmd, ['gantry dora', 'gantry dora --env production --since 7d --json']);
  return cmd.action((opts: DoraOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.dora({ environment: opts.env, since: opts.since });
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderDora(body.dora)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

export function renderDora(rows: DoraFigures[]): string[] {
  return formatTable(
    ['ENVIRONMENT', 'DEPLOYS', 'PER DAY', 'LEAD TIME (MEDIAN)', 'CHANGE FAILURE', 'TIME TO RESTORE (MEDIAN)'],
    rows.map((d) => [
      d.environment,
      String(d.deployments),
      String(Math.round(d.deploymentsPerDay * 100) / 100),
      d.leadTime.medianMs === null ? '-' : formatDuration(d.leadTime.medianMs),
      d.changeFailureRate === null
        ? '-'
        : `${Math.round(d.changeFailureRate * 1000) / 10}% (${d.failedChanges}/${d.changes})`,
      d.timeToRestore.medianMs === null ? '-' : formatDuration(d.timeToRestore.medianMs),
    ]),
  );
}
