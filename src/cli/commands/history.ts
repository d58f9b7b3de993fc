// gantry history --env ENV [--limit N]: an environment's releases, newest first.
import type { Command } from 'commander';
import type { ReleaseRecord } from '../../api/types.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { formatDateTime, formatDuration, formatTable, releaseDurationMs } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples, parsePositiveInt } from '../options.ts';

const DEFAULT_LIMIT = 20;

interface HistoryOptions {
  env: string;
  limit: number;
  dataDir?: string;
}

export function registerHistory(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('history')
    .description("list an environment's releases, newest first")
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .option('--limit <n>', 'how many releases to show', parsePositiveInt, DEFAULT_LIMIT);
  addClientOptions(cmd);
  addExamples(cmd, ['gantry history --env production', 'gantry history --env staging --limit 5 --json']);
  return cmd.action((opts: HistoryOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.listReleases({ environment: opts.env, limit: opts.limit });
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderHistory(opts.env, body.releases)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

export function renderHistory(environment: string, releases: ReleaseRecord[]): string[] {
  if (releases.length === 0) return [`no releases in ${environment} yet`];
  return formatTable(
    ['ID', 'KIND', 'VERSION', 'PREVIOUS', 'STATE', 'STARTED', 'DURATION', 'MESSAGE'],
    releases.map((r) => [
      r.id,
      r.kind,
      r.version,
      r.previousVersion ?? '-',
      r.state,
      formatDateTime(r.createdAt),
      r.finishedAt ? formatDuration(releaseDurationMs(r)) : 'running',
      r.message ?? '',
    ]),
  );
}
