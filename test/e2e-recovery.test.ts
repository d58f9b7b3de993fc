// The server killed with SIGKILL at several points of a release, then started again: every
// environment serves, every release is resolved, history is consistent.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../src/api/types.ts';
import {
  ApiClient,
  alive,
  ChildServer,
  helloBuild,
  hit,
  pidOf,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { serverStore, serverStoreKinds } from './helpers/server-store.ts';

describe.each(serverStoreKinds())('SIGKILL and restart (%s store)', (storeKind) => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let ports: { staging: number; production: number };

  beforeEach(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { stagingInstances: 2 });
    ports = cfg.ports;
    server = new ChildServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      ...(await serverStore(storeKind)),
    });
    const api = new ApiClient(await server.start());
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    expect((await api.upload('v2', await helloBuild(tmp.dir, 'v2', { startup_delay_ms: 2500 }))).status).toBe(
      201,
    );
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
  });

  afterEach(async () => {
    // A clean stop of a restarted server stops the instances too.
    await server.stop();
    await tmp.cleanup();
  });

  async function restart(): Promise<ApiClient> {
    await server.kill9();
    return new ApiClient(await server.start());
  }

  async function expectConsistent(api: ApiClient, version: string): Promise<void> {
    const served = await waitFor('staging serving', async () => {
      const r = await hit(ports.staging);
      return r.status === 200 ? r : undefined;
    });
    expect(served.version).toBe(version);
    const status = await api.status();
    const staging = status.environments.find((e) => e.name === 'staging');
    expect(staging?.currentVersion).toBe(version);
    expect(staging?.activeRelease).toBeNull();
    await waitFor('only the current version runs', async () => {
      const s = (await api.status()).environments.find((e) => e.name === 'staging');
      return s?.instances.length === 2 && s.instances.every((i) => i.version === version);
    });
    const history = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      '/api/v1/releases?environment=staging',
    );
    expect(history.body.releases.every((r) => r.finishedAt !== null)).toBe(true);
  }

  it('with no release in flight: instances are adopted (same pids) and keep serving', async () => {
    const api0 = new ApiClient(server.url);
    const before = (await api0.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    const api = await restart();
    // The instances (and the data plane) outlived the server.
    for (const i of before) expect(alive(pidOf(i))).toBe(true);
    await expectConsistent(api, 'v1');
    const after = (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    expect(after.map(pidOf).sort()).toEqual(before.map(pidOf).sort());
    const releases = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      '/api/v1/releases?environment=staging',
    );
    expect(releases.body.releases).toHaveLength(1);
  });

  it('killed right after the release was accepted: rolled back, v1 serving', async () => {
    const api0 = new ApiClient(server.url);
    const rel = await api0.deploy('staging', 'v2');
    const api = await restart();
    const done = await api.waitRelease(rel.id);
    await expectConsistent(api, 'v1');
    expect(done.release.state).toBe('failed');
    expect(done.release.reason).toBe('Interrupted');
    expect(done.release.message).toMatch(/stays on v1/);
  });

  it('killed while the new version was starting up: rolled back, its processes gone', async () => {
    const api0 = new ApiClient(server.url);
    const rel = await api0.deploy('staging', 'v2');
    await waitFor('verifying', async () => (await api0.releaseState(rel.id)) === 'verifying');
    const newPids = ((await api0.status()).environments.find((e) => e.name === 'staging')?.instances ?? [])
      .filter((i) => i.version === 'v2')
      .map(pidOf);
    expect(newPids.length).toBe(2);
    const api = await restart();
    expect((await api.waitRelease(rel.id)).release.state).toBe('failed');
    await expectConsistent(api, 'v1');
    await waitFor('v2 processes gone', async () => newPids.every((p) => !alive(p)));
  });

  it('killed while draining the old version: the release completes after restart, v2 serving', async () => {
    const api0 = new ApiClient(server.url);
    // An in-flight slow request on v1 keeps the drain going.
    const slow = hit(ports.staging, '/slow?ms=6000').catch(() => undefined);
    const rel = await api0.deploy('staging', 'v2');
    await waitFor('draining', async () => (await api0.releaseState(rel.id)) === 'draining', 30_000);
    const api = await restart();
    await slow;
    const done = await api.waitRelease(rel.id);
    await expectConsistent(api, 'v2');
    expect(done.release.state).toBe('succeeded');
    expect(done.events.some((e) => e.message.includes('server restarted during'))).toBe(true);
  });
});
