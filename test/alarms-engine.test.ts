// The alarm engine with a real metrics engine fed by record(), a real SQLite store in a temp dir and
// a clock the test moves: the moment of evaluation, M of N, recovery, missing data per treatment,
// reload and restart keeping state, restarts counted from environment events.
import { afterEach, describe, expect, it } from 'vitest';
import { type AlarmEngine, createAlarmEngine } from '../src/alarms/engine.ts';
import { EVALUATION_GRACE_MS } from '../src/alarms/rules.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/index.ts';
import type { LoadedConfig } from '../src/config/types.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine, type MetricsEngine } from '../src/metrics/engine.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

interface VirtualClock extends Clock {
  set(t: number): void;
  /** Every time a sleeper asked to be woken at, in order. */
  wakeTimes: number[];
}

/** A clock whose sleepers wake only when the test moves time past their deadline. */
function virtualClock(start: number): VirtualClock {
  let now = start;
  let timers: Array<{ at: number; wake: () => void }> = [];
  const wakeTimes: number[] = [];
  return {
    now: () => now,
    wakeTimes,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = { at: now + ms, wake: resolve };
        wakeTimes.push(timer.at);
        timers.push(timer);
        signal?.addEventListener(
          'abort',
          () => {
            timers = timers.filter((t) => t !== timer);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    set(t) {
      now = t;
      const due = timers.filter((x) => x.at <= t);
      timers = timers.filter((x) => x.at > t);
      for (const x of due) x.wake();
    },
  };
}

function config(dir: string, alarms: string, extra = ''): LoadedConfig {
  const yaml = `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
alarms:
${alarms}
${extra}`;
  return parseConfig(yaml, `${dir}/gantry.yaml`);
}

/** `count` requests of `status` spread over the second starting at `at`. */
function traffic(metrics: MetricsEngine, at: number, count: number, status: number, latencyMs = 10): void {
  for (let i = 0; i < count; i++) {
    metrics.record({
      environment: 'production',
      version: i % 2 === 0 ? 'v1' : 'v2',
      instance: 'i1',
      method: 'GET',
      status,
      latencyMs,
      at: at + Math.floor((i * 1000) / count),
    });
  }
}

async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const fixture = useStoreFixture();
const engines: AlarmEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

interface Setup {
  clock: VirtualClock;
  metrics: MetricsEngine;
  store: Store;
  engine: AlarmEngine;
  seen: AlarmTransition[];
  cfg: { current: LoadedConfig };
  /** Moves time to t and waits until every period due by then is evaluated. */
  at(t: number): Promise<void>;
}

async function setup(alarms: string, opts: { start?: number; store?: Store; clock?: VirtualClock } = {}) {
  const clock = opts.clock ?? virtualClock(opts.start ?? T0);
  const store = opts.store ?? (await fixture.open(`${fixture.dir()}/gantry.db`));
  const metrics = createMetricsEngine({ service: 'shop', clock });
  const cfg = { current: config(fixture.dir(), alarms) };
  const engine = createAlarmEngine({ config: () => cfg.current, metrics, store, clock });
  engines.push(engine);
  const seen: AlarmTransition[] = [];
  engine.subscribe((t) => seen.push(t));
  const s: Setup = {
    clock,
    metrics,
    store,
    engine,
    seen,
    cfg,
    async at(t) {
      clock.set(t);
      await engine.tick();
    },
  };
  return s;
}

const brief = (t: AlarmTransition) => ({ at: (Date.parse(t.at) - T0) / 1000, from: t.from, to: t.to });

describe('evaluation at the close of each period', () => {
  it('a breach is noticed at its period close plus the grace, not later', async () => {
    const s = await setup(
      `  - { name: high-5xx, environment: production, metric: http_5xx_rate, above: 10%, period: 10s }`,
      {
        start: T0 + 1000,
      },
    );
    const noticedAt: number[] = [];
    s.engine.subscribe(() => noticedAt.push(s.clock.now()));
    await s.engine.start();
    traffic(s.metrics, T0 + 2000, 20, 500);
    traffic(s.metrics, T0 + 3000, 20, 200);

    // The engine sleeps until the period [T0, T0+10s) has closed, plus the grace: no polling.
    const close = T0 + 10_000 + EVALUATION_GRACE_MS;
    await waitFor(() => (s.clock.wakeTimes.includes(close) ? true : undefined), 'the timer of the period');
    expect(Math.max(...s.clock.wakeTimes)).toBe(close);
    await s.at(close - 1);
    expect(s.seen).toEqual([]);

    s.clock.set(close);
    const t = await waitFor(() => s.seen[0], 'the transition');
    expect(noticedAt).toEqual([close]);
    expect(t).toMatchObject({
      service: 'shop',
      alarm: 'high-5xx',
      environment: 'production',
      metric: 'http_5xx_rate',
      severity: 'P3',
      from: 'INSUFFICIENT_DATA',
      to: 'ALARM',
      at: new Date(T0 + 10_000).toISOString(),
      reason: 'http_5xx_rate 50% > 10% in the last period of 10 s',
      threshold: { above: 0.1 },
      datapoints: [0.5],
    });
    expect(t.id).toMatch(/^alt_/);
    // Recorded before it was published.
    expect(await s.engine.history({ alarm: 'high-5xx' })).toEqual([t]);
  });

  it('2 of 3 fires on the second breaching period among three and recovers when fewer breach', async () => {
    const s = await setup(
      `  - { name: p99, environment: production, metric: http_latency_p99, above: 200ms, period: 1s, evaluation_periods: 3, datapoints_to_alarm: 2, severity: P2 }`,
    );
    await s.engine.start();
    const slow = [true, false, true, true, false, false, false];
    for (let k = 0; k < slow.length; k++) {
      traffic(s.metrics, T0 + k * 1000, 50, 200, slow[k] ? 900 : 20);
      await s.at(T0 + (k + 1) * 1000 + EVALUATION_GRACE_MS);
    }
    // Second 0 alone (slow, the rest missing) decides nothing yet; second 1 makes it OK.
    expect(s.seen.map(brief)).toEqual([
      { at: 2, from: 'INSUFFICIENT_DATA', to: 'OK' },
      { at: 3, from: 'OK', to: 'ALARM' },
      { at: 6, from: 'ALARM', to: 'OK' },
    ]);
    expect(s.seen[1]?.reason).toMatch(
      /^http_latency_p99 (89\d|90\d|91\d) ms > 200 ms in 2 of the last 3 periods of 1 s$/,
    );
    expect(s.seen[1]?.severity).toBe('P2');
    expect(s.seen[2]?.reason).toMatch(
      /^http_latency_p99 (19\.\d|20(\.\d)?) ms ≤ 200 ms: 1 of the last 3 periods of 1 s breaching/,
    );
    const status = s.engine.statuses()[0];
    expect(status).toMatchObject({
      alarm: 'p99',
      state: 'OK',
      since: new Date(T0 + 6000).toISOString(),
      lastEvaluatedAt: new Date(T0 + 7000).toISOString(),
      periodMs: 1000,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    expect(status?.lastValue).toBeCloseTo(20, 0);
    const history = await s.engine.history({ alarm: 'p99', limit: 10 });
    expect(history.map(brief)).toEqual([...s.seen.map(brief)].reverse());
  });
});

describe('missing data', () => {
  const rules = ['missing', 'ignore', 'breaching', 'not_breaching']
    .map(
      (treat) =>
        `  - { name: errors-${treat}, environment: production, metric: http_5xx_rate, above: 10%, period: 1s, treat_missing_data: ${treat} }`,
    )
    .join('\n');

  it('each treatment, when traffic stops for three periods and comes back', async () => {
    const s = await setup(rules, { start: T0 + 2500 });
    for (let k = 0; k < 3; k++) traffic(s.metrics, T0 + k * 1000, 10, 200);
    await s.engine.start();
    for (let k = 2; k < 8; k++) {
      if (k === 7) traffic(s.metrics, T0 + k * 1000, 10, 200);
      await s.at(T0 + (k + 1) * 1000 + EVALUATION_GRACE_MS);
    }
    const of = (name: string) => s.seen.filter((t) => t.alarm === name).map(brief);
    const ok = { at: 3, from: 'INSUFFICIENT_DATA', to: 'OK' };
    // Older real datapoints stand in for missing ones while they are in the range (3 periods).
    expect(of('errors-missing')).toEqual([
      ok,
      { at: 6, from: 'OK', to: 'INSUFFICIENT_DATA' },
      { at: 8, from: 'INSUFFICIENT_DATA', to: 'OK' },
    ]);
    expect(of('errors-ignore')).toEqual([ok]);
    expect(of('errors-breaching')).toEqual([
      ok,
      { at: 6, from: 'OK', to: 'ALARM' },
      { at: 8, from: 'ALARM', to: 'OK' },
    ]);
    expect(of('errors-not_breaching')).toEqual([ok]);
    expect(s.seen.find((t) => t.alarm === 'errors-breaching' && t.to === 'ALARM')).toMatchObject({
      reason: 'no http_5xx_rate data in the last period of 1 s, treated as breaching',
      datapoints: [null],
    });
  });
});

describe('state across reloads and restarts', () => {
  const rule = (extra = '') =>
    `  - { name: high-5xx, environment: production, metric: http_5xx_rate, above: 10%, period: 1s${extra} }`;

  async function fire(s: Setup): Promise<void> {
    await s.engine.start();
    traffic(s.metrics, T0, 10, 500);
    await s.at(T0 + 1000 + EVALUATION_GRACE_MS);
    expect(s.engine.statuses()[0]?.state).toBe('ALARM');
  }

  it('a reload keeps the state of alarms whose name, environment and metric are unchanged', async () => {
    const s = await setup(
      `${rule()}\n  - { name: slow, environment: production, metric: http_latency_p99, above: 1s, period: 1s }`,
    );
    await fire(s);
    const since = s.engine.statuses().find((a) => a.alarm === 'high-5xx')?.since;
    s.cfg.current = config(
      fixture.dir(),
      `${rule(', severity: P1, notify: [oncall]')}\n  - { name: slow, environment: production, metric: http_latency_p95, above: 1s, period: 1s }`,
      'notify: { oncall: [{ type: webhook, url: "http://127.0.0.1:9/hook" }] }',
    );
    s.engine.reload();
    const byName = new Map(s.engine.statuses().map((a) => [a.alarm, a]));
    expect(byName.get('high-5xx')).toMatchObject({
      state: 'ALARM',
      since,
      severity: 'P1',
      notify: ['oncall'],
    });
    expect(byName.get('slow')).toMatchObject({ state: 'INSUFFICIENT_DATA', metric: 'http_latency_p95' });

    // The kept alarm goes on from where it was: good traffic resolves it from ALARM.
    traffic(s.metrics, T0 + 1000, 10, 200);
    await s.at(T0 + 2000 + EVALUATION_GRACE_MS);
    expect(s.seen.filter((t) => t.alarm === 'high-5xx').map(brief)).toEqual([
      { at: 1, from: 'INSUFFICIENT_DATA', to: 'ALARM' },
      { at: 2, from: 'ALARM', to: 'OK' },
    ]);
    expect(s.seen.filter((t) => t.alarm === 'high-5xx').at(-1)).toMatchObject({
      severity: 'P1',
      notify: ['oncall'],
    });
  });

  it('a reload with a rule that cannot run changes nothing', async () => {
    const s = await setup(rule());
    // gantry.yaml refuses such a period already; the engine checks again (defence in depth).
    const next = config(fixture.dir(), rule());
    const [first] = next.config.alarms;
    if (first) first.period = 7_200_000;
    s.cfg.current = next;
    expect(() => s.engine.reload()).toThrow(/alarms\.high-5xx\.period: expected from 1s to 1h/);
    expect(s.engine.statuses()[0]?.periodMs).toBe(1000);
  });

  it('a new engine on the same store starts from the persisted state', async () => {
    const file = `${fixture.dir()}/restart.db`;
    const first = await setup(rule(), { store: await fixture.open(file) });
    await fire(first);
    const before = first.engine.statuses()[0];
    await first.engine.stop();

    const clock = virtualClock(T0 + 5000);
    const second = await setup(rule(), { store: await fixture.open(file), clock });
    expect(second.engine.statuses()[0]?.state).toBe('INSUFFICIENT_DATA');
    await second.engine.start();
    expect(second.engine.statuses()[0]).toMatchObject({
      state: 'ALARM',
      since: before?.since,
      reason: before?.reason,
    });
    // Breaching again changes nothing; recovering starts from ALARM.
    traffic(second.metrics, T0 + 5000, 10, 500);
    await second.at(T0 + 6000 + EVALUATION_GRACE_MS);
    traffic(second.metrics, T0 + 6000, 10, 200);
    await second.at(T0 + 7000 + EVALUATION_GRACE_MS);
    expect(second.seen.map(brief)).toEqual([{ at: 7, from: 'ALARM', to: 'OK' }]);
    expect((await second.engine.history()).map(brief)).toEqual([
      { at: 7, from: 'ALARM', to: 'OK' },
      { at: 1, from: 'INSUFFICIENT_DATA', to: 'ALARM' },
    ]);
  });

  it('a removed alarm is forgotten; its history stays', async () => {
    const s = await setup(rule());
    await fire(s);
    s.cfg.current = config(fixture.dir(), '  []');
    s.engine.reload();
    expect(s.engine.statuses()).toEqual([]);
    await expect.poll(() => s.store.alarms.states('shop'), { timeout: 5000 }).toEqual([]);
    expect(await s.engine.history({ alarm: 'high-5xx' })).toHaveLength(1);
  });
});

describe('metrics counted from environment events', () => {
  it('instance_restarts: an exit counts, and a liveness restart with the exit it causes counts once', async () => {
    const clock = virtualClock(T0);
    const store = await openStore({ kind: 'sqlite', path: ':memory:', clock });
    try {
      const s = await setup(
        `  - { name: crashes, environment: production, metric: instance_restarts, above: 1, period: 10s }`,
        { clock, store },
      );
      await s.engine.start();
      const event = (type: string) =>
        store.events.append({
          service: 'shop',
          environment: 'production',
          instance: 'production-v1-a',
          version: 'v1',
          type,
          message: type,
          data: null,
        });
      clock.set(T0 + 2000);
      await event('instance.restarted');
      clock.set(T0 + 2100);
      await event('instance.exited');
      await s.at(T0 + 10_000 + EVALUATION_GRACE_MS);
      expect(s.engine.statuses()[0]).toMatchObject({ state: 'OK', lastValue: 1 });
      clock.set(T0 + 12_000);
      await event('instance.exited');
      await event('instance.ready');
      clock.set(T0 + 13_000);
      await event('instance.exited');
      await s.at(T0 + 20_000 + EVALUATION_GRACE_MS);
      expect(s.seen.map(brief)).toEqual([
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 20, from: 'OK', to: 'ALARM' },
      ]);
      expect(s.seen[1]?.reason).toBe('instance_restarts 2 > 1 in the last period of 10 s');
      await s.engine.stop();
    } finally {
      await store.close();
    }
  });
});

describe('long periods', () => {
  it('a 5-minute period reads the minutes memory no longer holds from the rollups, all versions merged', async () => {
    const clock = virtualClock(T0);
    const store = await fixture.open(`${fixture.dir()}/rollups.db`);
    const metrics = createMetricsEngine({ service: 'shop', clock, store, memorySeconds: 120 });
    const cfg = config(
      fixture.dir(),
      `  - { name: errors-5m, environment: production, metric: http_5xx_rate, above: 20%, period: 5m }`,
    );
    const engine = createAlarmEngine({ config: () => cfg, metrics, store, clock });
    engines.push(engine);
    await engine.start();
    traffic(metrics, T0 + 10_000, 100, 500); // minute 0: half of it on v1, half on v2
    clock.set(T0 + 70_000);
    await metrics.tick(); // minute 0 rolled up
    traffic(metrics, T0 + 250_000, 300, 200); // minute 4, still in memory at the period's end
    clock.set(T0 + 300_000 + EVALUATION_GRACE_MS);
    await metrics.tick(); // minute 0's seconds are gone from memory now

    const w = await metrics.environmentWindow('production', T0, T0 + 300_000);
    expect(w).toMatchObject({ requests: 400, byClass: { '2xx': 300, '3xx': 0, '4xx': 0, '5xx': 100 } });
    expect(metrics.window('production', 'v1', T0, T0 + 300_000).requests).toBe(150);

    await engine.tick();
    expect(engine.statuses()[0]).toMatchObject({ state: 'ALARM', lastValue: 0.25 });
    expect((await engine.history())[0]?.reason).toBe('http_5xx_rate 25% > 20% in the last period of 5 min');
  });
});
