// GET /metrics and GET /api/v1/metrics over a real engine: through fastify's inject(), and through
// `gantry metrics` against the same routes listening on a loopback port.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerMetricsRoutes } from '../src/api/metrics-routes.ts';
import type { MetricsQueryResponse } from '../src/api/types.ts';
import { runCli } from '../src/cli/program.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine, type MetricsEngine } from '../src/metrics/engine.ts';
import { req } from './helpers/metrics.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

let app: FastifyInstance;
let engine: MetricsEngine;

beforeEach(() => {
  // 30 s of traffic: v1 at 2 req/s (every 10th a 500), v2 at 1 req/s, and now is T0 + 30 s.
  const clock: Clock = { now: () => T0 + 30_000, sleep: async () => {} };
  engine = createMetricsEngine({ service: 'shop', clock });
  for (let i = 0; i < 60; i++) engine.record(req(T0 + i * 500, { status: i % 10 === 0 ? 500 : 200 }));
  for (let i = 0; i < 30; i++) engine.record(req(T0 + i * 1000, { version: 'v2', latencyMs: 40 }));
  app = Fastify({ logger: false });
  registerMetricsRoutes(app, {
    engine,
    service: 'shop',
    clock,
    environments: () => ['staging', 'production'],
    extra: () => ({
      buildVersion: '0.1.0',
      metrics: [
        {
          name: 'gantry_releases',
          help: 'Releases by state.',
          type: 'gauge',
          samples: [{ labels: { state: 'succeeded' }, value: 2 }],
        },
      ],
    }),
  });
});

afterEach(async () => {
  await app.close();
});

const query = (q: Record<string, string>) => app.inject({ method: 'GET', url: '/api/v1/metrics', query: q });

describe('GET /metrics', () => {
  it('answers the Prometheus text format with request counters and Gantry’s own metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain(
      'gantry_http_requests_total{environment="production",version="v1",code="500",code_class="5xx"} 6\n',
    );
    expect(res.body).toContain(
      'gantry_http_request_duration_seconds_count{environment="production",version="v2"} 30\n',
    );
    expect(res.body).toContain('gantry_build_info{version="0.1.0"} 1\n');
    expect(res.body).toContain('gantry_releases{state="succeeded"} 2\n');
  });
});

describe('GET /api/v1/metrics', () => {
  it('returns one series per version over a relative range', async () => {
    const res = await query({
      environment: 'production',
      metric: 'http_requests',
      from: '-30s',
      to: 'now',
      step: '10s',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as MetricsQueryResponse;
    expect(body.series.map((s) => [s.version, s.points.map(([, v]) => v)])).toEqual([
      ['v1', [2, 2, 2]],
      ['v2', [1, 1, 1]],
    ]);
    expect(body.series[0]?.points[0]?.[0]).toBe(T0);
  });

  it('takes ISO-8601 times, one version, and picks a step when none is given', async () => {
    const res = await query({
      environment: 'production',
      version: 'v1',
      metric: 'http_5xx_rate',
      from: new Date(T0).toISOString(),
      to: '2026-05-01T12:00:30+00:00',
    });
    expect(res.statusCode).toBe(200);
    const [series] = (res.json() as MetricsQueryResponse).series;
    expect(series?.points).toHaveLength(30);
    const total = series?.points.reduce((n, [, v]) => n + (v ?? 0), 0) ?? 0;
    expect(total / 30).toBeCloseTo(0.1, 10);
  });

  it.each([
    [{ metric: 'http_requests' }, 400, /environment/],
    [{ environment: 'production' }, 400, /metric/],
    [
      { environment: 'production', metric: 'http_requests', from: 'yesterday' },
      400,
      /from: expected ISO-8601/,
    ],
    [{ environment: 'production', metric: 'http_requests', to: '2026-05-01' }, 400, /to: expected ISO-8601/],
    [{ environment: 'production', metric: 'http_requests', step: '10' }, 400, /step: expected a duration/],
    [{ environment: 'production', metric: 'http_requests', step: '100ms' }, 400, /at least 1s/],
    [{ environment: 'production', metric: 'http_requests', from: 'now', to: '-1h' }, 400, /must be before/],
    [{ environment: 'production', metric: 'http_requests', from: '-30d', step: '1s' }, 400, /at most 11000/],
    [{ environment: 'production', metric: 'cpu' }, 400, /unknown metric cpu/],
    [{ environment: 'production', metric: 'http_requests', color: 'red' }, 400, /color/],
    [{ environment: 'qa', metric: 'http_requests' }, 404, /no environment qa .*staging, production/],
  ])('answers %j with %i', async (q, status, message) => {
    const res = await query(q as Record<string, string>);
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: { message: string; hint?: string } };
    expect(body.error.message).toMatch(message);
  });
});

describe('gantry metrics', () => {
  let address: string | undefined;

  beforeEach(() => {
    address = undefined;
  });

  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    address ??= await app.listen({ host: '127.0.0.1', port: 0 });
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GANTRY_URL: address, GANTRY_TOKEN: 'test-token' },
    });
    return { code, stdout, stderr };
  }

  it('prints a table with one column per version', async () => {
    const out = await run([
      'metrics',
      '--env',
      'production',
      '--metric',
      'http_5xx_rate',
      '--since',
      '30s',
      '--step',
      '10s',
    ]);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+v1\s+v2$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1))).toEqual([
      ['10%', '0%'],
      ['10%', '0%'],
      ['10%', '0%'],
    ]);
  });

  it('prints the API body with --json, and exits 2 on bad input', async () => {
    const json = await run([
      'metrics',
      '--env',
      'production',
      '--version',
      'v2',
      '--metric',
      'http_latency_p50',
      '--json',
    ]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as MetricsQueryResponse;
    expect(body.series.map((s) => s.version)).toEqual(['v2']);
    const unknown = await run(['metrics', '--env', 'production', '--metric', 'cpu']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown metric cpu/);
    const badSince = await run([
      'metrics',
      '--env',
      'production',
      '--metric',
      'http_requests',
      '--since',
      'soon',
    ]);
    expect(badSince.code).toBe(2);
  });
});
