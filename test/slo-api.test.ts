// GET /api/v1/slos and the SLO series of GET /metrics over a real metrics engine, then `gantry slo`
// against the same routes on a loopback port.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerMetricsRoutes } from '../src/api/metrics-routes.ts';
import { registerSloRoutes, sloMetrics } from '../src/api/slo-routes.ts';
import { runCli } from '../src/cli/program.ts';
import { parseConfig } from '../src/config/index.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { createSloReader } from '../src/slo/status.ts';
import { manualClock, req } from './helpers/metrics.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
let app: FastifyInstance;

beforeEach(async () => {
  const clock = manualClock(T0);
  const { config } = parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
  staging: { listen: 127.0.0.1:18081 }
slos:
  - { name: availability, environment: production, objective: 99% }
  - { name: latency, environment: production, objective: 90%, threshold: 100ms, window: 7d }
`,
    'gantry.yaml',
  );
  const engine = createMetricsEngine({ service: 'shop', clock });
  // 200 requests in the last minute: 4 are 503 (2 % bad: twice the 1 % budget); 30 take 300 ms.
  for (let i = 0; i < 200; i++) {
    engine.record(
      req(T0 - 60_000 + i * 250, { status: i < 4 ? 503 : 200, latencyMs: i % 20 < 3 ? 300 : 20 }),
    );
  }
  const slos = createSloReader({ slos: () => config.slos, source: engine, now: () => clock.now() });
  app = Fastify();
  const environments = () => Object.keys(config.environments);
  registerSloRoutes(app, {
    slos,
    environments,
    configs: () => config.slos,
    source: engine,
    now: () => clock.now(),
  });
  registerMetricsRoutes(app, {
    engine,
    service: 'shop',
    extra: async () => ({ metrics: sloMetrics(await slos.list()) }),
  });
  await app.ready();
});

afterEach(() => app.close());

describe('GET /api/v1/slos', () => {
  it('answers each SLO with good/total, attainment, budget left and burn rates', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/slos' });
    expect(res.statusCode).toBe(200);
    const [availability, latency] = res.json().slos;
    expect(availability).toMatchObject({
      name: 'availability',
      kind: 'availability',
      objective: 0.99,
      window: '30d',
      good: 196,
      total: 200,
      attainment: 0.98,
    });
    // 4 bad of 2 allowed: 1 − 4/2 = −1.
    expect(availability.budgetRemaining).toBeCloseTo(-1, 12);
    expect(availability.burnRates.map((b: { window: string }) => b.window)).toEqual([
      '5m',
      '30m',
      '1h',
      '6h',
      '3d',
    ]);
    expect(availability.burnRates[0].rate).toBeCloseTo(2, 12);
    // 30 slow of 200 → 15 % bad against a 10 % budget: 1 − 30/20 = −0.5.
    expect(latency).toMatchObject({
      name: 'latency',
      kind: 'latency',
      thresholdMs: 100,
      good: 170,
      total: 200,
    });
    expect(latency.budgetRemaining).toBeCloseTo(-0.5, 12);
    expect(latency.burnRates.map((b: { window: string }) => b.window)).toEqual([
      '70s',
      '7m',
      '14m',
      '84m',
      '1008m',
    ]);
  });

  it('answers the burn-down of the budget over the window, ending at the budget left now', async () => {
    const res = await app.inject({ url: '/api/v1/slos/availability/burn-down' });
    expect(res.statusCode).toBe(200);
    const { points } = res.json() as { points: Array<[number, number]> };
    expect(points).toHaveLength(60);
    // Every request came in the last minute: the budget is untouched until the last step.
    expect(points.slice(0, 59).every(([, v]) => v === 1)).toBe(true);
    expect(points[59]?.[0]).toBe(T0);
    expect(points[59]?.[1]).toBeCloseTo(-1, 12);
    expect(points[0]?.[0]).toBe(T0 - 30 * 86_400_000 + 12 * 3_600_000);
    const unknown = await app.inject({ url: '/api/v1/slos/nope/burn-down' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toBe('no SLO nope (SLOs: availability, latency)');
  });

  it('filters by environment, and says which environments exist', async () => {
    expect((await app.inject({ url: '/api/v1/slos?environment=staging' })).json()).toEqual({ slos: [] });
    const unknown = await app.inject({ url: '/api/v1/slos?environment=prod' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain('production, staging');
    expect((await app.inject({ url: '/api/v1/slos?env=production' })).statusCode).toBe(400);
  });

  it('exposes the SLOs in /metrics', async () => {
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toContain('gantry_slo_objective_ratio{slo="availability",environment="production"} 0.99');
    expect(text).toContain('gantry_slo_requests{slo="availability",environment="production"} 200');
    expect(text).toContain('gantry_slo_good_requests{slo="latency",environment="production"} 170');
    expect(text).toMatch(
      /gantry_slo_error_budget_remaining_ratio\{slo="availability",environment="production"\} -1/,
    );
    expect(text).toMatch(/gantry_slo_burn_rate\{slo="availability",environment="production",window="5m"\} 2/);
  });
});

describe('gantry slo', () => {
  async function run(argv: string[]) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GANTRY_URL: url, GANTRY_TOKEN: 'test-token', GANTRY_USER: 'alice' },
    });
    return { code, stdout, stderr };
  }

  it('prints a table, or the API body with --json', async () => {
    const table = await run(['slo']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SLO\s+ENVIRONMENT\s+OBJECTIVE\s+WINDOW\s+GOOD\/TOTAL\s+ATTAINMENT\s+BUDGET LEFT\s+BURN RATES$/,
    );
    expect(lines[1]).toMatch(
      /^availability\s+production\s+99%\s+30d\s+196\/200\s+98%\s+-100%\s+5m 2x, 30m 2x/,
    );
    expect(lines[2]).toMatch(/^latency \(<= 100 ms\)\s+production\s+90%\s+7d\s+170\/200\s+85%\s+-50%/);
    await app.close();
  });

  it('passes --env to the API', async () => {
    const json = await run(['slo', '--env', 'staging', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ slos: [] });
    await app.close();
  });
});
