// A real Prometheus (Debian package prometheus) scraping GET /metrics on a loopback port: it asks
// for OpenMetrics first, gets it, parses it with its own OpenMetrics parser, and answers PromQL
// over what it scraped, with the units of `# UNIT` in its metadata (the text format has none).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerMetricsRoutes } from '../src/api/metrics-routes.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { hasExecutable, requirePeer, startPeer, stopPeers } from './helpers/peers.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const mode = requirePeer(
  'prometheus',
  hasExecutable(PROMETHEUS),
  `${PROMETHEUS} not found (apt-get install prometheus)`,
);

let app: FastifyInstance | undefined;
let dir: string | undefined;

afterEach(async () => {
  await stopPeers();
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

interface Target {
  health: string;
  lastError: string;
}

describe.skipIf(mode === 'skip')('a real Prometheus scraping /metrics', () => {
  it('negotiates OpenMetrics, parses it, and answers PromQL over the code label and the process metrics', async () => {
    const engine = createMetricsEngine({ service: 'shop' });
    const at = Date.now();
    const base = {
      environment: 'production',
      version: 'v1',
      instance: 'i1',
      method: 'GET',
      latencyMs: 4,
      at,
    };
    for (let i = 0; i < 5; i++) engine.record({ ...base, status: 200 });
    for (let i = 0; i < 2; i++) engine.record({ ...base, status: 503 });
    engine.record({ ...base, status: 520 });
    const accepts: string[] = [];
    app = Fastify({ logger: false });
    app.addHook('onRequest', async (req) => {
      accepts.push(req.headers.accept ?? '');
    });
    registerMetricsRoutes(app, { engine, service: 'shop', extra: () => ({ buildVersion: '0.1.0' }) });
    const gantry = await app.listen({ port: 0, host: '127.0.0.1' });

    dir = mkdtempSync(join(tmpdir(), 'gantry-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        '  - job_name: gantry',
        `    static_configs: [{ targets: ["${new URL(gantry).host}"] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const api = `http://127.0.0.1:${port}/api/v1`;
    const prom = startPeer(
      [
        PROMETHEUS,
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    const target = await prom.waitFor('a scrape of Gantry', async () => {
      const t = await getJson<{ data: { activeTargets: Target[] } }>(`${api}/targets`);
      const first = t?.data.activeTargets[0];
      return first && first.health !== 'unknown' ? first : undefined;
    });
    expect(target).toEqual(expect.objectContaining({ health: 'up', lastError: '' }));
    expect(accepts[0]).toMatch(/^application\/openmetrics-text;\s*version=1\.0\.0/);

    const query = async (promql: string) =>
      (
        await getJson<{
          data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        }>(`${api}/query?query=${encodeURIComponent(promql)}`)
      )?.data.result ?? [];
    const byCode = await prom.waitFor('the request counters in PromQL', async () => {
      const r = await query(
        'sum by (code, code_class) (gantry_http_requests_total{environment="production"})',
      );
      return r.length > 0 ? r : undefined;
    });
    const counts = Object.fromEntries(
      byCode.map((r) => [`${r.metric.code ?? ''}/${r.metric.code_class}`, Number(r.value[1])]),
    );
    expect(counts).toEqual({ '200/2xx': 5, '503/5xx': 2, 'other/5xx': 1, '/3xx': 0, '/4xx': 0 });
    // The class label still sums as it did before the code label came.
    const fives = await query('sum(gantry_http_requests_total{code_class="5xx"})');
    expect(Number(fives[0]?.value[1])).toBe(3);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'process_max_fds',
      'process_virtual_memory_bytes',
      'process_heap_bytes',
      'gantry_build_info',
    ]) {
      const r = await query(name);
      expect(r, name).toHaveLength(1);
      expect(Number(r[0]?.value[1]), name).toBeGreaterThan(0);
    }

    // Metadata as the OpenMetrics parser read it: units from `# UNIT`, the info type.
    const meta = await getJson<{ data: Array<{ metric: string; type: string; unit: string }> }>(
      `${api}/targets/metadata?match_target=${encodeURIComponent('{job="gantry"}')}`,
    );
    const of = (metric: string) => meta?.data.find((m) => m.metric === metric);
    expect(of('gantry_http_request_duration_seconds')).toEqual(
      expect.objectContaining({ type: 'histogram', unit: 'seconds' }),
    );
    expect(of('process_resident_memory_bytes')).toEqual(
      expect.objectContaining({ type: 'gauge', unit: 'bytes' }),
    );
    expect(of('gantry_build')).toEqual(expect.objectContaining({ type: 'info' }));
  }, 60_000);
});
