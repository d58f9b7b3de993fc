// Container versions end to end: a real Gantry server (a child process, so it can be
// SIGKILLed) with `runtime: docker` on real Podman, images pulled from a loopback docker-registry.
// A rolling release of two images under load, a canary of an image whose every request fails,
// a missing image, an image that exits at start and one that never gets ready (each fails its
// release, quoting what the container said or answered, while the old version keeps serving),
// container CPU and memory in the instance metrics, a secret that reaches the container but no
// label or log, and adoption of the same containers after kill -9 of the server.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsQueryResponse, ReleaseDetailResponse } from '../src/api/types.ts';
import {
  ApiClient,
  ChildServer,
  freePort,
  hit,
  sleep,
  startLoad,
  startPacedLoad,
  tempDir,
  waitFor,
} from './helpers/gantry.ts';
import { IMAGE_APP_DIR, IMAGE_NODE, PodmanPeer, requirePodman } from './helpers/podman.ts';

const mode = requirePodman();
const SECRET = `s3cr3t-${process.pid}-${Date.now()}`;
/** startup_timeout of the test config: how long a version that never gets ready is waited for. */
const STARTUP_TIMEOUT_S = 10;
/** The CMD of an image that says why and exits at once, as a misconfigured service does. */
const CRASH_SCRIPT =
  "console.log('shop starting'); console.error('FATAL config: DATABASE_URL is not set'); process.exit(3)";
/** The CMD of an image that listens but whose health check never passes (503 with a reason). */
const UNREADY_SCRIPT = [
  "const s = require('node:http').createServer((q, r) => {",
  "  r.writeHead(503, { 'content-type': 'text/plain' }); r.end('warming up: cache not loaded');",
  '});',
  "s.listen(Number(process.env.PORT || 8000), '0.0.0.0', () => console.log('unready listening'));",
  "process.on('SIGTERM', () => process.exit(0));",
].join(' ');

describe.skipIf(mode === 'skip')('container versions on real Podman', () => {
  let peer: PodmanPeer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let api: ApiClient;
  let staging: number;
  let production: number;

  beforeAll(async () => {
    peer = await PodmanPeer.start();
    const service = [IMAGE_NODE, `${IMAGE_APP_DIR}/image-service.mjs`];
    for (const [tag, env, cmd] of [
      ['v1', { APP_VERSION: 'v1' }, service],
      ['v2', { APP_VERSION: 'v2' }, service],
      ['bad', { APP_VERSION: 'bad', APP_FAIL: '1' }, service],
      ['crash', {}, [IMAGE_NODE, '-e', CRASH_SCRIPT]],
      ['unready', {}, [IMAGE_NODE, '-e', UNREADY_SCRIPT]],
    ] as const) {
      await peer.buildImage({ name: 'shop', tag, env, cmd: [...cmd] });
    }
    tmp = await tempDir('gantry-containers-');
    staging = await freePort();
    production = await freePort();
    const config = path.join(tmp.dir, 'gantry.yaml');
    await writeFile(config, shopConfig(peer, staging, production));
    server = new ChildServer({ config, dataDir: path.join(tmp.dir, 'data') });
    await server.start();
    api = new ApiClient(server.url);
    const set = await api.call('PUT', '/api/v1/environments/staging/secrets/APP_SECRET', { value: SECRET });
    expect(set.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await peer?.close();
    await tmp?.cleanup();
  }, 120_000);

  async function release(environment: string, version: string, timeoutMs = 90_000) {
    const r = await api.call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment,
      version,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return api.waitRelease(r.body.release.id, timeoutMs);
  }

  async function shopContainers() {
    return (await peer.containers()).filter((c) => c.Labels?.['gantry.service'] === 'shop');
  }

  it('rolls staging from image v1 to v2 under load with 0 failed requests', async () => {
    const first = await release('staging', 'v1');
    expect(first.release.state).toBe('succeeded');
    expect((await hit(staging)).version).toBe('v1');

    const load = startLoad(staging, 8);
    await waitFor('load flowing', async () => load.result.total > 50);
    const done = await release('staging', 'v2');
    await sleep(500);
    const result = await load.stop();
    expect(done.release.state).toBe('succeeded');
    expect(result.failures).toEqual([]);
    expect(result.byVersion.get('v1')).toBeGreaterThan(0);
    expect(result.byVersion.get('v2')).toBeGreaterThan(0);
    console.log(
      `rolling image release under load: ${result.total} requests, ${result.failures.length} failed, ` +
        `by version ${JSON.stringify(Object.fromEntries(result.byVersion))}`,
    );

    // Both versions are recorded pinned to the digest the registry gave them.
    const versions = await api.call<{
      versions: Array<{ version: string; image?: string; digest?: string }>;
    }>('GET', '/api/v1/versions');
    const v2 = versions.body.versions.find((v) => v.version === 'v2');
    expect(v2?.image).toMatch(new RegExp(`^${peer.registry}/shop@sha256:[a-f0-9]{64}$`));
    // Only v2's two containers are left, labelled with what they run.
    const left = await shopContainers();
    expect(
      left.map((c) => [c.Labels?.['gantry.environment'], c.Labels?.['gantry.version'], c.State]),
    ).toEqual([
      ['staging', 'v2', 'running'],
      ['staging', 'v2', 'running'],
    ]);
    // The two were started together, not one after the other: each was created before either
    // started (the engine's create and start take about half a second per container).
    const times = JSON.parse(await peer.podman(['inspect', ...left.map((c) => c.Id)])) as Array<{
      Created: string;
      State: { StartedAt: string };
    }>;
    const lastCreated = Math.max(...times.map((t) => Date.parse(t.Created)));
    const firstStarted = Math.min(...times.map((t) => Date.parse(t.State.StartedAt)));
    expect(lastCreated).toBeLessThan(firstStarted);
  });

  it('injects secrets as environment, never as labels or in logs', async () => {
    expect(JSON.parse((await hit(staging, '/has-secret')).body)).toEqual({ set: true });
    const ids = (await shopContainers()).map((c) => c.Id);
    const inspected = JSON.parse(await peer.podman(['inspect', ...ids])) as Array<{
      Config: { Labels: Record<string, string>; Env: string[] };
    }>;
    for (const c of inspected) {
      expect(JSON.stringify(c.Config.Labels)).not.toContain(SECRET);
      expect(c.Config.Env).toContain(`APP_SECRET=${SECRET}`);
    }
    const logs = await api.call<unknown>('GET', '/api/v1/logs?environment=staging&limit=500');
    expect(logs.status).toBe(200);
    expect(JSON.stringify(logs.body)).toContain('image-service v2 listening');
    expect(JSON.stringify(logs.body)).not.toContain(SECRET);
    expect(server.output).not.toContain(SECRET);
  });

  it('fails the release of a missing image with the engine error, and the old version keeps serving', async () => {
    const r = await api.call<{ release?: { id: string }; error?: { code: string; message: string } }>(
      'POST',
      '/api/v1/releases',
      { environment: 'staging', version: 'v404' },
    );
    let message: string;
    if (r.status === 201) {
      const done = await api.waitRelease((r.body.release as { id: string }).id);
      expect(done.release.state).toBe('failed');
      message = done.release.message ?? '';
    } else {
      expect([r.status, r.body.error?.code]).toEqual([422, 'IMAGE_UNAVAILABLE']);
      message = r.body.error?.message ?? '';
    }
    expect(message).toContain(`${peer.registry}/shop:v404`);
    expect(message).toMatch(/manifest unknown|not found|no such|unknown/i);
    expect((await hit(staging)).version).toBe('v2');
    expect((await shopContainers()).filter((c) => c.Labels?.['gantry.version'] === 'v404')).toEqual([]);
  });

  it('fails the release of an image that exits at start with its exit code and last output; v2 keeps serving', async () => {
    const load = startLoad(staging, 4);
    const done = await release('staging', 'crash');
    const result = await load.stop();
    expect(done.release.state).toBe('failed');
    expect(done.release.reason).toBe('NotReady');
    const message = done.release.message ?? '';
    // The container is started again (with backoff) until it has exited 3 times or startup_timeout
    // has passed (a Podman start takes a second or two, so often the latter); either way the
    // message gives the exit code the engine reported and the line the container printed.
    expect(message).toMatch(/^crash never became ready: instance \S+ \(crash\) /);
    expect(message).toMatch(/last exit: code 3/);
    expect(message).toMatch(/\d+ exit\(s\) before ready/);
    expect(message).toMatch(/last output: .*FATAL config: DATABASE_URL is not set/);
    expect(message).toMatch(/; staging keeps serving v2$/);
    // Each exit is recorded with the container's last output.
    const events = await api.call<{ events: Array<{ type: string; data: { lastOutput?: string[] } }> }>(
      'GET',
      '/api/v1/events?environment=staging&limit=100',
    );
    const exits = events.body.events.filter(
      (e) =>
        e.type === 'instance.exited' && e.data.lastOutput?.includes('FATAL config: DATABASE_URL is not set'),
    );
    expect(exits.length).toBeGreaterThanOrEqual(2);
    expect(result.failures).toEqual([]);
    expect([...result.byVersion.keys()]).toEqual(['v2']);
    expect((await hit(staging)).version).toBe('v2');
    expect((await shopContainers()).filter((c) => c.Labels?.['gantry.version'] === 'crash')).toEqual([]);
  });

  it('fails the release of an image that never gets ready after startup_timeout with the probe result; v2 keeps serving', async () => {
    const load = startLoad(staging, 4);
    const done = await release('staging', 'unready');
    const result = await load.stop();
    expect(done.release.state).toBe('failed');
    expect(done.release.reason).toBe('NotReady');
    const message = done.release.message ?? '';
    expect(message).toMatch(new RegExp(`\\(unready\\) not ready after ${STARTUP_TIMEOUT_S} s`));
    expect(message).toMatch(/last probe: GET \/health → 503 in \d+ ms: warming up: cache not loaded/);
    expect(message).toMatch(/last output: unready listening/);
    expect(message).toMatch(/; stopped in \S+ \(run\.stop_timeout 3s\); staging keeps serving v2$/);
    const verifying = done.events.find((e) => e.state === 'verifying');
    const notReady = done.events.find((e) => e.type === 'instances.not_ready');
    const waited = Date.parse(notReady?.at ?? '') - Date.parse(verifying?.at ?? '');
    expect(waited).toBeGreaterThanOrEqual(STARTUP_TIMEOUT_S * 1000 - 50);
    expect(waited).toBeLessThan(STARTUP_TIMEOUT_S * 1000 + 3000);
    expect(result.failures).toEqual([]);
    expect([...result.byVersion.keys()]).toEqual(['v2']);
    expect((await hit(staging)).version).toBe('v2');
    expect((await shopContainers()).filter((c) => c.Labels?.['gantry.version'] === 'unready')).toEqual([]);
  });

  it("reports the containers' CPU and memory as instance_cpu and instance_memory, as for processes", async () => {
    // The sampler reads the engine's stats every 5 s; CPU needs two readings of the same container.
    async function latest(metric: string): Promise<{ value: number } | undefined> {
      const r = await api.call<MetricsQueryResponse>(
        'GET',
        `/api/v1/metrics?environment=staging&version=v2&metric=${metric}&from=-1m&step=5s`,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const series = r.body.series.find((s) => s.metric === metric && s.version === 'v2');
      const value = series?.points.filter((p) => p[1] !== null).at(-1)?.[1];
      return typeof value === 'number' ? { value } : undefined;
    }
    const memory = (await waitFor('instance_memory of v2', () => latest('instance_memory'), 30_000)).value;
    const cpu = (await waitFor('instance_cpu of v2', () => latest('instance_cpu'), 30_000)).value;
    console.log(
      `container metrics of staging v2 (2 instances): instance_memory ${(memory / 1e6).toFixed(1)} MB, ` +
        `instance_cpu ${(cpu * 100).toFixed(2)}% of a core`,
    );
    // The sum over v2's two containers: each a node process of some tens of MB.
    expect(memory).toBeGreaterThan(2 * 5e6);
    expect(memory).toBeLessThan(2 * 1e9);
    // Probes every 100-200 ms keep each container a little busy; no more than the machine's cores.
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThan(os.availableParallelism());
  });

  it('rolls back a canary of an image whose every request fails, within seconds', async () => {
    expect((await release('production', 'v1')).release.state).toBe('succeeded');
    const load = startPacedLoad(production, 200);
    await waitFor('load flowing', async () => load.samples.length > 100);
    const done: ReleaseDetailResponse = await release('production', 'bad');
    await sleep(1000);
    const samples = await load.stop();
    expect(done.release.state).toBe('rolled_back');
    const failed = samples.filter((s) => s.status !== 200).sort((a, b) => a.start - b.start);
    expect(failed.length).toBeGreaterThan(0);
    const firstFailure = failed[0]?.start as number;
    const lastFailure = failed.at(-1)?.start as number;
    console.log(
      `failing image canary: ${failed.length} of ${samples.length} requests failed, ` +
        `traffic back on stable ${lastFailure - firstFailure} ms after the canary's first failure`,
    );
    expect(lastFailure - firstFailure).toBeLessThanOrEqual(3000);
    expect(samples.filter((s) => s.start > lastFailure + 100).every((s) => s.version === 'v1')).toBe(true);
    expect((await shopContainers()).filter((c) => c.Labels?.['gantry.version'] === 'bad')).toEqual([]);
  });

  it('adopts the same containers after kill -9 of the server', async () => {
    const before = (await shopContainers()).map((c) => c.Id).sort();
    expect(before).toHaveLength(4);
    await server.kill9();
    // Containers outlive the server, and keep answering on their published ports.
    expect((await shopContainers()).map((c) => c.Id).sort()).toEqual(before);
    await server.start();
    api = new ApiClient(server.url);
    await waitFor(
      'staging served again',
      async () => (await hit(staging).catch(() => undefined))?.version === 'v2',
    );
    await waitFor(
      'production served again',
      async () => (await hit(production).catch(() => undefined))?.version === 'v1',
    );
    const after = await shopContainers();
    expect(after.map((c) => c.Id).sort()).toEqual(before);
    expect(after.every((c) => c.State === 'running')).toBe(true);
    const status = await api.status();
    expect(JSON.stringify(status)).toContain(before[0]?.slice(0, 12));
  });
});

function shopConfig(peer: PodmanPeer, staging: number, production: number): string {
  return `service: shop
runtime:
  docker:
    host: ${peer.dockerHost}
    network: bridge
    pull: if-not-present
run:
  image: ${peer.registry}/shop
  port: 8000
  stop_timeout: 3s
  drain_timeout: 5s
health:
  liveness: { path: /health, interval: 200ms, timeout: 1s, failure_threshold: 3 }
  readiness: { path: /health, interval: 100ms, timeout: 1s, failure_threshold: 2 }
  startup_timeout: ${STARTUP_TIMEOUT_S}s
environments:
  staging:
    listen: 127.0.0.1:${staging}
    instances: 2
    secrets: [APP_SECRET]
    strategy: rolling
  production:
    listen: 127.0.0.1:${production}
    instances: 2
    strategy:
      canary:
        steps:
          - { weight: 10, pause: 3s }
          - { weight: 50, pause: 2s }
          - { weight: 100 }
        analysis:
          interval: 1s
          min_requests: 20
          max_error_rate: 5%
          step_deadline: 60s
`;
}
