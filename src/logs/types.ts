// The logs module's own types: what the runtime hands in, what a search asks, what the API shows.
import type { LogLevel, LogRecord, LogSearchQuery } from '../store/types.ts';

export type { LogLevel, LogRecord, LogSearchQuery };

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** One line of an instance's output, as the runtime captured it. */
export interface CapturedLine {
  at: number; // epoch ms
  environment: string;
  version: string;
  instance: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** What parsing makes of a line. */
export interface ParsedLine {
  level: LogLevel | null;
  message: string;
  fields: Record<string, unknown> | null;
}

/** Which lines a live tail wants; `q` matches every word case-insensitively in the raw line. */
export type LogFilter = Omit<LogSearchQuery, 'limit' | 'before' | 'after'>;

/** A line as the API and the CLI show it. */
export interface LogLineView {
  id: number;
  at: string;
  environment: string;
  version: string;
  instance: string;
  stream: 'stdout' | 'stderr';
  level: LogLevel | null;
  message: string;
  fields: Record<string, unknown> | null;
  line: string;
}

export function toLogLineView(r: LogRecord): LogLineView {
  return {
    id: r.id,
    at: r.at,
    environment: r.environment,
    version: r.version,
    instance: r.instance,
    stream: r.stream,
    level: r.level,
    message: r.message,
    fields: r.fields,
    line: r.raw,
  };
}

export function atLeastLevel(level: LogLevel | null, minimum: LogLevel): boolean {
  return level !== null && LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}
