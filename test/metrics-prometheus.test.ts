// The Prometheus exposition of an engine fed by a real data plane proxying real requests, checked
// by Prometheus' own `promtool check metrics` (Debian package prometheus).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerMetricsRoutes } from '../src/api/metrics-routes.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { escapeLabelValue, renderPrometheus } from '../src/metrics/prometheus.ts';
import { negotiateFormat } from '../src/metrics/prometheus-negotiate.ts';
import { processFamilies } from '../src/metrics/prometheus-process.ts';
import { LABELLED_STATUS_CODES, MAX_CODE_LABELS } from '../src/metrics/status-codes.ts';
import { hasExecutable, requirePeer } from './helpers/peers.ts';
import { backend, pool, refusedPort, route, send, useProxyFixture, waitFor } from './helpers/proxy.ts';

const PROMTOOL = '/usr/bin/promtool';
const promtool = requirePeer(
  'promtool',
  hasExecutable(PROMTOOL),
  `${PROMTOOL} not found (apt-get install prometheus)`,
);

const fixture = useProxyFixture();

/** As Prometheus' official client libraries name them. */
const STANDARD_PROCESS_METRICS = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'process_open_fds',
  'process_max_fds',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
];

function checkMetrics(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** An engine behind a data plane: production v1 (200s, some 500s, a slow one) and v2 (a refused port). */
async function engineWithTraffic() {
  const engine = createMetricsEngine({ service: 'shop' });
  const up = await fixture.upstream('v1', (req, res) => {
    const wait = req.url === '/slow' ? 60 : 0;
    setTimeout(() => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('ok');
    }, wait);
  });
  const dead = await refusedPort();
  const p = fixture.plane({ sink: engine, retryConnectFailures: false });
  await p.plane.apply({
    environments: [
      route('production', [pool('v1', 100, [backend('i1', 'v1', up.url)])]),
      route('staging', [pool('v1', 100, [backend('s1', 'v1', `http://127.0.0.1:${dead}`)])]),
    ],
  });
  const port = p.port('production');
  for (let i = 0; i < 20; i++) await send(port, { path: '/' });
  for (let i = 0; i < 3; i++) await send(port, { path: '/fail' });
  await send(port, { path: '/slow' });
  expect((await send(p.port('staging'))).status).toBe(502);
  const counted = () => engine.counters().reduce((n, c) => n + c.count, 0);
  await waitFor(() => counted() === 25, 'every request recorded');
  // Label values the text format must escape (the API refuses such version names, a store might not).
  engine.record({
    environment: 'production',
    version: 'v2 "odd"\\name',
    instance: 'x',
    method: 'GET',
    status: 200,
    latencyMs: 3,
    at: Date.now(),
  });
  return engine;
}

describe.skipIf(promtool === 'skip')('Prometheus exposition', () => {
  it('passes promtool check metrics, with the proxied requests counted', async () => {
    const engine = await engineWithTraffic();
    const text = renderPrometheus(engine, {
      buildVersion: '0.1.0',
      metrics: [
        {
          name: 'gantry_releases',
          help: 'Releases by state.',
          type: 'gauge',
          samples: [
            { labels: { state: 'succeeded' }, value: 4 },
            { labels: { state: 'rolled_back' }, value: 1 },
          ],
        },
        {
          name: 'gantry_notifications_sent_total',
          help: 'Notifications delivered.',
          type: 'counter',
          samples: [{ value: 7 }],
        },
      ],
    });
    const check = checkMetrics(text);
    expect(check, text).toEqual({ status: 0, output: '' });
    expect(text).toContain(
      'gantry_http_requests_total{environment="production",version="v1",code="200",code_class="2xx"} 21\n',
    );
    expect(text).toContain(
      'gantry_http_requests_total{environment="production",version="v1",code="500",code_class="5xx"} 3\n',
    );
    expect(text).toContain(
      'gantry_http_requests_total{environment="staging",version="v1",code="502",code_class="5xx"} 1\n',
    );
    // A class with no response yet is there at 0, without a code, so a rate over it exists.
    expect(text).toContain(
      'gantry_http_requests_total{environment="production",version="v1",code_class="4xx"} 0\n',
    );
    expect(text).toContain(
      'gantry_http_request_duration_seconds_count{environment="production",version="v1"} 24\n',
    );
    // The slow request took at least 60 ms, so it is outside the 50 ms bucket.
    const fast = /duration_seconds_bucket\{environment="production",version="v1",le="0.05"\} (\d+)\n/.exec(
      text,
    );
    expect(Number(fast?.[1])).toBeLessThanOrEqual(23);
    expect(text).toContain(
      '{environment="production",version="v2 \\"odd\\"\\\\name",code="200",code_class="2xx"} 1\n',
    );
    for (const name of STANDARD_PROCESS_METRICS) expect(text).toMatch(new RegExp(`^${name} [\\d.e+]+$`, 'm'));
    expect(text).not.toMatch(/gantry_process_/);
  });

  it('is checked for real: promtool rejects names that break the rules', () => {
    const bad = '# HELP gantry_latency_ms x\n# TYPE gantry_latency_ms counter\ngantry_latency_ms 1\n';
    expect(checkMetrics(bad).status).not.toBe(0);
  });
});

describe('label values and extra metrics', () => {
  it('escapes backslashes, quotes and newlines in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('refuses extra metrics whose names break the rules', () => {
    const engine = createMetricsEngine({ service: 'shop' });
    const render = (name: string, type: 'gauge' | 'counter', label = 'state') =>
      renderPrometheus(engine, {
        metrics: [{ name, help: 'x', type, samples: [{ labels: { [label]: 'a' }, value: 1 }] }],
      });
    expect(() => render('gantry_sent', 'counter')).toThrow(/must end in _total/);
    expect(() => render('gantry:releases', 'gauge')).toThrow(/must match/);
    expect(() => render('releases', 'gauge')).toThrow(/start with gantry_/);
    expect(() => render('gantry_releases', 'gauge', '__name')).toThrow(/label __name/);
    expect(() => render('gantry_releases_total', 'gauge')).toThrow(/must not end in _total/);
    const twice = { name: 'gantry_releases', help: 'x', type: 'gauge' as const, samples: [] };
    expect(() => renderPrometheus(engine, { metrics: [twice, twice] })).toThrow(
      /gantry_releases is exposed twice/,
    );
    expect(render('gantry_releases', 'gauge')).toContain('gantry_releases{state="a"} 1\n');
  });
});

describe('the code label', () => {
  it('takes at most MAX_CODE_LABELS values whatever statuses an upstream sends', () => {
    const engine = createMetricsEngine({ service: 'shop' });
    const base = { environment: 'production', version: 'v1', instance: 'i', method: 'GET', latencyMs: 1 };
    for (let status = -5; status < 1100; status++) engine.record({ ...base, status, at: Date.now() });
    engine.record({ ...base, status: 499, at: Date.now(), error: 'client_abort' });
    const text = renderPrometheus(engine);
    const codes = new Set([...text.matchAll(/code="([^"]*)"/g)].map((m) => m[1]));
    expect(MAX_CODE_LABELS).toBe(64);
    expect(codes.size).toBe(MAX_CODE_LABELS);
    const samples = text.split('\n').filter((l) => l.startsWith('gantry_http_requests_total{'));
    // Each labelled code, "other" in each class 1xx–5xx and outside them, and the client abort.
    expect(samples).toHaveLength(LABELLED_STATUS_CODES.length + 6 + 1);
    expect(text).toContain('code="418",code_class="4xx"} 1\n');
    expect(text).toContain('code="other",code_class="5xx"} 88\n'); // 500–599 minus the 12 registered
    expect(text).toContain('code="other",code_class="other"} 605\n'); // -5–99 and 600–1099
    expect(text).toContain('{environment="production",version="v1",code_class="client_abort"} 1\n');
    const total = samples.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(total).toBe(1106);
  });
});

describe('process metrics', () => {
  it('counts the descriptors this process opens and reads its limit as a shell sees it', () => {
    const value = (name: string) => processFamilies().find((f) => f.name === name)?.samples[0]?.value;
    const before = value('process_open_fds') as number;
    const fds = Array.from({ length: 5 }, () => openSync('/dev/null', 'r'));
    try {
      expect(value('process_open_fds')).toBe(before + 5);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    const ulimit = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
    expect(String(value('process_max_fds'))).toBe(ulimit);
    expect(value('process_virtual_memory_bytes')).toBeGreaterThan(
      value('process_resident_memory_bytes') as number,
    );
    expect(value('process_heap_bytes')).toBeGreaterThan(0);
    const start = value('process_start_time_seconds') as number;
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
  });
});

describe('OpenMetrics', () => {
  it('serves OpenMetrics 1.0.0 to the Accept of Prometheus, the text format otherwise', async () => {
    const engine = createMetricsEngine({ service: 'shop' });
    engine.record({
      environment: 'p',
      version: 'v1',
      instance: 'i',
      method: 'GET',
      status: 200,
      latencyMs: 2,
      at: Date.now(),
    });
    const app = Fastify({ logger: false });
    registerMetricsRoutes(app, {
      engine,
      service: 'shop',
      extra: () => ({
        metrics: [
          { name: 'gantry_sent_total', help: 'Say "hi"\\', type: 'counter', samples: [{ value: 2 }] },
        ],
      }),
    });
    try {
      const prometheus =
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
      const om = await app.inject({ url: '/metrics', headers: { accept: prometheus } });
      // Samples apart from the process' own, which change between two scrapes.
      const samples = (body: string) =>
        body.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('process_'));

      expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
      expect(om.headers.vary).toBe('Accept');
      expect(om.body.endsWith('\n# EOF\n')).toBe(true);
      expect(om.body).toContain(
        '# TYPE gantry_http_requests counter\n# HELP gantry_http_requests Proxied HTTP requests by status code and class since start.\ngantry_http_requests_total{environment="p",version="v1",code="200",code_class="2xx"} 1\n',
      );
      expect(om.body).toContain(
        '# TYPE gantry_http_request_duration_seconds histogram\n# UNIT gantry_http_request_duration_seconds seconds\n',
      );
      expect(om.body).toContain('# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n');
      expect(om.body).toContain('# TYPE gantry_build info\n');
      expect(om.body).toContain('# HELP gantry_sent Say \\"hi\\"\\\\\ngantry_sent_total 2\n');

      // Older Prometheus versions (2.30 for one) asked for OpenMetrics 0.0.1 (what Gantry writes is valid in it too).
      const older = 'application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
      const om001 = await app.inject({ url: '/metrics', headers: { accept: older } });
      expect(om001.headers['content-type']).toBe(
        'application/openmetrics-text; version=0.0.1; charset=utf-8',
      );
      expect(samples(om001.body)).toEqual(samples(om.body));
      expect(om001.body.endsWith('\n# EOF\n')).toBe(true);

      const text = await app.inject({ url: '/metrics', headers: { accept: '*/*' } });
      expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(text.body).not.toContain('# EOF');
      expect(text.body).toContain('# TYPE gantry_http_requests_total counter\n');
      expect(text.body).toContain('# TYPE gantry_build_info gauge\n');
      // The same samples in both, so both formats make the same series.
      expect(samples(om.body)).toEqual(samples(text.body));
    } finally {
      await app.close();
    }
  });

  it.each([
    [undefined, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/plain', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text; version="1.0.0"', 'openmetrics'],
    ['Application/OpenMetrics-Text;Version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'openmetrics'],
    ['application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'openmetrics'],
    ['application/openmetrics-text;version=2.0.0', 'text'],
    ['application/openmetrics-text;version=1.0.0;q=0', 'text'],
    ['application/openmetrics-text;q=0.4,text/plain;q=0.5', 'text'],
    ['text/plain;q=0.5,application/openmetrics-text;q=0.9', 'openmetrics'],
    ['text/plain;version=0.0.4,application/openmetrics-text', 'text'],
    ['application/json', 'text'],
  ] as const)('Accept %j gets %s', (accept, format) => {
    expect(negotiateFormat(accept).format).toBe(format);
  });
});
