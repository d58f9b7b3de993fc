// The Prometheus exposition of an engine fed by a real data plane proxying real requests, checked
// by Prometheus' own `promtool check metrics` (Debian package prometheus).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { escapeLabelValue, renderPrometheus } from '../src/metrics/prometheus.ts';
import { hasExecutable, requirePeer } from './helpers/peers.ts';
import { backend, pool, refusedPort, route, send, useProxyFixture, waitFor } from './helpers/proxy.ts';

const PROMTOOL = '/usr/bin/promtool';
const promtool = requirePeer(
  'promtool',
  hasExecutable(PROMTOOL),
  `${PROMTOOL} not found (apt-get install prometheus)`,
);

const fixture = useProxyFixture();

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
      'gantry_http_requests_total{environment="production",version="v1",code_class="2xx"} 21\n',
    );
    expect(text).toContain(
      'gantry_http_requests_total{environment="production",version="v1",code_class="5xx"} 3\n',
    );
    expect(text).toContain(
      'gantry_http_requests_total{environment="staging",version="v1",code_class="5xx"} 1\n',
    );
    expect(text).toContain(
      'gantry_http_request_duration_seconds_count{environment="production",version="v1"} 24\n',
    );
    // The slow request took at least 60 ms, so it is outside the 50 ms bucket.
    const fast = /duration_seconds_bucket\{environment="production",version="v1",le="0.05"\} (\d+)\n/.exec(
      text,
    );
    expect(Number(fast?.[1])).toBeLessThanOrEqual(23);
    expect(text).toContain('{environment="production",version="v2 \\"odd\\"\\\\name",code_class="2xx"} 1\n');
    expect(text).toMatch(/^gantry_process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^gantry_process_cpu_seconds_total [\d.]+$/m);
    expect(text).toMatch(/^gantry_process_start_time_seconds [\d.]+$/m);
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
    expect(render('gantry_releases', 'gauge')).toContain('gantry_releases{state="a"} 1\n');
  });
});
