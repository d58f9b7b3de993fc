// gantry slo [--env E]: every SLO with its objective, good/total over the window, attainment, error
// budget remaining and burn rates (docs/slo.md).
import type { Command } from 'commander';
import type { SloStatus } from '../../api/slo-routes.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';

interface SloOptions {
  env?: string;
  dataDir?: string;
}

export function registerSlo(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('slo')
    .description('show each SLO: attainment, error budget remaining and burn rates')
    .option('--env <environment>', 'only this environment');
  addClientOptions(cmd);
  addExamples(cmd, ['gantry slo', 'gantry slo --env production --json']);
  return cmd.action((opts: SloOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.listSlos({ environment: opts.env });
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderSlos(body.slos)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

export function renderSlos(slos: SloStatus[]): string[] {
  if (slos.length === 0) return ['no SLOs: add them under slos: in gantry.yaml (see docs/slo.md)'];
  return formatTable(
    ['SLO', 'ENVIRONMENT', 'OBJECTIVE', 'WINDOW', 'GOOD/TOTAL', 'ATTAINMENT', 'BUDGET LEFT', 'BURN RATES'],
    slos.map((s) => [
      s.kind === 'latency' ? `${s.name} (<= ${s.thresholdMs} ms)` : s.name,
      s.environment,
      percent(s.objective),
      s.window,
      `${s.good}/${s.total}`,
      s.attainment === null ? '-' : percent(s.attainment),
      percent(s.budgetRemaining),
      s.burnRates.map((b) => `${b.window} ${round(b.rate)}x`).join(', '),
    ]),
  );
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}
