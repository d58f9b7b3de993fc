// GET /api/v1/dora and `gantry dora` over a real SQLite store with a short release history.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { doraMetrics, registerDoraRoutes } from '../src/api/dora-routes.ts';
import { runCli } from '../src/cli/program.ts';
import { release, useStoreFixture } from './helpers/store.ts';

const stores = useStoreFixture();

async function setUp() {
  const store = await stores.open();
  for (const version of ['v1', 'v2']) {
    await store.versions.create({
      service: 'shop',
      version,
      artifactKind: 'dir',
      artifactRef: `artifacts/${version}`,
      sha256: null,
      sizeBytes: null,
      gitRef: null,
      gitCommit: null,
    });
  }
  await store.releases.create(release('rel_1', { environment: 'production', version: 'v1' }));
  await store.releases.transition('rel_1', { state: 'succeeded', message: 'done' });
  await store.releases.create(release('rel_2', { environment: 'production', version: 'v2' }));
  await store.releases.transition('rel_2', { state: 'rolled_back', message: 'alarm' });
  const deps = { store, service: () => 'shop', environments: () => ['staging', 'production'] };
  const app = Fastify();
  registerDoraRoutes(app, deps);
  await app.ready();
  return { app, deps };
}

describe('GET /api/v1/dora', () => {
  it('answers each environment’s figures over the period', async () => {
    const { app, deps } = await setUp();
    const res = await app.inject({ url: '/api/v1/dora?environment=production&since=7d' });
    expect(res.statusCode).toBe(200);
    const [production] = res.json().dora;
    expect(production).toMatchObject({
      environment: 'production',
      deployments: 1,
      changes: 2,
      failedChanges: 1,
      changeFailureRate: 0.5,
      leadTime: { count: 1, fromUpload: 1 },
      timeToRestore: { count: 0, medianMs: null },
    });
    expect(production.leadTime.medianMs).toBeGreaterThanOrEqual(0);
    expect(
      (await app.inject({ url: '/api/v1/dora' }))
        .json()
        .dora.map((d: { environment: string }) => d.environment),
    ).toEqual(['staging', 'production']);
    expect((await app.inject({ url: '/api/v1/dora?since=soon' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/v1/dora?environment=prod' })).statusCode).toBe(404);
    const metrics = await doraMetrics(deps);
    expect(metrics.find((m) => m.name === 'gantry_dora_change_failure_ratio')?.samples).toEqual([
      { labels: { environment: 'staging' }, value: Number.NaN },
      { labels: { environment: 'production' }, value: 0.5 },
    ]);
    await app.close();
  });

  it('is printed by gantry dora', async () => {
    const { app } = await setUp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    let stdout = '';
    const code = await runCli(['dora', '--env', 'production'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => {} },
      env: {
        GANTRY_URL: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
        GANTRY_TOKEN: 'test-token',
        GANTRY_USER: 'alice',
      },
    });
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ENVIRONMENT\s+DEPLOYS\s+PER DAY\s+LEAD TIME \(MEDIAN\)\s+CHANGE FAILURE\s+TIME TO RESTORE/,
    );
    expect(lines[1]).toMatch(/^production\s+1\s+0\.03\s+\d.* s\s+50% \(1\/2\)\s+-$/);
    await app.close();
  });
});
