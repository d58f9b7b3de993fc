// The facts analysis reads from one side's window (canary or baseline), derived the same way
// everywhere: the 5xx and 4xx rates from the counts, percentiles from the sketch or else the samples.
import type { WindowStats } from '../metrics/types.ts';
import { CLIENT_ERRORS, classCount, classRate, SERVER_ERRORS } from './error-classes.ts';
import { quantile } from './stats.ts';
import type { SideSummary } from './types.ts';

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
    errors: classCount(stats, SERVER_ERRORS),
    errorRate: classRate(stats, SERVER_ERRORS),
    clientErrors: classCount(stats, CLIENT_ERRORS),
    clientErrorRate: classRate(stats, CLIENT_ERRORS),
    p50: p50Of(stats),
    p99: p99Of(stats),
  };
}
