// Burn-rate alarms of SLOs through the real alarm engine, with a real metrics engine and SQLite
// store and an injected clock: a fast burn pages within one alarm period, a slow burn never pages
// but opens a ticket, and the rules read like any other alarm.
import { afterEach, describe, expect, it } from 'vitest';
import { type AlarmEngine, createAlarmEngine } from '../src/alarms/engine.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/index.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine, type MetricsEngine } from '../src/metrics/engine.ts';
import { SLO_ALARM_PERIOD_MS, sloAlarmRules } from '../src/slo/burn-alarms.ts';
import { req } from './helpers/metrics.ts';
import { useStoreFixture } from './helpers/store.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const fixture = useStoreFixture();
let alarms: AlarmEngine | undefined;

afterEach(async () => {
  await alarms?.stop();
  alarms = undefined;
});

async function setUp() {
  let now = T0;
  const clock: Clock & { set(t: number): void } = {
    now: () => now,
    sleep: () => new Promise(() => {}),
    set: (t) => {
      now = t;
    },
  };
  const config = parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
notify:
  oncall: [{ type: webhook, url: "http://127.0.0.1:9/hook" }]
slos:
  - { name: availability, environment: production, objective: 99.9%, notify: [oncall], runbook: docs/slo.md }
`,
    `${fixture.dir()}/gantry.yaml`,
  );
  const store = await fixture.open(`${fixture.dir()}/gantry.db`);
  const metrics = createMetricsEngine({ service: 'shop', store, clock });
  alarms = createAlarmEngine({ config: () => config, metrics, store, clock });
  const transitions: AlarmTransition[] = [];
  alarms.subscribe((t) => transitions.push(t));
  return { clock, metrics, alarms, transitions };
}

/**
 * Runs seconds [from, to) of 10 requests a second, `bad(second, i)` deciding which get a 500; the
 * alarm engine ticks every second, the metrics engine every 10 s (as their timers would).
 */
async function run(
  ctx: { clock: { set(t: number): void }; metrics: MetricsEngine; alarms: AlarmEngine },
  from: number,
  to: number,
  bad: (second: number, i: number) => boolean,
): Promise<void> {
  for (let s = from; s < to; s++) {
    for (let i = 0; i < 10; i++)
      ctx.metrics.record(req(T0 + s * 1000 + i * 100, { status: bad(s, i) ? 500 : 200 }));
    ctx.clock.set(T0 + (s + 1) * 1000);
    if (s % 10 === 0) await ctx.metrics.tick();
    await ctx.alarms.tick();
  }
}

describe('SLO burn-rate alarms', () => {
  it('adds a page rule slo:<name> and a ticket rule to the alarms, with the SLO’s notify and runbook', async () => {
    const { alarms } = await setUp();
    const statuses = alarms.statuses();
    expect(statuses.map((s) => [s.alarm, s.severity, s.state])).toEqual([
      ['slo:availability', 'P2', 'INSUFFICIENT_DATA'],
      ['slo:availability:ticket', 'P4', 'INSUFFICIENT_DATA'],
    ]);
    expect(statuses[0]).toMatchObject({
      notify: ['oncall'],
      runbook: 'docs/slo.md',
      periodMs: SLO_ALARM_PERIOD_MS,
    });
    expect(
      sloAlarmRules([{ name: 'a', environment: 'e', objective: 0.99, window: 30 * 86_400_000 }])[0]
        ?.description,
    ).toBe('error budget of SLO a burning at 14.4x over 1h and 5m, or 6x over 6h and 30m');
  });

  it('pages within one alarm period of a fast burn starting', async () => {
    const ctx = await setUp();
    await run(ctx, 0, 600, () => false);
    expect(ctx.transitions.map((t) => [t.alarm, t.to]).sort()).toEqual([
      ['slo:availability', 'OK'],
      ['slo:availability:ticket', 'OK'],
    ]);
    // Everything fails from second 600 on: a burn rate of 1000.
    await run(ctx, 600, 700, () => true);
    const page = ctx.transitions.find((t) => t.alarm === 'slo:availability' && t.to === 'ALARM');
    expect(page).toBeDefined();
    const delay = Date.parse(page?.at ?? '') - (T0 + 600_000);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(SLO_ALARM_PERIOD_MS);
    expect(page).toMatchObject({ severity: 'P2', notify: ['oncall'], runbook: 'docs/slo.md' });
    expect(page?.reason).toMatch(/^slo_page:availability [\d.]+× its alerting burn rate > 1× /);
    // It resolves once the errors stop and both short windows (5 m, and 30 m of the 6× rule) have
    // forgotten them; the 30 m window is read from the minute rollups by then.
    await run(ctx, 700, 2300, () => false);
    expect(ctx.transitions.filter((t) => t.alarm === 'slo:availability').map((t) => t.to)).toEqual([
      'OK',
      'ALARM',
    ]);
    await run(ctx, 2300, 2600, () => false);
    expect(ctx.transitions.filter((t) => t.alarm === 'slo:availability').map((t) => t.to)).toEqual([
      'OK',
      'ALARM',
      'OK',
    ]);
  });

  it('does not page on a slow burn, but opens a ticket', async () => {
    const ctx = await setUp();
    // One request in 500 fails: 0.2 % against a 0.1 % budget, a burn rate of 2.
    await run(ctx, 0, 1200, (s, i) => (s * 10 + i) % 500 === 0);
    const fired = ctx.transitions.filter((t) => t.to === 'ALARM').map((t) => t.alarm);
    expect(fired).toEqual(['slo:availability:ticket']);
  });
});

describe('GET /api/v1/alarms/slo:<name>/history', () => {
  it('answers the transitions of a burn-rate alarm', async () => {
    const ctx = await setUp();
    await run(ctx, 0, 40, () => true);
    const { default: Fastify } = await import('fastify');
    const { registerAlarmRoutes } = await import('../src/api/alarm-routes.ts');
    const app = Fastify();
    registerAlarmRoutes(app, { alarms: ctx.alarms, synthetics: { statuses: () => [] } });
    const res = await app.inject({ url: `/api/v1/alarms/${encodeURIComponent('slo:availability')}/history` });
    expect(res.statusCode).toBe(200);
    expect(res.json().transitions.map((t: AlarmTransition) => t.to)).toEqual(['ALARM']);
    await app.close();
  });
});
