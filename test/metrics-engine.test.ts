// The metrics engine in memory: counts by class, windows, quantiles, reservoirs, announced seconds,
// queries by step, instance samples. Time is a clock the test moves by hand.
import { describe, expect, it } from 'vitest';
import { type ClosedSecond, createMetricsEngine } from '../src/metrics/engine.ts';
import { manualClock, req } from './helpers/metrics.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

/** Deterministic pseudo-random numbers (mulberry32), so a failing case replays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logNormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random()));
}

function setup(opts: { samplesPerSecond?: number; memorySeconds?: number } = {}) {
  const clock = manualClock(T0);
  const engine = createMetricsEngine({ service: 'shop', clock, ...opts });
  return { clock, engine };
}

describe('recording', () => {
  it('counts responses by status class; proxy errors are 5xx, client aborts and 1xx are apart', () => {
    const { engine } = setup();
    const statuses = [200, 201, 204, 301, 404, 429, 500, 503];
    for (const status of statuses) engine.record(req(T0 + 100, { status }));
    engine.record(req(T0 + 200, { status: 502, error: 'upstream_connect', latencyMs: 1 }));
    engine.record(req(T0 + 300, { status: 504, error: 'upstream_timeout', latencyMs: 30_000 }));
    engine.record(req(T0 + 400, { status: 499, error: 'client_abort' }));
    engine.record(req(T0 + 500, { status: 200, error: 'client_abort' }));
    engine.record(req(T0 + 600, { status: 101 }));
    engine.record(req(T0 + 700, { version: 'v2', status: 500 }));

    const w = engine.window('production', 'v1', T0, T0 + 1000);
    expect(w.requests).toBe(10);
    expect(w.byClass).toEqual({ '2xx': 3, '3xx': 1, '4xx': 2, '5xx': 4 });
    expect(w.errorRate).toBeCloseTo(0.4, 10);
    expect(w.latencies).toHaveLength(10);
    expect(engine.window('production', 'v2', T0, T0 + 1000).byClass['5xx']).toBe(1);
    expect(engine.window('staging', 'v1', T0, T0 + 1000)).toMatchObject({
      requests: 0,
      p99: null,
      latencies: [],
    });

    const v1 = engine.counters().find((c) => c.version === 'v1');
    const codes = Object.fromEntries(v1?.codes.map((c) => [c.codeClass, c.count]) ?? []);
    expect(codes).toEqual({ '1xx': 1, '2xx': 3, '3xx': 1, '4xx': 2, '5xx': 4, other: 0, client_abort: 2 });
    expect(v1?.count).toBe(10);
    expect(v1?.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 10 });
  });

  it('merges the seconds of a window; each second that overlaps the range counts', () => {
    const { engine } = setup();
    for (let s = 0; s < 10; s++) for (let i = 0; i < 5; i++) engine.record(req(T0 + s * 1000 + i * 100));
    expect(engine.window('production', 'v1', T0, T0 + 10_000).requests).toBe(50);
    expect(engine.window('production', 'v1', T0 + 2000, T0 + 4000).requests).toBe(10);
    const partial = engine.window('production', 'v1', T0 + 2500, T0 + 3500);
    expect(partial).toMatchObject({ requests: 10, from: T0 + 2000, to: T0 + 4000 });
  });

  it('gives p50/p95/p99 within 1 % of the exact quantiles of the same data', () => {
    const { engine } = setup();
    const random = seeded(42);
    const all: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ms = logNormal(random, 40, 0.8);
      all.push(ms);
      engine.record(req(T0 + (i % 10) * 1000 + 1, { latencyMs: ms }));
    }
    all.sort((a, b) => a - b);
    const w = engine.window('production', 'v1', T0, T0 + 10_000);
    for (const [q, got] of [
      [0.5, w.p50],
      [0.95, w.p95],
      [0.99, w.p99],
    ] as const) {
      const exact = all[Math.floor(q * (all.length - 1))] as number;
      expect(Math.abs((got as number) - exact) / exact, `p${q * 100}`).toBeLessThanOrEqual(0.0101);
    }
  });
});

describe('reservoir of raw latencies', () => {
  it('keeps at most samplesPerSecond per second, uniformly', () => {
    const { engine } = setup({ samplesPerSecond: 200 });
    for (let i = 0; i < 10_000; i++) engine.record(req(T0 + 1 + (i % 1000) / 10, { latencyMs: i }));
    const w = engine.window('production', 'v1', T0, T0 + 1000);
    expect(w.requests).toBe(10_000);
    expect(w.latencies).toHaveLength(200);
    expect(new Set(w.latencies).size).toBe(200);
    // A uniform sample of 0..9999 has mean 5000 and standard error 2887/√200 ≈ 204.
    const mean = w.latencies.reduce((a, b) => a + b, 0) / w.latencies.length;
    expect(Math.abs(mean - 5000)).toBeLessThan(1000);
    const late = w.latencies.filter((v) => v >= 5000).length;
    expect(late).toBeGreaterThan(60);
    expect(late).toBeLessThan(140);
  });

  it('draws from each second in proportion to the requests it saw, down to maxSamples', () => {
    const { engine } = setup({ samplesPerSecond: 100 });
    for (let i = 0; i < 1000; i++) engine.record(req(T0 + 1, { latencyMs: 1 }));
    for (let i = 0; i < 100; i++) engine.record(req(T0 + 1001, { latencyMs: 2 }));
    const w = engine.window('production', 'v1', T0, T0 + 2000);
    expect(w.latencies.filter((v) => v === 1)).toHaveLength(100);
    expect(w.latencies.filter((v) => v === 2)).toHaveLength(10);

    const small = engine.window('production', 'v1', T0, T0 + 2000, 11);
    expect(small.latencies.length).toBeGreaterThanOrEqual(10);
    expect(small.latencies.length).toBeLessThanOrEqual(12);
  });

  it('returns every latency when all of them fit', () => {
    const { engine } = setup();
    for (let i = 0; i < 30; i++) engine.record(req(T0 + i * 100, { latencyMs: i }));
    const w = engine.window('production', 'v1', T0, T0 + 3000);
    expect([...w.latencies].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});

describe('memory', () => {
  it('drops seconds older than memorySeconds', async () => {
    const { clock, engine } = setup({ memorySeconds: 120 });
    engine.record(req(T0 + 10));
    clock.advance(100_000);
    await engine.tick();
    expect(engine.window('production', 'v1', T0, T0 + 1000).requests).toBe(1);
    clock.advance(30_000);
    await engine.tick();
    expect(engine.window('production', 'v1', T0, T0 + 1000).requests).toBe(0);
    // Records for a second memory no longer holds are counted for Prometheus only.
    engine.record(req(T0 + 20));
    expect(engine.window('production', 'v1', T0, T0 + 1000).requests).toBe(0);
    expect(engine.counters()[0]?.count).toBe(2);
  });

  it('refuses options that cannot work', () => {
    expect(() => createMetricsEngine({ service: 's', memorySeconds: 10 })).toThrow(/memorySeconds/);
    expect(() => createMetricsEngine({ service: 's', samplesPerSecond: 0 })).toThrow(/samplesPerSecond/);
  });
});

describe('announced seconds', () => {
  it('announces each second with requests once, after its grace', async () => {
    const { clock, engine } = setup();
    const seen: ClosedSecond[] = [];
    const unsubscribe = engine.subscribeSecond((s) => seen.push(s));
    engine.record(req(T0 + 100, { status: 500, latencyMs: 20 }));
    engine.record(req(T0 + 200));
    engine.record(req(T0 + 2100, { version: 'v2' }));
    clock.advance(1500);
    await engine.tick();
    expect(seen).toEqual([]);
    clock.advance(600);
    await engine.tick();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      environment: 'production',
      version: 'v1',
      second: T0,
      stats: { requests: 2, byClass: { '2xx': 1, '5xx': 1 }, latencySumMs: 30 },
    });
    clock.advance(2000);
    await engine.tick();
    await engine.tick();
    expect(seen.map((s) => [s.version, s.second])).toEqual([
      ['v1', T0],
      ['v2', T0 + 2000],
    ]);
    unsubscribe();
    engine.record(req(T0 + 5100));
    clock.advance(3000);
    await engine.tick();
    expect(seen).toHaveLength(2);
  });
});

describe('query from memory', () => {
  it('gives one series per version with null points where there was no traffic', async () => {
    const { clock, engine } = setup();
    // v1: 20 requests in [0s, 10s), one 5xx; nothing in [10s, 20s); 10 in [20s, 30s). v2: 5 in [0s, 10s).
    for (let i = 0; i < 20; i++) engine.record(req(T0 + i * 400, { status: i === 0 ? 500 : 200 }));
    for (let i = 0; i < 10; i++) engine.record(req(T0 + 20_000 + i * 900, { status: 404 }));
    for (let i = 0; i < 5; i++) engine.record(req(T0 + i * 1000, { version: 'v2', latencyMs: 100 }));
    clock.advance(30_000);

    const q = { environment: 'production', from: T0, to: T0 + 30_000, step: 10_000 };
    const requests = await engine.query({ ...q, metric: 'http_requests' });
    expect(requests.map((s) => s.version)).toEqual(['v1', 'v2']);
    expect(requests[0]?.points).toEqual([
      [T0, 2],
      [T0 + 10_000, null],
      [T0 + 20_000, 1],
    ]);
    expect(requests[1]?.points).toEqual([
      [T0, 0.5],
      [T0 + 10_000, null],
      [T0 + 20_000, null],
    ]);
    const errors = await engine.query({ ...q, metric: 'http_5xx_rate', version: 'v1' });
    expect(errors.map((s) => s.points.map(([, v]) => v))).toEqual([[0.05, null, 0]]);
    const notFound = await engine.query({ ...q, metric: 'http_4xx_rate', version: 'v1' });
    expect(notFound[0]?.points.map(([, v]) => v)).toEqual([0, null, 1]);
    const p99 = await engine.query({ ...q, metric: 'http_latency_p99', version: 'v2' });
    expect(p99[0]?.points[0]?.[1]).toBeCloseTo(100, -0.5);
    expect(await engine.query({ ...q, metric: 'http_requests', version: 'v9' })).toEqual([
      {
        environment: 'production',
        version: 'v9',
        metric: 'http_requests',
        points: [
          [T0, null],
          [T0 + 10_000, null],
          [T0 + 20_000, null],
        ],
      },
    ]);
  });

  it('aligns steps to multiples of the step and says what is wrong with a bad query', async () => {
    const { clock, engine } = setup();
    engine.record(req(T0 + 61_000));
    clock.advance(120_000);
    const series = await engine.query({
      environment: 'production',
      metric: 'http_requests',
      from: T0 + 59_000,
      to: T0 + 121_000,
      step: 60_000,
    });
    expect(series[0]?.points).toEqual([
      [T0, null],
      [T0 + 60_000, 1 / 60],
      [T0 + 120_000, null],
    ]);
    const base = { environment: 'production', from: T0, to: T0 + 60_000, step: 1000 };
    await expect(engine.query({ ...base, metric: 'cpu' })).rejects.toThrow(/unknown metric cpu/);
    await expect(engine.query({ ...base, metric: 'http_requests', step: 10 })).rejects.toThrow(/at least 1s/);
    await expect(engine.query({ ...base, metric: 'http_requests', to: T0 })).rejects.toThrow(
      /range is empty/,
    );
    await expect(
      engine.query({ ...base, metric: 'http_requests', to: T0 + 30 * 24 * 3600_000 }),
    ).rejects.toThrow(/at most 11000/);
    expect(await engine.query({ ...base, metric: 'probe_failures' })).toEqual([]);
  });
});

describe('instance samples', () => {
  it('sums CPU and memory over a version’s instances and counts restarts per step', async () => {
    const { clock, engine } = setup();
    const sample = (id: string, at: number, cpu: number, rss: number, restarts: number) =>
      engine.setInstanceSample({
        instanceId: id,
        environment: 'production',
        version: 'v1',
        at: T0 + at,
        cpu,
        rssBytes: rss,
        restarts,
      });
    sample('a', 0, 0.5, 100, 0);
    sample('b', 0, 0.25, 50, 1);
    sample('a', 5000, 0.7, 120, 0);
    sample('b', 5000, 0.25, 50, 1);
    sample('a', 10_000, 0.1, 100, 2);
    clock.advance(20_000);
    const q = { environment: 'production', from: T0, to: T0 + 20_000, step: 10_000 };
    const cpu = await engine.query({ ...q, metric: 'instance_cpu' });
    expect(cpu[0]?.version).toBe('v1');
    expect(cpu[0]?.points[0]?.[1]).toBeCloseTo(0.6 + 0.25, 10);
    // b has no sample in the second step: its last one, 5 s before, still stands.
    expect(cpu[0]?.points[1]?.[1]).toBeCloseTo(0.1 + 0.25, 10);
    const memory = await engine.query({ ...q, metric: 'instance_memory' });
    expect(memory[0]?.points.map(([, v]) => v)).toEqual([110 + 50, 100 + 50]);
    const restarts = await engine.query({ ...q, metric: 'instance_restarts' });
    expect(restarts[0]?.points.map(([, v]) => v)).toEqual([0, 2]);
    expect(await engine.query({ ...q, environment: 'staging', metric: 'instance_cpu' })).toEqual([]);
  });
});
