// Timestamps as ISO-8601 UTC text with milliseconds. They never repeat or go backwards within a
// process, so "newest first" orderings stay exact when several writes land in the same millisecond.
import type { Clock } from '../lib/clock.ts';

export type Timestamper = () => string;

export function createTimestamper(clock: Pick<Clock, 'now'>): Timestamper {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    last = Math.max(clock.now(), last + 1);
    return new Date(last).toISOString();
  };
}
