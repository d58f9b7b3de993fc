// The request records a data plane keeps while no control plane reads them: bounded, newest kept,
// drops counted once, batches in arrival order.
import { describe, expect, it } from 'vitest';
import { RecordBuffer } from '../src/dataplane/record-buffer.ts';
import type { RequestRecord } from '../src/proxy/types.ts';

const rec = (at: number): RequestRecord => ({
  environment: 'production',
  version: 'v1',
  instance: 'i1',
  method: 'GET',
  status: 200,
  latencyMs: 1,
  at,
});

describe('RecordBuffer', () => {
  it('hands records over in batches, oldest first', () => {
    const b = new RecordBuffer(1_000);
    for (let i = 0; i < 250; i++) b.record(rec(i));
    const first = b.take(100);
    expect(first.records.map((r) => r.at)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(first.dropped).toBe(0);
    expect(b.take(1_000).records).toHaveLength(150);
    expect(b.size).toBe(0);
  });

  it('keeps the newest records when full and counts the dropped ones once', () => {
    const b = new RecordBuffer(1_000);
    for (let i = 0; i < 1_500; i++) b.record(rec(i));
    expect(b.size).toBeLessThanOrEqual(1_000);
    const { records, dropped } = b.take(2_000);
    expect(records.length + dropped).toBe(1_500);
    expect(records.at(-1)?.at).toBe(1_499);
    expect(records[0]?.at).toBe(dropped);
    expect(b.take().dropped).toBe(0);
  });
});
