// SLO arithmetic against hand-computed cases, and SLO state read from a real metrics engine and a
// real SQLite store across a restart of the engine and past rollup retention.
import { describe, expect, it } from 'vitest';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { createSketch } from '../src/metrics/sketch.ts';
import { emptyTally } from '../src/metrics/tally.ts';
import { budgetRemaining, burnRate, countAtMost, countsOf, errorBudget } from '../src/slo/budget.ts';
import { burnRules, burnWindows } from '../src/slo/burn-windows.ts';
import { computeSloStatus, createSloReader, sloBudgets } from '../src/slo/status.ts';
import { manualClock, req } from './helpers/metrics.ts';
import { useStoreFixture } from './helpers/store.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

describe('error budget arithmetic', () => {
  it.each([
    // objective, good, total → remaining, burn rate; worked by hand
    {
      name: '99.95%: 20 bad of 100000 spends 20 of 50 allowed',
      objective: 0.9995,
      good: 99_980,
      total: 100_000,
      remaining: 0.6,
      burn: 0.4,
    },
    {
      name: '99%: 10 bad of 1000 spends it all',
      objective: 0.99,
      good: 990,
      total: 1000,
      remaining: 0,
      burn: 1,
    },
    {
      name: '99%: 30 bad of 1000 overspends twice',
      objective: 0.99,
      good: 970,
      total: 1000,
      remaining: -2,
      burn: 3,
    },
    { name: '99.9%: no bad request', objective: 0.999, good: 5000, total: 5000, remaining: 1, burn: 0 },
    { name: 'no requests: untouched', objective: 0.999, good: 0, total: 0, remaining: 1, burn: 0 },
    {
      name: '90%: 144 bad of 100 burns at 14.4',
      objective: 0.9,
      good: 856,
      total: 1000,
      remaining: -0.44,
      burn: 1.44,
    },
  ])('$name', ({ objective, good, total, remaining, burn }) => {
    expect(budgetRemaining({ good, total }, objective)).toBeCloseTo(remaining, 12);
    expect(burnRate({ good, total }, objective)).toBeCloseTo(burn, 12);
  });

  it('takes 1 − objective without float dust', () => {
    expect(errorBudget(0.9995)).toBe(0.0005);
    expect(errorBudget(0.99)).toBe(0.01);
  });

  it('counts availability as not-5xx among answered requests, and latency from the sketch', () => {
    const t = emptyTally();
    t.requests = 100;
    t.c2xx = 90;
    t.c4xx = 6;
    t.c5xx = 4;
    t.clientAborts = 3;
    expect(countsOf({}, t)).toEqual({ good: 96, total: 100 });
    const sketch = createSketch();
    for (let ms = 1; ms <= 1000; ms++) sketch.accept(ms);
    sketch.accept(0);
    t.sketch = sketch;
    // 0 ms and 1..500 ms are good (the sketch's 1 % accuracy may move the limit by a bin or two).
    const good = countAtMost(sketch, 500);
    expect(Math.abs(good - 501)).toBeLessThanOrEqual(5);
    expect(countsOf({ threshold: 500 }, t)).toEqual({ good, total: 1001 });
    expect(countAtMost(sketch, 10_000)).toBe(1001);
    expect(countAtMost(null, 500)).toBe(0);
  });

  it('scales the workbook windows to the SLO window', () => {
    expect(burnRules(30 * DAY)).toEqual([
      { severity: 'page', factor: 14.4, long: HOUR, short: 5 * MINUTE },
      { severity: 'page', factor: 6, long: 6 * HOUR, short: 30 * MINUTE },
      { severity: 'ticket', factor: 1, long: 3 * DAY, short: 6 * HOUR },
    ]);
    const week = burnRules(7 * DAY);
    expect(week[0]).toMatchObject({ long: 14 * MINUTE, short: 70_000 });
    expect(week[2]).toMatchObject({ long: 16.8 * HOUR, short: 1.4 * HOUR });
    expect(burnWindows(30 * DAY)).toEqual([5 * MINUTE, 30 * MINUTE, HOUR, 6 * HOUR, 3 * DAY]);
  });
});

describe('SLO state from the metrics engine', () => {
  const { open } = useStoreFixture();
  const availability = { name: 'availability', environment: 'production', objective: 0.99, window: 30 * DAY };

  it('counts minutes written before a restart together with the seconds after it', async () => {
    const store = await open();
    const clock = manualClock(T0);
    const before = createMetricsEngine({ service: 'shop', store, clock, memorySeconds: 120 });
    // Minute 0: 100 requests, 2 of them 503; minute 1: 100 requests, 1 of them 500.
    for (let i = 0; i < 100; i++) before.record(req(T0 + i * 500, { status: i < 2 ? 503 : 200 }));
    for (let i = 0; i < 100; i++) before.record(req(T0 + MINUTE + i * 500, { status: i < 1 ? 500 : 200 }));
    clock.advance(2 * MINUTE + 10_000);
    await before.tick();
    await before.stop();

    clock.advance(10 * MINUTE);
    const after = createMetricsEngine({ service: 'shop', store, clock, memorySeconds: 120 });
    clock.advance(40_000);
    const now = clock.now();
    // After the restart: 50 requests, 1 of them 502, still in memory.
    for (let i = 0; i < 50; i++) after.record(req(now - 30_000 + i * 100, { status: i === 0 ? 502 : 200 }));
    const status = await computeSloStatus(after, availability, now + 1);
    expect(status).toMatchObject({ good: 246, total: 250, window: '30d' });
    expect(status.attainment).toBeCloseTo(246 / 250, 12);
    // 4 bad of 2.5 allowed: 1 − 4/2.5 = −0.6.
    expect(status.budgetRemaining).toBeCloseTo(-0.6, 12);
    const fiveMinutes = status.burnRates.find((b) => b.window === '5m');
    expect(fiveMinutes).toMatchObject({ good: 49, total: 50 });
    expect(fiveMinutes?.rate).toBeCloseTo(2, 12);
  });

  it('leaves out what fell out of the window, and answers from the store alone', async () => {
    const store = await open();
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', store, clock, memorySeconds: 120 });
    for (let i = 0; i < 10; i++) engine.record(req(T0 + i * 1000, { status: 500 }));
    for (let i = 0; i < 10; i++) engine.record(req(T0 + 2 * MINUTE + i * 1000));
    for (let m = 0; m < 4; m++) {
      clock.advance(MINUTE);
      await engine.tick();
    }
    await engine.stop();
    const week = { ...availability, window: 7 * DAY };
    const reader = createSloReader({ slos: () => [week], source: engine, now: () => clock.now() });
    expect((await reader.list())[0]).toMatchObject({ good: 10, total: 20 });
    clock.advance(7 * DAY - 3 * MINUTE);
    // Minute 0 is now outside the window (its middle is before the window's start); minute 2 inside.
    const fresh = createSloReader({ slos: () => [week], source: engine, now: () => clock.now() });
    expect((await fresh.list())[0]).toMatchObject({ good: 10, total: 10, budgetRemaining: 1 });
    expect(await fresh.list('staging')).toEqual([]);
  });

  it('reuses a state computed less than the cache time ago, and recomputes after', async () => {
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', clock });
    const reader = createSloReader({
      slos: () => [availability],
      source: engine,
      now: () => clock.now(),
      cacheMs: 10_000,
    });
    expect((await reader.list())[0]?.total).toBe(0);
    engine.record(req(T0 - 1000));
    expect((await reader.list())[0]?.total).toBe(0);
    clock.advance(10_000);
    expect((await reader.list())[0]?.total).toBe(1);
  });
});

describe('the SLO reader for the error-budget gate', () => {
  it('computes afresh for the gate, and the API then reads that fresher state', async () => {
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', clock });
    const slo = { name: 'availability', environment: 'production', objective: 0.99, window: 30 * DAY };
    const reader = createSloReader({ slos: () => [slo], source: engine, now: () => clock.now() });
    expect((await reader.list())[0]?.budgetRemaining).toBe(1);
    engine.record(req(T0 - 1000, { status: 503 }));
    expect((await reader.list())[0]?.total).toBe(0);
    expect(await sloBudgets(reader)('production')).toEqual([{ slo: 'availability', remaining: -99 }]);
    expect((await reader.list())[0]?.total).toBe(1);
  });
});
