// A real Prometheus (Debian package prometheus) scraping GET /metrics on a loopback port: it asks
// for OpenMetrics first, gets it, parses it with its own OpenMetrics parser, and answers PromQL
// over what it scraped, with the units of `# UNIT` in its metadata (the text format has none).
// Then a whole Gantry server, scraped with a viewer token as docs/metrics.md shows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerMetricsRoutes } from '../src/api/metrics-routes.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { ApiClient, freePort, writeHelloConfig } from './helpers/gantry.ts';
import { hasExecutable, type PeerProcess, requirePeer, startPeer, stopPeers } from './helpers/peers.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const mode = requirePeer(
  'prometheus',
  hasExecutable(PROMETHEUS),
  `${PROMETHEUS} not found (apt-get install prometheus)`,
);

let app: FastifyInstance | undefined;
let server: GantryServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await stopPeers();
  await app?.close();
  await server?.close({ stopInstances: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
  app = undefined;
  server = undefined;
  dir = undefined;
});

/** Prometheus scraping every second the jobs given as YAML; its API's base URL. */
async function startPrometheus(jobs: string[]): Promise<{ prom: PeerProcess; api: string }> {
  dir ??= mkdtempSync(join(tmpdir(), 'gantry-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    ['global: { scrape_interval: 1s, scrape_timeout: 1s }', 'scrape_configs:', ...jobs, ''].join('\n'),
  );
  const port = await freePort();
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
  return { prom, api: `http://127.0.0.1:${port}/api/v1` };
}

/** Each job's target once it was scraped at least once. */
async function scraped(prom: PeerProcess, api: string, jobs: number): Promise<Record<string, Target>> {
  return prom.waitFor(`a scrape of ${jobs} targets`, async () => {
    const t = await getJson<{ data: { activeTargets: Target[] } }>(`${api}/targets`);
    const done = t?.data.activeTargets.filter((x) => x.health !== 'unknown') ?? [];
    return done.length === jobs ? Object.fromEntries(done.map((x) => [x.labels.job, x])) : undefined;
  });
}

async function query(api: string, promql: string) {
  const r = await getJson<{
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  }>(`${api}/query?query=${encodeURIComponent(promql)}`);
  return r?.data.result ?? [];
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
  labels: Record<string, string>;
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

    const { prom, api } = await startPrometheus([
      '  - job_name: gantry',
      `    static_configs: [{ targets: ["${new URL(gantry).host}"] }]`,
    ]);
    const target = (await scraped(prom, api, 1)).gantry;
    expect(target).toEqual(expect.objectContaining({ health: 'up', lastError: '' }));
    expect(accepts[0]).toMatch(/^application\/openmetrics-text;\s*version=1\.0\.0/);

    const byCode = await prom.waitFor('the request counters in PromQL', async () => {
      const r = await query(
        api,
        'sum by (code, code_class) (gantry_http_requests_total{environment="production"})',
      );
      return r.length > 0 ? r : undefined;
    });
    const counts = Object.fromEntries(
      byCode.map((r) => [`${r.metric.code ?? ''}/${r.metric.code_class}`, Number(r.value[1])]),
    );
    expect(counts).toEqual({ '200/2xx': 5, '503/5xx': 2, 'other/5xx': 1, '/3xx': 0, '/4xx': 0 });
    // The class label still sums as it did before the code label came.
    const fives = await query(api, 'sum(gantry_http_requests_total{code_class="5xx"})');
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
      const r = await query(api, name);
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

  it('scrapes a whole Gantry server with a viewer token, and is refused without one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-prometheus-'));
    const cfg = await writeHelloConfig(dir, {
      extra: 'slos:\n  - { name: availability, environment: production, objective: 99.9% }\n',
    });
    server = await startServer({
      config: cfg.file,
      dataDir: join(dir, 'gantry'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    const admin = new ApiClient(server);
    const created = await admin.call<{ secret: string }>('POST', '/api/v1/tokens', {
      role: 'viewer',
      name: 'prometheus',
    });
    expect(created.status).toBe(201);
    const tokenFile = join(dir, 'gantry-token');
    writeFileSync(tokenFile, created.body.secret, { mode: 0o600 });
    const host = new URL(server.url).host;
    const { prom, api } = await startPrometheus([
      '  - job_name: gantry',
      `    authorization: { credentials_file: ${JSON.stringify(tokenFile)} }`,
      `    static_configs: [{ targets: ["${host}"] }]`,
      '  - job_name: anonymous',
      `    static_configs: [{ targets: ["${host}"] }]`,
    ]);
    const targets = await scraped(prom, api, 2);
    expect(targets.gantry).toEqual(expect.objectContaining({ health: 'up', lastError: '' }));
    expect(targets.anonymous?.health).toBe('down');
    expect(targets.anonymous?.lastError).toMatch(/401/);
    const slo = await query(api, 'gantry_slo_objective_ratio{job="gantry"}');
    expect(slo.map((r) => [r.metric.slo, Number(r.value[1])])).toEqual([['availability', 0.999]]);
    expect(await query(api, 'process_open_fds{job="gantry"} > 0')).toHaveLength(1);
    expect(await query(api, 'gantry_release_in_progress{job="gantry"}')).toHaveLength(2);
  }, 90_000);
});
