// The alarm and synthetics routes over a real alarm engine (a real metrics engine, a SQLite store,
// a clock the test moves), through fastify inject(); then the `gantry alarms` commands against the
// same routes on a loopback port, with a stand-in for the notifications' POST /api/v1/silences.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlarmEngine, createAlarmEngine } from '../src/alarms/engine.ts';
import { EVALUATION_GRACE_MS } from '../src/alarms/rules.ts';
import { SeriesStore } from '../src/alarms/series-store.ts';
import { alarmRouteDocs, registerAlarmRoutes } from '../src/api/alarm-routes.ts';
import { runCli } from '../src/cli/program.ts';
import { parseConfig } from '../src/config/index.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { createSyntheticsRunner, type SyntheticsRunner } from '../src/synthetics/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const fixture = useStoreFixture();

interface Ctx {
  app: FastifyInstance;
  engine: AlarmEngine;
  runner: SyntheticsRunner;
  silences: unknown[];
}
let ctx: Ctx;

beforeEach(async () => {
  let now = T0;
  const clock: Clock = { now: () => now, sleep: () => new Promise(() => {}) };
  const cfg = parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
  staging: { listen: 127.0.0.1:18081 }
alarms:
  - { name: high-5xx, environment: production, metric: http_5xx_rate, above: 1%, period: 1s, severity: P2, runbook: docs/high-5xx.md }
  - { name: slow, environment: staging, metric: http_latency_p99, above: 500ms, period: 1m, evaluation_periods: 3, datapoints_to_alarm: 2 }
synthetics:
  - { name: reachable, environment: production, every: 30s, command: "exit 1" }
`,
    `${fixture.dir()}/gantry.yaml`,
  );
  const metrics = createMetricsEngine({ service: 'shop', clock });
  const store = await fixture.open(`${fixture.dir()}/gantry.db`);
  const series = new SeriesStore();
  const engine = createAlarmEngine({ config: () => cfg, metrics, store, clock, series });
  for (let i = 0; i < 20; i++) {
    metrics.record({
      environment: 'production',
      version: 'v1',
      instance: 'i',
      method: 'GET',
      status: i < 5 ? 503 : 200,
      latencyMs: 12,
      at: T0 + 100 + i,
    });
  }
  now = T0 + 1000 + EVALUATION_GRACE_MS;
  await engine.tick();
  const runner = createSyntheticsRunner({
    config: () => cfg,
    target: () => 'http://127.0.0.1:18080',
    series,
  });
  await runner.runNow('reachable');

  const app = Fastify();
  registerAlarmRoutes(app, { alarms: engine, synthetics: runner });
  const silences: unknown[] = [];
  // Stands in for the notifications' endpoint, which the CLI calls for `alarms silence`.
  app.post('/api/v1/silences', async (req, reply) => {
    silences.push(req.body);
    const body = req.body as { matchers: unknown; comment: string };
    return reply.code(201).send({
      silence: {
        id: 'sil_1',
        matchers: body.matchers,
        startsAt: '2026-05-01T12:00:00.000Z',
        endsAt: '2026-05-01T13:00:00.000Z',
        createdBy: null,
        comment: body.comment,
      },
    });
  });
  ctx = { app, engine, runner, silences };
});

afterEach(async () => {
  await ctx.app.close();
  await ctx.runner.stop();
  await ctx.engine.stop();
});

const get = async (url: string) => {
  const res = await ctx.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
};

describe('alarm routes', () => {
  it('GET /api/v1/alarms lists every alarm with its state, filtered by environment or state', async () => {
    const all = await get('/api/v1/alarms');
    expect(all.status).toBe(200);
    expect(all.body.alarms).toHaveLength(2);
    expect(all.body.alarms[0]).toEqual({
      service: 'shop',
      alarm: 'high-5xx',
      environment: 'production',
      metric: 'http_5xx_rate',
      severity: 'P2',
      state: 'ALARM',
      since: new Date(T0 + 1000).toISOString(),
      reason: 'http_5xx_rate 25% > 1% in the last period of 1 s',
      lastValue: 0.25,
      lastEvaluatedAt: new Date(T0 + 1000).toISOString(),
      threshold: { above: 0.01 },
      periodMs: 1000,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      notify: [],
      runbook: 'docs/high-5xx.md',
    });
    expect(all.body.alarms[1]).toMatchObject({ alarm: 'slow', state: 'INSUFFICIENT_DATA' });
    expect(
      (await get('/api/v1/alarms?state=ALARM')).body.alarms.map((a: { alarm: string }) => a.alarm),
    ).toEqual(['high-5xx']);
    expect((await get('/api/v1/alarms?environment=staging')).body.alarms).toHaveLength(1);
    const bad = await get('/api/v1/alarms?state=RED');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BAD_REQUEST');
  });

  it('GET /api/v1/alarms/:name/history gives the transitions; an unknown name is 404', async () => {
    const res = await get('/api/v1/alarms/high-5xx/history?environment=production&limit=5');
    expect(res.status).toBe(200);
    expect(res.body.alarm).toBe('high-5xx');
    expect(res.body.transitions).toHaveLength(1);
    expect(res.body.transitions[0]).toMatchObject({
      from: 'INSUFFICIENT_DATA',
      to: 'ALARM',
      datapoints: [0.25],
    });
    expect((await get('/api/v1/alarms/slow/history')).body.transitions).toEqual([]);
    const unknown = await get('/api/v1/alarms/high-5x/history');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      code: 'UNKNOWN_ALARM',
      message: 'no alarm high-5x (alarms: high-5xx, slow)',
    });
    expect(unknown.body.error.hint).toContain('gantry alarms');
    expect((await get('/api/v1/alarms/high-5xx/history?limit=0')).status).toBe(400);
  });

  it('GET /api/v1/synthetics lists each check with its last results', async () => {
    const res = await get('/api/v1/synthetics');
    expect(res.status).toBe(200);
    expect(res.body.synthetics).toEqual([
      {
        name: 'reachable',
        environment: 'production',
        everyMs: 30_000,
        kind: 'command',
        check: 'exit 1',
        lastResults: [expect.objectContaining({ ok: false, message: expect.stringContaining('exit') })],
        nextRunAt: null,
      },
    ]);
  });

  it('documents every route it registers', async () => {
    const registered: string[] = [];
    const app = Fastify();
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m !== 'HEAD') registered.push(`${m} ${r.url}`);
    });
    registerAlarmRoutes(app, { alarms: ctx.engine, synthetics: ctx.runner });
    await app.ready();
    expect(registered.sort()).toEqual(alarmRouteDocs.map((d) => `${d.method} ${d.path}`).sort());
    await app.close();
  });
});

describe('gantry alarms', () => {
  let url = '';
  beforeEach(async () => {
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
  });

  async function run(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GANTRY_URL: url, GANTRY_TOKEN: 'test-token', GANTRY_USER: 'alice' },
    });
    return { code, stdout, stderr };
  }

  it('lists alarms as a table, or as JSON', async () => {
    const table = await run(['alarms']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+ENVIRONMENT\s+STATE\s+SINCE\s+METRIC\s+THRESHOLD\s+LAST VALUE\s+SEVERITY$/,
    );
    expect(lines[1]).toMatch(
      /^high-5xx\s+production\s+ALARM\s+.+\s+http_5xx_rate\s+> 1% \(1\/1 × 1s\)\s+25%\s+P2$/,
    );
    expect(lines[2]).toMatch(/^slow\s+staging\s+INSUFFICIENT_DATA\s+.+> 500 ms \(2\/3 × 1m\)\s+-\s+P3$/);
    const json = await run(['alarms', 'list', '--state', 'alarm', '--json']);
    expect(JSON.parse(json.stdout).alarms.map((a: { alarm: string }) => a.alarm)).toEqual(['high-5xx']);
  });

  it('shows an alarm history; an unknown alarm exits 2 with the hint', async () => {
    const history = await run(['alarms', 'history', 'high-5xx', '--env', 'production']);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(
      /INSUFFICIENT_DATA\s+ALARM\s+http_5xx_rate 25% > 1% in the last period of 1 s/,
    );
    const unknown = await run(['alarms', 'history', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: no alarm nope');
    expect(unknown.stderr).toContain('hint: Run `gantry alarms`');
  });

  it('silences an alarm in its environment through POST /api/v1/silences', async () => {
    const res = await run(['alarms', 'silence', 'high-5xx', '--for', '1h', '--reason', 'deploying the fix']);
    expect(res.code).toBe(0);
    expect(ctx.silences).toEqual([
      {
        matchers: [
          { name: 'alertname', value: 'high-5xx' },
          { name: 'environment', value: 'production' },
        ],
        duration: '1h',
        comment: 'deploying the fix',
        createdBy: 'alice',
      },
    ]);
    expect(res.stdout).toMatch(/^silenced high-5xx in production until .+ \(sil_1\): deploying the fix\n$/);
    const json = await run([
      'alarms',
      'silence',
      'high-5xx',
      '--env',
      'staging',
      '--for',
      '30m',
      '--reason',
      'x',
      '--json',
    ]);
    expect(JSON.parse(json.stdout).silence.id).toBe('sil_1');
    expect(ctx.silences[1]).toMatchObject({ matchers: [{}, { name: 'environment', value: 'staging' }] });
  });

  it('refuses bad usage with exit code 2', async () => {
    expect((await run(['alarms', 'silence', 'high-5xx', '--for', '1h'])).code).toBe(2);
    expect((await run(['alarms', 'silence', 'high-5xx', '--for', 'soon', '--reason', 'x'])).code).toBe(2);
    const unknown = await run(['alarms', 'silence', 'nope', '--for', '1h', '--reason', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no alarm nope on the server');
    expect(ctx.silences).toEqual([]);
    const help = await run(['alarms', 'silence', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ gantry alarms silence high-5xx --for 1h --reason');
  });

  it('lists synthetic checks', async () => {
    const res = await run(['alarms', 'synthetics']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/reachable\s+production\s+30s\s+exit 1\s+FAILED/);
  });
});
