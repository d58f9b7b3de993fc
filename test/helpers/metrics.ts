// Fixtures of the metrics tests: a clock moved by hand, and a proxied request's record.
import type { Clock } from '../../src/lib/clock.ts';
import type { RequestRecord } from '../../src/proxy/types.ts';

export function manualClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async () => {},
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A request to production's v1 at `at`: GET, 200, 10 ms, unless `overrides` says otherwise. */
export function req(at: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    environment: 'production',
    version: 'v1',
    instance: 'production-v1-a',
    method: 'GET',
    status: 200,
    latencyMs: 10,
    at,
    ...overrides,
  };
}
