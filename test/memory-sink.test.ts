import { describe, expect, it } from 'vitest';
import { createMemorySink } from '../src/metrics/memory-sink.ts';
import type { RequestRecord } from '../src/proxy/types.ts';

function rec(i: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    environment: 'production',
    version: 'v1',
    instance: 'i1',
    method: 'GET',
    status: 200,
    latencyMs: 1.5,
    at: 1_000 + i,
    error: undefined,
    ...over,
  };
}

describe('memory sink', () => {
  it('keeps the last N records, oldest first', () => {
    const sink = createMemorySink({ capacity: 3 });
    for (let i = 0; i < 5; i++) sink.record(rec(i));
    expect(sink.records().map((r) => r.at)).toEqual([1002, 1003, 1004]);
    expect(sink.total).toBe(5);
  });

  it('filters by environment, version, time and limit', () => {
    const sink = createMemorySink();
    sink.record(rec(0));
    sink.record(rec(1, { version: 'v2' }));
    sink.record(rec(2, { environment: 'staging' }));
    sink.record(rec(3, { version: 'v2' }));
    expect(sink.records({ version: 'v2' }).map((r) => r.at)).toEqual([1001, 1003]);
    expect(sink.records({ environment: 'staging' }).map((r) => r.at)).toEqual([1002]);
    expect(sink.records({ since: 1002 }).map((r) => r.at)).toEqual([1002, 1003]);
    expect(sink.records({ environment: 'production', limit: 1 }).map((r) => r.at)).toEqual([1003]);
  });

  it('counts per environment, version and status class, beyond the ring capacity', () => {
    const sink = createMemorySink({ capacity: 2 });
    sink.record(rec(0, { status: 200 }));
    sink.record(rec(1, { status: 204 }));
    sink.record(rec(2, { status: 503, version: '' }));
    sink.record(rec(3, { status: 404, version: 'v2' }));
    sink.record(rec(4, { status: 0 }));
    expect(sink.counts()).toEqual([
      { environment: 'production', version: 'v1', statusClass: 'other', count: 1 },
      { environment: 'production', version: 'v1', statusClass: '2xx', count: 2 },
      { environment: 'production', version: '', statusClass: '5xx', count: 1 },
      { environment: 'production', version: 'v2', statusClass: '4xx', count: 1 },
    ]);
  });

  it('notifies subscribers until they unsubscribe', () => {
    const sink = createMemorySink();
    const seen: number[] = [];
    const off = sink.subscribe((r) => seen.push(r.at));
    sink.record(rec(0));
    off();
    sink.record(rec(1));
    expect(seen).toEqual([1000]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => createMemorySink({ capacity: 0 })).toThrow(/positive integer/);
  });
});
