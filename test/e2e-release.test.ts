// The release path end to end: a real server, the real hello service as child processes, real
// HTTP load through the proxy.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import {
  ApiClient,
  helloBuild,
  hit,
  pidOf,
  startLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { serverStore, serverStoreKinds } from './helpers/server-store.ts';

describe.each(serverStoreKinds())('rolling releases (%s store)', (storeKind) => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let ports: { staging: number; production: number };
  let configFile: string;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '6s' });
    configFile = cfg.file;
    ports = cfg.ports;
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
      ...(await serverStore(storeKind)),
    });
    api = new ApiClient(server);
    for (const [v, knobs] of [
      ['v1', {}],
      ['v2', {}],
      ['v3-crash', { crash_on_start: true }],
      ['v3-unready', { fail_readiness: true }],
      ['v4-liveness', { fail_liveness_after_ms: 1500 }],
    ] as const) {
      const up = await api.upload(v, await helloBuild(tmp.dir, v, knobs));
      expect(up.status).toBe(201);
    }
    // A build whose start fails the way a service with a missing storage directory does: Node's
    // uncaught ENOTDIR, whose first line is a dozen lines above the end of its output.
    const enotdir = `${tmp.dir}/builds/v3-enotdir`;
    await mkdir(enotdir, { recursive: true });
    await writeFile(
      `${enotdir}/server.js`,
      "require('node:fs').readFileSync(__filename + '/storage/config.yaml');\n",
    );
    expect((await api.upload('v3-enotdir', enotdir)).status).toBe(201);
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('answers 503 with Retry-After before any version serves', async () => {
    const r = await hit(ports.staging);
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/no ready instance/i);
  });

  it('deploys v1, then rolls to v2 under continuous load with zero failed requests', async () => {
    const first = await api.waitRelease((await api.deploy('staging', 'v1')).id);
    expect(first.release.state).toBe('succeeded');
    expect((await hit(ports.staging)).version).toBe('v1');

    const load = startLoad(ports.staging, 8);
    await waitFor('1,000 requests on v1', async () => load.result.total >= 1000);
    const rel = await api.deploy('staging', 'v2');
    const done = await api.waitRelease(rel.id);
    const switchedAt = Date.now();
    const atSwitch = load.result.total;
    await waitFor('1,000 more requests after the release', async () => load.result.total >= atSwitch + 1000);
    const result = await load.stop();

    expect(done.release.state).toBe('succeeded');
    expect(done.events.map((e) => e.state).filter(Boolean)).toEqual([
      'pending',
      'starting',
      'verifying',
      'switching',
      'draining',
      'succeeded',
    ]);
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(2000);
    expect(result.byVersion.get('v1')).toBeGreaterThan(0);
    const after = result.responses.filter((r) => r.start >= switchedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.version === 'v2')).toBe(true);
  });

  it('a version that crashes on start fails the release; v2 keeps serving with zero failures', async () => {
    const load = startLoad(ports.staging, 4);
    const rel = await api.deploy('staging', 'v3-crash');
    const done = await api.waitRelease(rel.id);
    const result = await load.stop();
    expect(done.release.state).toBe('failed');
    expect(done.release.reason).toBe('NotReady');
    expect(done.release.message).toMatch(/exit.*code 1/);
    expect(done.release.message).toMatch(/keeps serving v2/);
    expect(result.failures).toEqual([]);
    expect([...result.byVersion.keys()]).toEqual(['v2']);
    const status = await api.status();
    const staging = status.environments.find((e) => e.name === 'staging');
    expect(staging?.currentVersion).toBe('v2');
    expect(staging?.instances.map((i) => i.version)).toEqual(['v2']);
  });

  it("a version that crashes at start is quoted by its error's first line, not only its stack's tail", async () => {
    const done = await api.waitRelease((await api.deploy('staging', 'v3-enotdir')).id);
    expect(done.release.state).toBe('failed');
    expect(done.release.message).toMatch(
      /last output: Error: ENOTDIR: not a directory, open '[^']*server\.js\/storage\/config\.yaml' \| … \| .*Node\.js v\d+/,
    );
    const exited = (
      await api.call<{ events: Array<{ type: string; data: { lastOutput?: string[] } }> }>(
        'GET',
        '/api/v1/events?environment=staging&limit=50',
      )
    ).body.events.find(
      (e) => e.type === 'instance.exited' && e.data.lastOutput?.some((l) => /ENOTDIR/.test(l)),
    );
    expect(exited?.data.lastOutput?.[0]).toMatch(/^Error: ENOTDIR/);
  });

  it('a version that never gets ready fails after startup_timeout with the probe result', async () => {
    const load = startLoad(ports.staging, 4);
    const done = await api.waitRelease((await api.deploy('staging', 'v3-unready')).id);
    const result = await load.stop();
    expect(done.release.state).toBe('failed');
    expect(done.release.message).toMatch(/not ready after 6 s/);
    expect(done.release.message).toMatch(/last probe: .*503/);
    // The stop after the startup timeout is said apart from it, when it starts and in the outcome.
    expect(done.release.message).toMatch(
      /; stopped in \S+ \(run\.stop_timeout 3s\); staging keeps serving v2$/,
    );
    const verifying = done.events.find((e) => e.state === 'verifying');
    const notReady = done.events.find((e) => e.type === 'instances.not_ready');
    expect(notReady?.message).toMatch(
      /not ready after 6 s.*; stopping 1 instance\(s\), up to 3s \(run\.stop_timeout\)$/,
    );
    const waited = Date.parse(notReady?.at ?? '') - Date.parse(verifying?.at ?? '');
    // Event times are wall-clock milliseconds, the wait a timer: allow the clock a little slack
    // (a CI run once measured 5,999 ms).
    expect(waited).toBeGreaterThanOrEqual(5950);
    expect(waited).toBeLessThan(8000);
    expect(result.failures).toEqual([]);
    expect([...result.byVersion.keys()]).toEqual(['v2']);
  });

  it('refuses a second release while one is in progress (409)', async () => {
    const rel = await api.deploy('staging', 'v1');
    const second = await api.call<{ error: { code: string; message: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('RELEASE_IN_PROGRESS');
    expect(second.body.error.message).toContain(rel.id);
    expect((await api.waitRelease(rel.id)).release.state).toBe('succeeded');
  });

  it('rolls back to the previous successful version, or to --to', async () => {
    // staging history: v1, v2, (failed ones), v1 → previous successful other than v1 is v2
    const back = await api.call<{ release: { id: string; version: string } }>('POST', '/api/v1/rollback', {
      environment: 'staging',
    });
    expect(back.status).toBe(201);
    expect(back.body.release.version).toBe('v2');
    expect((await api.waitRelease(back.body.release.id)).release.state).toBe('succeeded');
    expect((await hit(ports.staging)).version).toBe('v2');
    const to = await api.call<{ release: { id: string; version: string } }>('POST', '/api/v1/rollback', {
      environment: 'staging',
      to: 'v1',
    });
    expect(to.body.release.version).toBe('v1');
    await api.waitRelease(to.body.release.id);
    expect((await hit(ports.staging)).version).toBe('v1');
  });

  it('maps refs through track rules and honours requires.passed', async () => {
    const noMatch = await api.call<{ error: { code: string } }>('POST', '/api/v1/releases', {
      ref: 'refs/heads/feature-x',
      version: 'v2',
    });
    expect(noMatch.status).toBe(422);
    expect(noMatch.body.error.code).toBe('NO_TRACK_MATCH');

    const notPassed = await api.call<{ error: { code: string; message: string } }>(
      'POST',
      '/api/v1/releases',
      {
        ref: 'refs/tags/v4',
        version: 'v4-liveness',
      },
    );
    expect(notPassed.status).toBe(422);
    expect(notPassed.body.error.code).toBe('POLICY_REFUSED');
    expect(notPassed.body.error.message).toMatch(
      /requires.passed: production takes only versions that succeeded in staging/,
    );

    const promoteRefused = await api.call<{ error: { code: string } }>('POST', '/api/v1/promote', {
      from: 'staging',
      to: 'production',
      version: 'v3-crash',
    });
    expect(promoteRefused.status).toBe(422);

    const main = await api.call<{ release: { id: string; environment: string }; chosenBy: string }>(
      'POST',
      '/api/v1/releases',
      { ref: 'refs/heads/main', version: 'v2' },
    );
    expect(main.status).toBe(201);
    expect(main.body.release.environment).toBe('staging');
    expect(main.body.chosenBy).toMatch(/main/);
    await api.waitRelease(main.body.release.id);

    const tag = await api.call<{ release: { id: string; environment: string } }>('POST', '/api/v1/releases', {
      ref: 'refs/tags/v2',
      version: 'v2',
    });
    expect(tag.status).toBe(201);
    expect(tag.body.release.environment).toBe('production');
    expect((await api.waitRelease(tag.body.release.id)).release.state).toBe('succeeded');
    expect((await hit(ports.production)).version).toBe('v2');

    const promoted = await api.call<{ release: { id: string; version: string } }>('POST', '/api/v1/promote', {
      from: 'staging',
      to: 'production',
    });
    expect(promoted.status).toBe(201);
    expect(promoted.body.release.version).toBe('v2');
    await api.waitRelease(promoted.body.release.id);
  });

  it('restarts a crashed instance with backoff and keeps serving on the other one', async () => {
    const before = (await api.status()).environments.find((e) => e.name === 'production');
    const victim = before?.instances[0];
    const victimPid = pidOf(victim);
    process.kill(-victimPid, 'SIGKILL');
    const after = await waitFor('instance restarted and ready', async () => {
      const env = (await api.status()).environments.find((e) => e.name === 'production');
      const inst = env?.instances.find((i) => i.id === victim?.id);
      return inst && inst.restarts >= 1 && inst.ready && inst.handle && pidOf(inst) !== victimPid
        ? inst
        : undefined;
    });
    expect(after.lastExit?.signal).toBe('SIGKILL');
    expect((await hit(ports.production)).status).toBe(200);
    // The crash is recorded as a durable event of the environment.
    const events = await api.call<{
      events: Array<{ type: string; instance: string; message: string; data: { restartInMs: number } }>;
    }>('GET', `/api/v1/events?environment=production&instance=${victim?.id}`);
    const crash = events.body.events.find((e) => e.type === 'instance.exited');
    expect(crash?.message).toMatch(/exited by signal SIGKILL; restarting in \d+ ms/);
    expect(crash?.data.restartInMs).toBeGreaterThan(0);
  });

  it('takes an instance that fails readiness out of traffic, and puts it back when it passes again', async () => {
    const env = (await api.status()).environments.find((e) => e.name === 'production');
    const [a, b] = env?.instances ?? [];
    expect(a && b).toBeTruthy();
    const toggle = (port: number, ready: boolean) =>
      fetch(`http://127.0.0.1:${port}/admin/readiness?ready=${ready}`, { method: 'POST' });
    await toggle(a?.port as number, false);
    await waitFor('instance unready', async () => {
      const e = (await api.status()).environments.find((x) => x.name === 'production');
      return e?.instances.find((i) => i.id === a?.id)?.ready === false;
    });
    const load = startLoad(ports.production, 4);
    await waitFor('300 requests', async () => load.result.total >= 300);
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    // Every response came from the ready instance; the unready one is still running.
    const seen = new Set(result.responses.map((r) => r.version));
    expect(seen).toEqual(new Set(['v2']));
    const instances = await Promise.all(
      Array.from(
        { length: 20 },
        async () => (JSON.parse((await hit(ports.production)).body) as { instance: string }).instance,
      ),
    );
    expect(new Set(instances)).toEqual(new Set([b?.id]));
    await toggle(a?.port as number, true);
    await waitFor('instance ready again', async () => {
      const e = (await api.status()).environments.find((x) => x.name === 'production');
      return e?.instances.every((i) => i.ready);
    });
  });

  it('restarts an instance whose liveness probe fails', async () => {
    const done = await api.waitRelease((await api.deploy('staging', 'v4-liveness')).id);
    expect(done.release.state).toBe('succeeded');
    const inst = await waitFor(
      'liveness restart',
      async () => {
        const env = (await api.status()).environments.find((e) => e.name === 'staging');
        return env?.instances.find((i) => i.restarts >= 1);
      },
      30_000,
    );
    expect(inst.version).toBe('v4-liveness');
    const events = await api.call<{ events: Array<{ type: string }> }>(
      'GET',
      `/api/v1/events?instance=${inst.id}`,
    );
    expect(events.body.events.map((e) => e.type)).toContain('instance.restarted');
  });

  it('validates requests with clear 4xx bodies and serves an OpenAPI document', async () => {
    const bad = await api.call<{ error: { code: string; message: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/version/);
    const unknownEnv = await api.call<{ error: { code: string } }>('POST', '/api/v1/releases', {
      environment: 'qa',
      version: 'v1',
    });
    expect(unknownEnv.status).toBe(404);
    expect(unknownEnv.body.error.code).toBe('UNKNOWN_ENVIRONMENT');
    const unknownVersion = await api.call<{ error: { code: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v99',
    });
    expect(unknownVersion.body.error.code).toBe('UNKNOWN_VERSION');
    const dup = await api.upload('v1', await helloBuild(tmp.dir, 'v1-other', { latency_ms: 1 }));
    expect(dup.status).toBe(409);
    const doc = await api.call<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/releases/{id}/events');
    const health = await fetch(`${server.url}/health`);
    expect(health.headers.get('content-type')).toContain('application/health+json');
    const ready = await api.call<{ status: string }>('GET', '/readiness');
    expect(ready.body.status).toBe('pass');
  });

  it('reloads the config: validated first, monitoring applied live, other changes refused', async () => {
    const original = await readFile(configFile, 'utf8');
    try {
      await writeFile(configFile, `${original}\nincidents: { open_at: P1 }\n`);
      const ok = await api.call<{ reloaded: { applied: string[] } }>('POST', '/api/v1/config/reload');
      expect(ok.status).toBe(200);
      expect(ok.body.reloaded.applied).toEqual(['incidents']);

      await writeFile(configFile, original.replace(`127.0.0.1:${ports.staging}`, '127.0.0.1:1'));
      const cold = await api.call<{ error: { code: string; message: string } }>(
        'POST',
        '/api/v1/config/reload',
      );
      expect(cold.status).toBe(409);
      expect(cold.body.error.code).toBe('CONFIG_RESTART_REQUIRED');
      expect(cold.body.error.message).toMatch(/environments\.staging/);

      await writeFile(configFile, `${original}\nalarms: [{ name: x }]\n`);
      const bad = await api.call<{ error: { code: string; message: string } }>(
        'POST',
        '/api/v1/config/reload',
      );
      expect(bad.status).toBe(422);
      expect(bad.body.error.message).toMatch(/gantry\.yaml:\d+:\d+ alarms\[0\]/);
      // Nothing changed: the proxies still serve on their addresses.
      expect((await hit(ports.production)).status).toBe(200);
    } finally {
      await writeFile(configFile, original);
    }
  });
});
