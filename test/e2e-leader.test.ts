// Two Gantry servers on one PostgreSQL database (and one data directory, as on a shared volume):
// the second waits as a standby, answering 503 and a readiness that says so, and drives nothing;
// when the leader is killed with SIGKILL mid-release it takes over within seconds and resolves the
// release as a restarted server does.
import os from 'node:os';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthBody, ReleaseRecord } from '../src/api/types.ts';
import {
  ApiClient,
  alive,
  ChildServer,
  helloBuild,
  hit,
  pidOf,
  sleep,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

describe.skipIf(requirePostgres() === 'skip')('two servers on one PostgreSQL database', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let leader: ChildServer;
  let standby: ChildServer;
  let stagingPort: number;
  let store: string;

  beforeEach(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { stagingInstances: 2 });
    stagingPort = cfg.ports.staging;
    store = await freshPostgresDatabase('gantry_leader');
    const dataDir = `${tmp.dir}/data`;
    leader = new ChildServer({ config: cfg.file, dataDir, store });
    standby = new ChildServer({ config: cfg.file, dataDir, store });
    const api = new ApiClient(await leader.start());
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    expect((await api.upload('v2', await helloBuild(tmp.dir, 'v2', { startup_delay_ms: 2500 }))).status).toBe(
      201,
    );
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
  });

  afterEach(async () => {
    await standby.stop();
    await leader.stop();
    await tmp.cleanup();
  });

  it('the second server waits as a standby and drives nothing while the leader runs', async () => {
    const api = new ApiClient(leader.url);
    const before = (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    const standbyUrl = await standby.startStandby();
    expect(standby.output).toContain(`gantry ${os.hostname()} pid ${leader.proc?.pid}`);

    const health = await fetch(`${standbyUrl}/health`);
    expect(health.status).toBe(200);
    const readiness = await fetch(`${standbyUrl}/readiness`);
    expect(readiness.status).toBe(503);
    const body = (await readiness.json()) as HealthBody;
    expect(body.checks['leader:lock']?.[0]?.output).toMatch(/^standby: gantry .* holds the leader lock/);
    const refused = await new ApiClient(standbyUrl).call<{ error: { code: string } }>(
      'POST',
      '/api/v1/releases',
      { environment: 'staging', version: 'v2' },
    );
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('STANDBY');

    // A release through the leader runs once: the standby starts, adopts and stops nothing.
    const rel = await api.deploy('staging', 'v2');
    expect((await api.waitRelease(rel.id)).release.state).toBe('succeeded');
    await sleep(500);
    const after = (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    expect(after.map((i) => i.version)).toEqual(['v2', 'v2']);
    await waitFor('v1 stopped', async () => before.every((i) => !alive(pidOf(i))));
    expect(standby.output).not.toMatch(/adopted running instance|environment restored|after restart/);
    expect((await hit(stagingPort)).version).toBe('v2');
  });

  it('takes over within seconds after SIGKILL of the leader mid-release, and rolls the release back', async () => {
    const api0 = new ApiClient(leader.url);
    const standbyUrl = await standby.startStandby();
    const rel = await api0.deploy('staging', 'v2');
    await waitFor('verifying', async () => (await api0.releaseState(rel.id)) === 'verifying');
    const oldPids = ((await api0.status()).environments.find((e) => e.name === 'staging')?.instances ?? [])
      .filter((i) => i.version === 'v1')
      .map(pidOf);

    const killedAt = Date.now();
    await leader.kill9();
    const url = await standby.waitReady();
    const readyMs = Date.now() - killedAt;
    expect(url).toBe(standbyUrl);
    const api = new ApiClient(url);
    const done = await api.waitRelease(rel.id);
    const resolvedMs = Date.now() - killedAt;
    console.log(
      `takeover after SIGKILL of the leader: the standby's API ready in ${readyMs} ms, the interrupted release resolved in ${resolvedMs} ms`,
    );
    expect(readyMs).toBeLessThan(10_000);
    expect(done.release.state).toBe('failed');
    expect(done.release.reason).toBe('Interrupted');
    expect((await fetch(`${url}/readiness`)).status).toBe(200);
    // v1's instances were adopted, not restarted, and keep serving.
    const staging = (await api.status()).environments.find((e) => e.name === 'staging');
    expect(staging?.currentVersion).toBe('v1');
    await waitFor('only v1 runs', async () => {
      const s = (await api.status()).environments.find((e) => e.name === 'staging');
      return s?.instances.length === 2 && s.instances.every((i) => i.version === 'v1');
    });
    const now = ((await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? []).map(
      pidOf,
    );
    expect(now.sort()).toEqual(oldPids.sort());
    expect((await hit(stagingPort)).version).toBe('v1');
    const history = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      '/api/v1/releases?environment=staging',
    );
    expect(history.body.releases.every((r) => r.finishedAt !== null)).toBe(true);
  });

  it('a leader whose lock session is ended stops with status 1, and the standby takes over', async () => {
    const standbyUrl = await standby.startStandby();
    const exited = new Promise<number | null>((resolve) => leader.proc?.once('exit', resolve));
    const admin = new pg.Client({ connectionString: store });
    await admin.connect();
    try {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [`gantry ${os.hostname()} pid ${leader.proc?.pid}`],
      );
    } finally {
      await admin.end();
    }
    expect(await exited).toBe(1);
    expect(leader.output).toContain('lost the leader lock: stopping now');
    expect(await standby.waitReady()).toBe(standbyUrl);
    const api = new ApiClient(standbyUrl);
    await waitFor('v1 serving again', async () => (await hit(stagingPort)).version === 'v1');
    expect((await api.status()).environments.find((e) => e.name === 'staging')?.currentVersion).toBe('v1');
  });
});
