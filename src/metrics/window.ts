// WindowStats of one (environment, version) from the seconds memory holds: what canary analysis
// compares. Seconds are the unit: a window covers every whole second that overlaps [from, to), so
// the first partial second of a canary step counts too.
import type { ReservoirPart } from './reservoir.ts';
import { mergeReservoirs } from './reservoir.ts';
import type { SeriesState } from './series.ts';
import { quantileOf } from './sketch.ts';
import { addToTally, emptyTally } from './tally.ts';
import type { WindowStats } from './types.ts';

export const DEFAULT_MAX_SAMPLES = 5000;

export function computeWindow(
  series: SeriesState | undefined,
  environment: string,
  version: string,
  range: { from: number; to: number; oldestSecond: number; newestSecond: number; maxSamples: number },
): WindowStats {
  const first = Math.max(Math.floor(range.from / 1000), range.oldestSecond);
  const last = Math.min(Math.ceil(range.to / 1000) - 1, range.newestSecond);
  const tally = emptyTally();
  const parts: ReservoirPart[] = [];
  if (series) {
    for (let s = first; s <= last; s++) {
      const b = series.bucketAt(s);
      if (!b || b.requests === 0) continue;
      addToTally(tally, b, true);
      parts.push({ samples: b.samples, seen: b.seen });
    }
  }
  let latencies: number[] | undefined;
  return {
    environment,
    version,
    from: Math.floor(range.from / 1000) * 1000,
    to: Math.max(Math.ceil(range.to / 1000) * 1000, Math.floor(range.from / 1000) * 1000),
    requests: tally.requests,
    byClass: { '2xx': tally.c2xx, '3xx': tally.c3xx, '4xx': tally.c4xx, '5xx': tally.c5xx },
    errorRate: tally.requests > 0 ? tally.c5xx / tally.requests : 0,
    p50: quantileOf(tally.sketch, 0.5),
    p95: quantileOf(tally.sketch, 0.95),
    p99: quantileOf(tally.sketch, 0.99),
    // Drawn on first read: the canary's fast checks look at counts every 200 ms, not at samples.
    get latencies() {
      latencies ??= mergeReservoirs(parts, range.maxSamples);
      return latencies;
    },
  };
}
