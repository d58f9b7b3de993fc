// Captured log lines of the instances, and how they are searched and pruned.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One captured line of an instance's output, parsed and redacted, as stored. */
export interface LogRecord {
  /** Increasing in insertion order: the search cursor. */
  id: number;
  /** '' for lines stored before lines named their service. */
  service: string;
  at: string; // ISO-8601
  environment: string;
  version: string;
  instance: string;
  stream: 'stdout' | 'stderr';
  level: LogLevel | null;
  message: string;
  fields: Record<string, unknown> | null;
  /** The line as printed (redacted). */
  raw: string;
}

export type NewLogLine = Omit<LogRecord, 'id' | 'service'> & { service?: string };

export interface LogSearchQuery {
  /** This service's lines, and those stored before lines named a service. */
  service?: string;
  environment?: string;
  version?: string;
  instance?: string;
  /** Minimum level; lines without a level are left out when given. */
  level?: LogLevel;
  /** Full text: words (all must match), "quoted phrases", word* prefixes. */
  q?: string;
  since?: string; // ISO-8601, inclusive
  until?: string; // ISO-8601, exclusive
  /** Only lines with id < before (the cursor of the next page). */
  before?: number;
  /** Only lines with id > after (resuming a tail). */
  after?: number;
  limit: number;
}

export interface LogRepo {
  /** Inserts the lines in one transaction; returns their ids in the same order. */
  append(lines: NewLogLine[]): Promise<number[]>;
  /** Newest first (by id). */
  search(q: LogSearchQuery): Promise<LogRecord[]>;
  /**
   * What retention counts: the sum of the stored lines' sizes (bytes of their text columns). With
   * a service, this and the prunes count that service's lines and those that name none.
   */
  totalBytes(service?: string): Promise<number>;
  /** Deletes lines captured before `before` (ISO-8601). */
  pruneBefore(before: string, service?: string): Promise<{ lines: number; bytes: number }>;
  /** Deletes the oldest lines until at least `bytes` are freed. */
  pruneOldest(bytes: number, service?: string): Promise<{ lines: number; bytes: number }>;
  /**
   * Gives `level` to the newest `limit` lines of `instance` on `stream` captured at or after
   * `since` (ISO-8601) that have no level; returns how many changed.
   */
  levelUnlevelled(q: {
    instance: string;
    stream: 'stdout' | 'stderr';
    since: string;
    limit: number;
    level: LogLevel;
  }): Promise<number>;
}
