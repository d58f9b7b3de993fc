// The facts analysis reads from one side's window (canary or baseline), derived the same way
// everywhere: the 5xx rate from the counts, percentiles from the sketch or else the samples.
import type { WindowStats } from '../metrics/types.ts';
import { quantile } from './stats.ts';
import type { SideSummary } from './types.ts';

export function errorCount(stats: WindowStats): number {
  return stats.byClass['5xx'];
}

/** 5xx share of the window's requests; 0 without requests. */
export function errorRate(stats: WindowStats): number {
  return stats.requests > 0 ? errorCount(stats) / stats.requests : 0;
}

/** p50 of the window: the merged sketch's, or the latency samples' when the sketch has none. */
export function p50Of(stats: WindowStats): number | null {
  return stats.p50 ?? quantile(stats.latencies, 0.5);
}

export function p99Of(stats: WindowStats): number | null {
  return stats.p99 ?? quantile(stats.latencies, 0.99);
}

export function summarizeSide(stats: WindowStats): SideSummary {
  return {
    version: stats.version,
    requests: stats.requests,
    errors: errorCount(stats),
    errorRate: errorRate(stats),
    p50: p50Of(stats),
    p99: p99Of(stats),
  };
}
