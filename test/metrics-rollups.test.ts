// Minute rollups in a real store (SQLite or PostgreSQL): written when a minute closes, merged when a minute is
// flushed at stop and continued, read back for ranges memory no longer holds, pruned by retention.
import { describe, expect, it } from 'vitest';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import type { MetricRollupRecord } from '../src/store/index.ts';
import { manualClock, req } from './helpers/metrics.ts';
import { useStoreFixture } from './helpers/store.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const MINUTE = 60_000;

const { dir, open } = useStoreFixture();

const rows = (store: Awaited<ReturnType<typeof open>>, from = T0 - MINUTE, to = T0 + 100 * MINUTE) =>
  store.metrics.list({
    service: 'shop',
    environment: 'production',
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });

describe('minute rollups', () => {
  it('merges a row with one stored before and with one of the same batch, and inserts the rest', async () => {
    const store = await open();
    const row = (version: string, minute: number, requests: number): MetricRollupRecord => ({
      service: 'shop',
      environment: 'production',
      version,
      minute: new Date(T0 + minute * MINUTE).toISOString(),
      requests,
      c2xx: requests,
      c3xx: 0,
      c4xx: 0,
      c5xx: 0,
      clientAborts: 0,
      latencySumMs: requests * 10,
      sketch: 'opaque',
    });
    const sum = (a: MetricRollupRecord, b: MetricRollupRecord) => ({
      ...a,
      requests: a.requests + b.requests,
      c2xx: a.c2xx + b.c2xx,
      latencySumMs: a.latencySumMs + b.latencySumMs,
    });
    await store.metrics.add([row('v1', 0, 1)], sum);
    await store.metrics.add([row('v1', 0, 2), row('v1', 1, 4), row('v2', 1, 8), row('v1', 1, 16)], sum);
    expect((await rows(store)).map((r) => [r.version, r.minute, r.requests, r.latencySumMs])).toEqual([
      ['v1', new Date(T0).toISOString(), 3, 30],
      ['v1', new Date(T0 + MINUTE).toISOString(), 20, 200],
      ['v2', new Date(T0 + MINUTE).toISOString(), 8, 80],
    ]);
  });

  it('writes each closed minute per (environment, version) once its grace has passed', async () => {
    const store = await open();
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', store, clock, memorySeconds: 120 });
    for (let i = 0; i < 60; i++)
      engine.record(req(T0 + i * 1000, { latencyMs: 100 + i, status: i < 3 ? 503 : 200 }));
    engine.record(req(T0 + 30_000, { version: 'v2', status: 404, latencyMs: 7 }));
    engine.record(req(T0 + 30_000, { status: 499, error: 'client_abort' }));
    clock.advance(MINUTE + 1000);
    await engine.tick();
    expect(await rows(store)).toEqual([]);
    clock.advance(5000);
    await engine.tick();
    const written = await rows(store);
    expect(written.map(({ sketch, ...r }) => r)).toEqual([
      {
        service: 'shop',
        environment: 'production',
        version: 'v1',
        minute: '2026-05-01T12:00:00.000Z',
        requests: 60,
        c2xx: 57,
        c3xx: 0,
        c4xx: 0,
        c5xx: 3,
        clientAborts: 1,
        latencySumMs: 60 * 100 + (59 * 60) / 2,
      },
      expect.objectContaining({ version: 'v2', requests: 1, c4xx: 1, latencySumMs: 7 }),
    ]);
    await engine.tick();
    expect(await rows(store)).toHaveLength(2);
  });

  it('answers older ranges from rollups: per minute, repeated on steps shorter than a minute', async () => {
    const store = await open();
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', store, clock, memorySeconds: 120 });
    // Minute 0: 120 requests (6 of them 5xx), latencies 1..120 ms; minute 1: none; minute 2: 60.
    for (let i = 0; i < 120; i++)
      engine.record(req(T0 + i * 500, { latencyMs: i + 1, status: i % 20 ? 200 : 500 }));
    for (let i = 0; i < 60; i++) engine.record(req(T0 + 2 * MINUTE + i * 1000, { latencyMs: 50 }));
    for (let m = 1; m <= 10; m++) {
      clock.advance(MINUTE);
      await engine.tick();
    }
    // Memory has moved on: minute 0 and 2 are rollups now.
    expect(engine.window('production', 'v1', T0, T0 + MINUTE).requests).toBe(0);

    const q = { environment: 'production', version: 'v1', from: T0, to: T0 + 3 * MINUTE };
    const perMinute = await engine.query({ ...q, metric: 'http_requests', step: MINUTE });
    expect(perMinute[0]?.points).toEqual([
      [T0, 2],
      [T0 + MINUTE, null],
      [T0 + 2 * MINUTE, 1],
    ]);
    const errors = await engine.query({ ...q, metric: 'http_5xx_rate', step: 20_000, to: T0 + MINUTE });
    expect(errors[0]?.points.map(([, v]) => v)).toEqual([0.05, 0.05, 0.05]);
    const p50 = await engine.query({ ...q, metric: 'http_latency_p50', step: 3 * MINUTE });
    expect(p50[0]?.points[0]?.[1]).toBeGreaterThan(49 * 0.99);
    expect(p50[0]?.points[0]?.[1]).toBeLessThan(51 * 1.01);
    const p99 = await engine.query({ ...q, metric: 'http_latency_p99', step: MINUTE, to: T0 + MINUTE });
    // Exact p99 of 1..120 ms: the element of rank floor(0.99 × 119) = 117, which is 118.
    expect(Math.abs((p99[0]?.points[0]?.[1] as number) - 118) / 118).toBeLessThanOrEqual(0.0101);
  });

  it('joins memory and rollups in one query', async () => {
    const store = await open();
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', store, clock, memorySeconds: 120 });
    for (let m = 0; m < 6; m++) {
      for (let i = 0; i < 60; i++) engine.record(req(T0 + m * MINUTE + i * 1000));
      clock.advance(MINUTE);
      await engine.tick();
    }
    const series = await engine.query({
      environment: 'production',
      metric: 'http_requests',
      from: T0,
      to: T0 + 6 * MINUTE,
      step: MINUTE,
    });
    expect(series[0]?.points.map(([, v]) => v)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('flushes the open minute at stop and merges what a new engine records in it', async () => {
    const file = `${dir()}/gantry.db`;
    const clock = manualClock(T0 + 10_000);
    const first = createMetricsEngine({ service: 'shop', store: await open(file), clock });
    for (let i = 0; i < 10; i++) first.record(req(T0 + 10_000 + i * 100, { latencyMs: 10 }));
    await first.stop();
    const store = await open(file);
    expect((await rows(store)).map((r) => r.requests)).toEqual([10]);

    clock.advance(20_000);
    const second = createMetricsEngine({ service: 'shop', store, clock });
    for (let i = 0; i < 5; i++) second.record(req(T0 + 30_000 + i * 100, { latencyMs: 1000 }));
    clock.advance(40_000);
    await second.tick();
    await second.stop();
    const [row] = await rows(store);
    expect(row).toMatchObject({ requests: 15, c2xx: 15, latencySumMs: 100 + 5000 });
    const { deserializeSketch } = await import('../src/metrics/sketch.ts');
    const sketch = deserializeSketch(row?.sketch ?? '');
    expect(sketch.count).toBe(15);
    expect(sketch.getValueAtQuantile(0.99)).toBeGreaterThan(990);
  });

  it('prunes rollups older than the retention, once an hour', async () => {
    const store = await open();
    const clock = manualClock(T0);
    const engine = createMetricsEngine({
      service: 'shop',
      store,
      clock,
      memorySeconds: 120,
      retentionMs: 3 * 3600_000,
    });
    engine.record(req(T0 + 1000));
    clock.advance(2 * MINUTE);
    await engine.tick();
    expect(await rows(store)).toHaveLength(1);
    clock.advance(170 * MINUTE);
    await engine.tick(); // prunes before T0 - 8 min: nothing yet
    expect(await rows(store)).toHaveLength(1);
    clock.advance(30 * MINUTE);
    await engine.tick(); // past the retention, but the last prune was 30 min ago
    expect(await rows(store)).toHaveLength(1);
    clock.advance(30 * MINUTE);
    await engine.tick();
    expect(await rows(store)).toEqual([]);
  });
});
