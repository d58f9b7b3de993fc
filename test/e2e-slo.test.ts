// SLOs end to end: a real Gantry server, real hello instances behind its proxy, real requests.
// Errors through the proxy spend staging's error budget; the next release is refused by the
// error-budget gate until an admin overrides it; the SLO, its alarms and its series are visible.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, freePort, helloBuild, tempDir, writeHelloConfig } from './helpers/gantry.ts';

describe('SLOs and the error-budget gate, end to end', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let stagingPort = 0;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      ports: { staging: await freePort(), production: await freePort() },
      staging: '    requires: { error_budget: 50% }',
      extra: 'slos:\n  - { name: staging-availability, environment: staging, objective: 99% }\n',
    });
    stagingPort = cfg.ports.staging;
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    for (const v of ['v1', 'v2'])
      expect((await api.upload(v, await helloBuild(tmp.dir, v, {}))).status).toBe(201);
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('refuses a release once errors spent the budget, names the SLO, and lets an admin override', async () => {
    for (let i = 0; i < 100; i++) expect((await fetch(`http://127.0.0.1:${stagingPort}/`)).status).toBe(200);
    const env = (await api.status()).environments.find((e) => e.name === 'staging');
    for (const inst of env?.instances ?? []) {
      await fetch(`http://127.0.0.1:${inst.port}/admin/errors?rate=1`, { method: 'POST' });
    }
    for (let i = 0; i < 10; i++) expect((await fetch(`http://127.0.0.1:${stagingPort}/`)).status).toBe(500);

    const refused = await api.call<{ error: { code: string; message: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('POLICY_REFUSED');
    // 10 bad of 110 against 1.1 allowed: 1 − 10/1.1 ≈ −809 %.
    expect(refused.body.error.message).toContain(
      "error_budget: staging requires 50% of each SLO's error budget left; SLO staging-availability has -809.1% left",
    );

    const slos = await api.call<{ slos: Array<Record<string, unknown>> }>(
      'GET',
      '/api/v1/slos?environment=staging',
    );
    expect(slos.body.slos[0]).toMatchObject({ name: 'staging-availability', good: 100, total: 110 });
    const alarms = await api.call<{ alarms: Array<{ alarm: string }> }>(
      'GET',
      '/api/v1/alarms?environment=staging',
    );
    expect(alarms.body.alarms.map((a) => a.alarm)).toEqual([
      'slo:staging-availability',
      'slo:staging-availability:ticket',
    ]);
    const metrics = await fetch(`${server.url}/metrics`, { headers: api.headers() }).then((r) => r.text());
    expect(metrics).toContain('gantry_slo_requests{slo="staging-availability",environment="staging"} 110');

    const overridden = await api.call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
      override: { reason: 'the fix for these very errors' },
    });
    expect(overridden.status).toBe(201);
    const done = await api.waitRelease(overridden.body.release.id);
    expect(done.release.state).toBe('succeeded');
  }, 120_000);
});
