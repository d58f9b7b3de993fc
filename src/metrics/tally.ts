// Sums of request statistics over several seconds (or minutes): what a window, a query step and a
// minute rollup all add up.
import type { SecondBucket } from './series.ts';
import { createSketch, mergeSketch, type Sketch } from './sketch.ts';

export interface Tally {
  requests: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  clientAborts: number;
  latencySumMs: number;
  /** Merged latency sketch; null until a tally with latencies is added (or when not wanted). */
  sketch: Sketch | null;
}

export function emptyTally(): Tally {
  return { requests: 0, c2xx: 0, c3xx: 0, c4xx: 0, c5xx: 0, clientAborts: 0, latencySumMs: 0, sketch: null };
}

/** Adds counts (and, with `withSketch`, the latency sketch) of a bucket or another tally. */
export function addToTally(into: Tally, from: SecondBucket | Tally, withSketch: boolean): void {
  into.requests += from.requests;
  into.c2xx += from.c2xx;
  into.c3xx += from.c3xx;
  into.c4xx += from.c4xx;
  into.c5xx += from.c5xx;
  into.clientAborts += from.clientAborts;
  into.latencySumMs += from.latencySumMs;
  if (withSketch && from.sketch && from.sketch.count > 0) {
    into.sketch ??= createSketch();
    mergeSketch(into.sketch, from.sketch);
  }
}

export function hasData(t: Tally): boolean {
  return t.requests > 0 || t.clientAborts > 0;
}
