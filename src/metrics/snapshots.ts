// What the outside sees of a series: the statistics of one closed second (for alarms) and the
// counters since start (for the Prometheus exposition).
import { CODE_CLASSES, LATENCY_BUCKETS_MS, type SecondBucket, type SeriesState } from './series.ts';
import { quantileOf } from './sketch.ts';
import { slotLabels } from './status-codes.ts';

export interface SecondStats {
  requests: number;
  byClass: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  clientAborts: number;
  latencySumMs: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ClosedSecond {
  environment: string;
  version: string;
  /** Epoch ms of the second's start. */
  second: number;
  stats: SecondStats;
}

/** Counters since start of one (environment, version), for the Prometheus exposition. */
export interface SeriesCounters {
  environment: string;
  version: string;
  codes: Array<{ codeClass: string; count: number }>;
  /** Responses by `code` label (status-codes.ts), only those seen. */
  statuses: Array<{ code: string; codeClass: string; count: number }>;
  /** Cumulative histogram: observations ≤ each bound (seconds), then +Inf. */
  buckets: Array<{ le: number; count: number }>;
  sumSeconds: number;
  count: number;
}

export function secondStats(b: SecondBucket): SecondStats {
  return {
    requests: b.requests,
    byClass: { '2xx': b.c2xx, '3xx': b.c3xx, '4xx': b.c4xx, '5xx': b.c5xx },
    clientAborts: b.clientAborts,
    latencySumMs: b.latencySumMs,
    p50: quantileOf(b.sketch, 0.5),
    p95: quantileOf(b.sketch, 0.95),
    p99: quantileOf(b.sketch, 0.99),
  };
}

export function countersOf(s: SeriesState): SeriesCounters {
  let cumulative = 0;
  const buckets = [...LATENCY_BUCKETS_MS, Number.POSITIVE_INFINITY].map((ms, i) => {
    cumulative += s.histogram[i] ?? 0;
    return { le: ms / 1000, count: cumulative };
  });
  return {
    environment: s.environment,
    version: s.version,
    codes: CODE_CLASSES.map((codeClass, i) => ({ codeClass, count: s.codes[i] ?? 0 })),
    statuses: [...s.statuses.keys()]
      .filter((slot) => (s.statuses[slot] ?? 0) > 0)
      .map((slot) => ({ ...slotLabels(slot), count: s.statuses[slot] ?? 0 })),
    buckets,
    sumSeconds: s.histogramSumMs / 1000,
    count: cumulative,
  };
}
