// Per-minute request statistics of each (environment, version).

/** Request statistics of one (environment, version) over one minute. */
export interface MetricRollupRecord {
  service: string;
  environment: string;
  version: string;
  /** Start of the minute, ISO-8601 UTC with milliseconds. */
  minute: string;
  requests: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  clientAborts: number;
  latencySumMs: number;
  /** The minute's latency sketch, serialized by the metrics engine (opaque to the store). */
  sketch: string;
}

export interface MetricRollupRepo {
  /**
   * Inserts each minute's row; when a row for the same (service, environment, version, minute)
   * exists already (a minute flushed at stop, then continued), replaces it with `merge(existing, row)`.
   */
  add(
    rows: MetricRollupRecord[],
    merge: (existing: MetricRollupRecord, row: MetricRollupRecord) => MetricRollupRecord,
  ): Promise<void>;
  /** Rows with minute in [from, to) (ISO-8601), oldest first. */
  list(q: {
    service: string;
    environment: string;
    version?: string;
    from: string;
    to: string;
  }): Promise<MetricRollupRecord[]>;
  /** Deletes rows whose minute is before `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}
