// Synthetic checks against a real loopback HTTP server: a failing check turns
// synthetic_failures:<name> to 1 and an alarm on it fires, then recovers; command checks get
// GANTRY_TARGET_URL; results are kept for the API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlarmEngine, createAlarmEngine } from '../src/alarms/engine.ts';
import { SeriesStore } from '../src/alarms/series-store.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/index.ts';
import type { LoadedConfig } from '../src/config/types.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { createSyntheticsRunner, type SyntheticsRunner } from '../src/synthetics/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The service under watch: /health answers `status` (settable), after `delayMs`. */
async function startService(): Promise<{ url: string; status: number; delayMs: number; hits: number }> {
  const state = { url: '', status: 200, delayMs: 0, hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    setTimeout(() => {
      res.writeHead(req.url === '/health' ? state.status : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/health' ? `status ${state.status}` : 'not found');
    }, state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

function config(dir: string, body: string): LoadedConfig {
  return parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
  staging: { listen: 127.0.0.1:18081 }
${body}`,
    `${dir}/gantry.yaml`,
  );
}

async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startRunner(cfg: LoadedConfig, series: SeriesStore, target: (env: string) => string | undefined) {
  const runner = createSyntheticsRunner({ config: () => cfg, target, series });
  cleanups.push(() => runner.stop());
  return runner;
}

describe('synthetic checks', () => {
  it('a failing HTTP check makes synthetic_failures 1 and fires the alarm on it; passing again resolves it', async () => {
    const service = await startService();
    const cfg = config(
      fixture.dir(),
      `synthetics:
  - { name: api, environment: production, every: 1s, http: { path: /health, expect_status: 200 }, timeout: 2s }
alarms:
  - { name: api-down, environment: production, metric: "synthetic_failures:api", above: 0, period: 1s, treat_missing_data: not_breaching, severity: P1 }
  - { name: api-slow, environment: production, metric: "synthetic_latency:api", above: 1500ms, period: 1s }`,
    );
    const series = new SeriesStore();
    const store = await fixture.open(`${fixture.dir()}/gantry.db`);
    const engine: AlarmEngine = createAlarmEngine({
      config: () => cfg,
      metrics: createMetricsEngine({ service: 'shop' }),
      store,
      series,
    });
    const seen: AlarmTransition[] = [];
    engine.subscribe((t) => seen.push(t));
    const runner: SyntheticsRunner = startRunner(cfg, series, (env) =>
      env === 'production' ? service.url : undefined,
    );
    await engine.start();
    cleanups.push(() => engine.stop());
    runner.start();

    const down = () => seen.find((t) => t.alarm === 'api-down');
    await waitFor(() => (down()?.to === 'OK' ? true : undefined), 'api-down to be OK');
    service.status = 503;
    const fired = await waitFor(
      () => seen.find((t) => t.alarm === 'api-down' && t.to === 'ALARM'),
      'api-down to fire',
    );
    expect(fired).toMatchObject({
      from: 'OK',
      severity: 'P1',
      metric: 'synthetic_failures:api',
    });
    // One run per period, unless a slow machine lets two finish in the same one.
    expect(fired.reason).toMatch(/^synthetic_failures:api [12] > 0 in the last period of 1 s$/);
    expect(fired.datapoints).toEqual([expect.any(Number)]);
    expect(fired.datapoints[0]).toBeGreaterThanOrEqual(1);
    const status = runner.statuses()[0];
    expect(status).toMatchObject({ name: 'api', environment: 'production', everyMs: 1000, kind: 'http' });
    expect(status?.check).toBe('GET /health → 200');
    expect(status?.lastResults[0]).toMatchObject({ ok: false });
    expect(status?.lastResults[0]?.message).toMatch(/^GET \/health → 503, expected 200: status 503$/);

    service.status = 200;
    await waitFor(
      () => seen.find((t) => t.alarm === 'api-down' && t.from === 'ALARM' && t.to === 'OK'),
      'api-down to resolve',
    );
    expect(runner.statuses()[0]?.lastResults[0]?.ok).toBe(true);
    expect(service.hits).toBeGreaterThanOrEqual(3);
    const latency = engine.statuses().find((a) => a.alarm === 'api-slow');
    expect(latency?.state).toBe('OK');
  });

  it('command checks run with GANTRY_TARGET_URL; an environment without an address fails', async () => {
    const cfg = config(
      fixture.dir(),
      `synthetics:
  - { name: target-set, environment: production, every: 1h, command: 'test "$GANTRY_TARGET_URL" = "http://127.0.0.1:18080"' }
  - { name: broken, environment: production, every: 1h, command: "echo boom; exit 3" }
  - { name: nowhere, environment: staging, every: 1h, http: { path: /health } }`,
    );
    const series = new SeriesStore();
    const runner = startRunner(cfg, series, (env) =>
      env === 'production' ? 'http://127.0.0.1:18080' : undefined,
    );

    expect(await runner.runNow('target-set')).toMatchObject({ ok: true });
    const broken = await runner.runNow('broken');
    expect(broken?.ok).toBe(false);
    expect(broken?.message).toContain('boom');
    expect(await runner.runNow('nowhere')).toMatchObject({
      ok: false,
      message: 'environment staging has no public address',
    });
    expect(await runner.runNow('unknown')).toBeUndefined();

    const all = (name: string, env: string) =>
      series.values(`synthetic_failures:${name}`, env, 0, Number.MAX_SAFE_INTEGER);
    expect(all('target-set', 'production')).toEqual([0]);
    expect(all('broken', 'production')).toEqual([1]);
    expect(all('nowhere', 'staging')).toEqual([1]);
    expect(series.values('synthetic_latency:nowhere', 'staging', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(runner.statuses().map((s) => [s.name, s.kind, s.lastResults.length])).toEqual([
      ['broken', 'command', 1],
      ['target-set', 'command', 1],
      ['nowhere', 'http', 1],
    ]);
  });

  it('a reload keeps unchanged synthetics with their results and drops removed ones', async () => {
    const body = (every: string) => `synthetics:
  - { name: a, environment: production, every: 1h, command: "true" }
  - { name: b, environment: production, every: ${every}, command: "true" }`;
    let cfg = config(fixture.dir(), body('1h'));
    const series = new SeriesStore();
    const runner = createSyntheticsRunner({ config: () => cfg, target: () => 'http://127.0.0.1:9', series });
    cleanups.push(() => runner.stop());
    runner.start();
    await waitFor(
      () => (runner.statuses().every((s) => s.lastResults.length === 1) ? true : undefined),
      'the first runs',
    );
    cfg = config(
      fixture.dir(),
      `synthetics:
  - { name: a, environment: production, every: 1h, command: "true" }`,
    );
    runner.reload();
    const after = runner.statuses();
    expect(after.map((s) => s.name)).toEqual(['a']);
    expect(after[0]?.lastResults).toHaveLength(1);
    expect(series.values('synthetic_failures:b', 'production', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('waits for the environment to be given a version before the first run', async () => {
    const cfg = config(
      fixture.dir(),
      `synthetics:
  - { name: a, environment: production, every: 1s, command: "true" }`,
    );
    const series = new SeriesStore();
    let deployed = false;
    const runner = createSyntheticsRunner({
      config: () => cfg,
      target: () => 'http://127.0.0.1:9',
      series,
      deployed: () => deployed,
    });
    cleanups.push(() => runner.stop());
    runner.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(runner.statuses()[0]?.lastResults).toEqual([]);
    expect(series.values('synthetic_failures:a', 'production', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    deployed = true;
    await waitFor(() => (runner.statuses()[0]?.lastResults.length ? true : undefined), 'the first run');
    expect(runner.statuses()[0]?.lastResults[0]?.ok).toBe(true);
  });

  it('an environment naming hosts is checked with its name as Host (unless the check sets one)', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.host}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cfg = parseConfig(
      `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080, hosts: [shop.example.com, "*.shop.example.com"] }
  staging: { listen: 127.0.0.1:18080, hosts: ["*.staging.example.com"] }
synthetics:
  - { name: prod, environment: production, every: 1s, http: { path: /a, expect_status: 200 } }
  - { name: own, environment: production, every: 1s, http: { path: /b, expect_status: 200, headers: { Host: x.shop.example.com } } }
  - { name: stage, environment: staging, every: 1s, http: { path: /c, expect_status: 200 } }`,
      `${fixture.dir()}/gantry.yaml`,
    );
    const runner = startRunner(cfg, new SeriesStore(), () => url);
    runner.start();
    await waitFor(
      () => (runner.statuses().every((s) => s.lastResults[0]?.ok) ? true : undefined),
      'three runs',
    );
    expect(new Set(seen)).toEqual(
      new Set(['/a shop.example.com', '/b x.shop.example.com', '/c synthetic.staging.example.com']),
    );
  });
});
