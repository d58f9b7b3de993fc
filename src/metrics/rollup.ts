// Minute rollups: the seconds of a closed minute, summed per (environment, version) into one row
// of the store, and rows read back as tallies for ranges memory no longer holds.
import type { MetricRollupRecord } from '../store/types.ts';
import type { SecondBucket, SeriesState } from './series.ts';
import { createSketch, deserializeSketch, mergeSketch, serializeSketch } from './sketch.ts';
import { addToTally, emptyTally, type Tally } from './tally.ts';

export const MINUTE_MS = 60_000;

export interface PendingRollup {
  row: MetricRollupRecord;
  /** Buckets summed into the row, marked rolled; unmarked again if the write fails. */
  buckets: SecondBucket[];
}

/**
 * Sums the seconds of the minute starting at `minuteMs` that were not rolled up yet, and marks them
 * rolled. Undefined when the minute holds nothing new.
 */
export function collectMinute(
  service: string,
  series: SeriesState,
  minuteMs: number,
): PendingRollup | undefined {
  const tally = emptyTally();
  const buckets: SecondBucket[] = [];
  const first = minuteMs / 1000;
  for (let s = first; s < first + 60; s++) {
    const b = series.bucketAt(s);
    if (!b || b.rolled || (b.requests === 0 && b.clientAborts === 0)) continue;
    addToTally(tally, b, true);
    b.rolled = true;
    buckets.push(b);
  }
  if (buckets.length === 0) return undefined;
  return {
    row: {
      service,
      environment: series.environment,
      version: series.version,
      minute: new Date(minuteMs).toISOString(),
      requests: tally.requests,
      c2xx: tally.c2xx,
      c3xx: tally.c3xx,
      c4xx: tally.c4xx,
      c5xx: tally.c5xx,
      clientAborts: tally.clientAborts,
      latencySumMs: tally.latencySumMs,
      sketch: serializeSketch(tally.sketch ?? createSketch()),
    },
    buckets,
  };
}

/** Adds two rows of the same minute (a minute flushed at stop, then continued). */
export function mergeRollups(existing: MetricRollupRecord, row: MetricRollupRecord): MetricRollupRecord {
  const sketch = deserializeSketch(existing.sketch);
  mergeSketch(sketch, deserializeSketch(row.sketch));
  return {
    ...existing,
    requests: existing.requests + row.requests,
    c2xx: existing.c2xx + row.c2xx,
    c3xx: existing.c3xx + row.c3xx,
    c4xx: existing.c4xx + row.c4xx,
    c5xx: existing.c5xx + row.c5xx,
    clientAborts: existing.clientAborts + row.clientAborts,
    latencySumMs: existing.latencySumMs + row.latencySumMs,
    sketch: serializeSketch(sketch),
  };
}

/** A stored row as a tally; the sketch is decoded only when latencies are wanted. */
export function rollupTally(row: MetricRollupRecord, withSketch: boolean): Tally {
  const t = emptyTally();
  addToTally(t, { ...row, sketch: null }, false);
  if (withSketch && row.requests > 0) t.sketch = deserializeSketch(row.sketch);
  return t;
}
