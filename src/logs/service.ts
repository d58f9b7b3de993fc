// The logs service: every captured line is parsed, redacted, counted against the log patterns and
// handed to the batching writer; stored lines go to live tails; retention runs periodically.
import type { LoadedConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { LogRecord, LogSearchQuery, Store } from '../store/types.ts';
import { CRASH_OUTPUT_MAX_LINES, CRASH_OUTPUT_WINDOW_MS } from './crash-output.ts';
import { cutLine } from './cut-line.ts';
import { parseLine } from './parse.ts';
import { createPatternCounter, type PatternCounter } from './patterns.ts';
import { createRedactor, type Redactor } from './redact.ts';
import { enforceRetention, RETENTION_INTERVAL_MS, type RetentionOutcome } from './retention.ts';
import { LogTail } from './tail.ts';
import type { CapturedLine, LogFilter } from './types.ts';
import { LogWriter } from './writer.ts';

export interface LogServiceOptions {
  config: () => LoadedConfig;
  store: Pick<Store, 'logs'>;
  clock?: Clock;
  logger?: Logger;
  /** Secret values to mask (e.g. the values of the variables named by `${secret:…}`). */
  redact: () => readonly string[];
}

export interface LogService {
  /** Takes one captured line (the runtime's `log` events); never waits for the store. */
  ingest(line: CapturedLine): void;
  start(): Promise<void>;
  /** Writes the waiting lines and stops the timers. */
  stop(): Promise<void>;
  /** Writes the waiting lines now (tests, shutdown). */
  flush(): Promise<void>;
  /** Newest first; lines still waiting in the writer are not included. */
  search(q: LogSearchQuery): Promise<LogRecord[]>;
  /** Live tail: each stored line matching the filter, in order; returns the unsubscribe. */
  subscribe(filter: LogFilter, fn: (r: LogRecord) => void): () => void;
  /**
   * An instance crashed at `at` (epoch ms): its unlevelled stderr lines just before become errors
   * (crash-output.ts). Resolves with how many lines changed, once they are stored.
   */
  crashed(c: { instance: string; at: number }): Promise<number>;
  /** Applies the retention of gantry.yaml now (the periodic check's work). */
  enforceRetention(): Promise<RetentionOutcome>;
  /** log_matches:<name> for the alarm engine (see patterns.ts for when a datapoint is null). */
  readonly metrics: PatternCounter;
  stats(): { written: number; dropped: number; pending: number; tails: number };
}

export function createLogService(opts: LogServiceOptions): LogService {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const tail = new LogTail();
  const writer = new LogWriter({ repo: opts.store.logs, logger, onWritten: (r) => tail.publish(r) });
  let countingSince = Number.POSITIVE_INFINITY;
  const metrics = createPatternCounter({
    patterns: () => opts.config().config.logs.patterns,
    since: () => countingSince,
  });
  let secrets: readonly string[] | undefined;
  let redactor: Redactor = createRedactor([]);
  let retentionTimer: NodeJS.Timeout | undefined;
  let retaining: Promise<RetentionOutcome> | undefined;

  const currentRedactor = (): Redactor => {
    const values = opts.redact();
    if (values !== secrets) {
      secrets = values;
      redactor = createRedactor(values);
    }
    return redactor;
  };

  const runRetention = (): Promise<RetentionOutcome> => {
    retaining ??= enforceRetention({
      repo: opts.store.logs,
      retention: opts.config().config.logs.retention,
      now: clock.now(),
    }).finally(() => {
      retaining = undefined;
    });
    return retaining;
  };

  return {
    metrics,
    ingest(c) {
      const r = currentRedactor();
      // Masked first, then cut: a secret across the cut would otherwise leave its first part.
      const raw = cutLine(r.text(c.line));
      const parsed = r.parsed(parseLine(raw));
      metrics.count(c.environment, c.at, raw);
      writer.push({
        service: opts.config().config.service,
        at: new Date(c.at).toISOString(),
        environment: c.environment,
        version: c.version,
        instance: c.instance,
        stream: c.stream,
        level: parsed.level,
        message: parsed.message,
        fields: parsed.fields,
        raw,
      });
    },
    async start() {
      countingSince = Math.min(countingSince, clock.now());
      retentionTimer ??= setInterval(() => {
        metrics.prune(clock.now());
        runRetention().catch((err: unknown) => logger.error({ err }, 'log retention failed'));
      }, RETENTION_INTERVAL_MS);
      retentionTimer.unref();
      await runRetention().catch((err: unknown) => logger.error({ err }, 'log retention failed'));
    },
    async stop() {
      if (retentionTimer) clearInterval(retentionTimer);
      retentionTimer = undefined;
      await writer.flush();
      await retaining?.catch(() => undefined);
    },
    flush: () => writer.flush(),
    async crashed(c) {
      // The crash's last lines may still wait in the writer: stored first, then leveled.
      await writer.flush();
      return opts.store.logs.levelUnlevelled({
        instance: c.instance,
        stream: 'stderr',
        since: new Date(c.at - CRASH_OUTPUT_WINDOW_MS).toISOString(),
        limit: CRASH_OUTPUT_MAX_LINES,
        level: 'error',
      });
    },
    search: (q) => opts.store.logs.search(q),
    subscribe: (filter, fn) => tail.subscribe(filter, fn),
    enforceRetention: runRetention,
    stats: () => ({ ...writer.stats, tails: tail.size }),
  };
}
