// gantry logs --env ENV [--version V] [--instance I] [--grep TEXT] [--level L] [--since 10m]
// [--until T] [--limit N] [--follow] [--json]: stored lines oldest first, then (with --follow) the
// live tail over Server-Sent Events until Ctrl-C, reconnecting without losing or repeating lines.
import { type Command, InvalidArgumentError } from 'commander';
import type { LogLineView } from '../../api/logs-routes.ts';
import { MAX_DURATION_TEXT } from '../../config/units.ts';
import { type Clock, systemClock } from '../../lib/clock.ts';
import { parseLogTime } from '../../logs/time.ts';
import { LOG_LEVELS } from '../../logs/types.ts';
import type { GantryClient, LogQueryParams } from '../client.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { ApiError, ConnectionError, EXIT_OK } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples, parsePositiveInt } from '../options.ts';
import { parseSse } from '../sse.ts';

const DEFAULT_LIMIT = 100;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

interface LogsOptions {
  env: string;
  version?: string;
  instance?: string;
  grep?: string;
  level?: string;
  since?: string;
  until?: string;
  limit: number;
  follow?: boolean;
  dataDir?: string;
}

function parseLevel(value: string): string {
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}.`);
  }
  return level;
}

function parseTimeOption(value: string): string {
  if (parseLogTime(value, Date.now()) === undefined) {
    throw new InvalidArgumentError(
      `expected ISO-8601 (2026-05-01T12:00:00Z), now, or a duration like 10m or 2h (${MAX_DURATION_TEXT}).`,
    );
  }
  return value;
}

export function registerLogs(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('logs')
    .description("show the instances' output of an environment: search it, or follow it live")
    .requiredOption('--env <environment>', 'environment, e.g. production')
    .option('--version <version>', 'only this version')
    .option('--instance <id>', 'only this instance')
    .option(
      '--grep <text>',
      'full-text search: every word must appear, "quote" a phrase, word* a prefix; when no word matches, a substring of the newest lines',
    )
    .option('--level <level>', `minimum level: ${LOG_LEVELS.join(', ')}`, parseLevel)
    .option(
      '--since <time>',
      'from this time: ISO-8601 or a duration back from now (10m, 2h)',
      parseTimeOption,
    )
    .option('--until <time>', 'up to this time, same forms as --since', parseTimeOption)
    .option('--limit <n>', 'how many stored lines to show', parsePositiveInt, DEFAULT_LIMIT)
    .option('-f, --follow', 'then keep printing new lines until Ctrl-C');
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry logs --env production --since 10m',
    'gantry logs --env production --grep "payment failed" --level error',
    'gantry logs --env staging --version v2 --follow',
    'gantry logs --env production --since 1h --json | jq .message',
  ]);
  return cmd.action((o: LogsOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, o.dataDir);
      const q: LogQueryParams = {
        environment: o.env,
        version: o.version,
        instance: o.instance,
        level: o.level,
        q: o.grep,
        since: o.since,
        until: o.until,
      };
      const print = (v: LogLineView) =>
        json ? writeJson(ctx.io.stdout, v) : writeLine(ctx.io.stdout, formatLogLine(v));
      const { lines } = await client.searchLogs({ ...q, limit: o.limit });
      for (const v of lines.reverse()) print(v);
      if (!o.follow) return EXIT_OK;
      const stop = new AbortController();
      const onInterrupt = () => stop.abort();
      process.once('SIGINT', onInterrupt);
      try {
        await followLogs(client, { ...q, since: undefined, until: undefined }, print, {
          signal: stop.signal,
          after: lines[lines.length - 1]?.id ?? 0,
          onReconnect: (reason) => writeLine(ctx.io.stderr, `log stream lost (${reason}); reconnecting…`),
        });
      } finally {
        process.off('SIGINT', onInterrupt);
      }
      return EXIT_OK;
    }),
  );
}

/**
 * Prints the live tail until `signal` aborts (then resolves). A dropped stream is reopened with
 * Last-Event-ID, so the server replays the lines missed in between and none is shown twice.
 */
export async function followLogs(
  client: Pick<GantryClient, 'openLogStream'>,
  q: LogQueryParams,
  onLine: (v: LogLineView) => void,
  opts: { signal: AbortSignal; after?: number; clock?: Clock; onReconnect?: (reason: string) => void },
): Promise<void> {
  const clock = opts.clock ?? systemClock;
  let last = opts.after;
  let failures = 0;
  while (!opts.signal.aborted) {
    let reason = 'the server closed the stream';
    try {
      const body = await client.openLogStream(q, last, opts.signal);
      for await (const msg of parseSse(body)) {
        if (msg.event !== 'log') continue;
        const v = JSON.parse(msg.data) as LogLineView;
        if (last !== undefined && v.id <= last) continue;
        last = v.id;
        failures = 0;
        onLine(v);
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      if (err instanceof ApiError && err.status < 500) throw err;
      reason = err instanceof ConnectionError ? err.reason : err instanceof Error ? err.message : String(err);
    }
    if (opts.signal.aborted) return;
    failures++;
    opts.onReconnect?.(reason);
    try {
      await clock.sleep(Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS), opts.signal);
    } catch {
      return;
    }
  }
}

/** `12:03:04 production v2 production-v2-ab12 ERROR payment failed {"order":42}` */
export function formatLogLine(v: LogLineView): string {
  const parts = [v.at.slice(11, 19), v.environment, v.version, v.instance];
  if (v.level !== null) parts.push(v.level.toUpperCase());
  parts.push(v.message);
  if (v.fields !== null) parts.push(JSON.stringify(v.fields));
  return parts.join(' ');
}
