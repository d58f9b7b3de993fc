// gantry metrics --env ENV [--version V] --metric NAME [--since 1h] [--step 1m]: a metric of an
// environment over the recent past, one column per version.
import { type Command, InvalidArgumentError } from 'commander';
import type { MetricsQueryResponse } from '../../api/types.ts';
import { MAX_DURATION_TEXT, parseDuration } from '../../config/units.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { formatBytes, formatClock, formatDateTime, formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';

const METRICS = [
  'http_requests',
  'http_5xx_rate',
  'http_4xx_rate',
  'http_latency_p50',
  'http_latency_p95',
  'http_latency_p99',
  'instance_cpu',
  'instance_memory',
  'instance_restarts',
];
const DAY_MS = 86_400_000;

interface MetricsOptions {
  env: string;
  version?: string;
  metric: string;
  since: string;
  step?: string;
  dataDir?: string;
}

function parseDurationOption(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new InvalidArgumentError(`expected a duration like 30s, 10m, 1h or 7d, ${MAX_DURATION_TEXT}.`);
  return value;
}

export function registerMetrics(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('metrics')
    .description('show a metric of an environment over the recent past, one column per version')
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .requiredOption('--metric <name>', `one of ${METRICS.join(', ')}`)
    .option('--version <version>', 'only this version (default: every version with data)')
    .option('--since <duration>', 'how far back to look', parseDurationOption, '1h')
    .option('--step <duration>', 'one row per step (default: chosen by the server)', parseDurationOption);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry metrics --env production --metric http_5xx_rate --since 30m --step 1m',
    'gantry metrics --env production --version v2 --metric http_latency_p99 --json',
  ]);
  return cmd.action((opts: MetricsOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.queryMetrics({
        environment: opts.env,
        metric: opts.metric,
        from: `-${opts.since}`,
        to: 'now',
        ...(opts.version !== undefined ? { version: opts.version } : {}),
        ...(opts.step !== undefined ? { step: opts.step } : {}),
      });
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderMetrics(opts, body)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

export function renderMetrics(
  opts: { env: string; metric: string; since: string },
  body: MetricsQueryResponse,
): string[] {
  const series = body.series;
  if (series.length === 0) return [`no data for ${opts.metric} in ${opts.env} over the last ${opts.since}`];
  const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
  const span = (times[times.length - 1] ?? 0) - (times[0] ?? 0);
  const byVersion = series.map((s) => new Map(s.points));
  const rows = times.map((t) => {
    const iso = new Date(t).toISOString();
    return [
      span > DAY_MS ? formatDateTime(iso) : formatClock(iso),
      ...byVersion.map((points) => formatValue(opts.metric, points.get(t) ?? null)),
    ];
  });
  return formatTable(['TIME', ...series.map((s) => s.version || '(no backend)')], rows);
}

export function formatValue(metric: string, v: number | null): string {
  if (v === null) return '-';
  if (metric === 'http_requests') return `${round(v)}/s`;
  if (metric.endsWith('_rate') || metric === 'instance_cpu') return `${round(v * 100)}%`;
  if (metric.startsWith('http_latency')) return `${round(v)} ms`;
  if (metric === 'instance_memory') return formatBytes(Math.round(v));
  return String(round(v));
}

function round(v: number): string {
  const a = Math.abs(v);
  return v.toFixed(a >= 100 || Number.isInteger(v) ? 0 : a >= 10 ? 1 : 2);
}
