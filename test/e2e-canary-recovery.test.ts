// The server SIGKILLed in the middle of a canary step: after the restart the release resumes at
// its persisted step with the same traffic split, and can still be finished.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseDetailResponse } from '../src/api/types.ts';
import {
  ApiClient,
  ChildServer,
  helloBuild,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';

const CANARY = `    strategy:
      canary:
        steps:
          - { weight: 30, pause: 60s }
          - { weight: 100 }
        analysis: { interval: 1s, min_requests: 10, max_error_rate: 5%, step_deadline: 120s }`;

describe('SIGKILL during a canary step', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let port: number;

  beforeEach(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { staging: CANARY, stagingInstances: 2 });
    port = cfg.ports.staging;
    server = new ChildServer({ config: cfg.file, dataDir: `${tmp.dir}/data` });
    const api = new ApiClient(await server.start());
    for (const v of ['v1', 'v2'])
      expect((await api.upload(v, await helloBuild(tmp.dir, v))).status).toBe(201);
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
  });

  afterEach(async () => {
    await server.stop();
    await tmp.cleanup();
  });

  it('resumes at the persisted step with the weights restored', async () => {
    const api0 = new ApiClient(server.url);
    const rel = await api0.deploy('staging', 'v2');
    expect(rel.strategy).toBe('canary');
    await waitFor('canary at 30 %', async () => {
      const d = await api0.call<ReleaseDetailResponse>('GET', `/api/v1/releases/${rel.id}`);
      return d.body.events.some((e) => e.type === 'canary.step');
    });

    await server.kill9();
    const api = new ApiClient(await server.start());

    const resumed = await waitFor('resumed at step 1', async () => {
      const d = (await api.call<ReleaseDetailResponse>('GET', `/api/v1/releases/${rel.id}`)).body;
      return d.events.filter((e) => e.type === 'canary.step').length >= 2 ? d : undefined;
    });
    expect(resumed.release.state).toBe('progressing');
    expect(resumed.release.plan.step).toBe(0);
    expect(resumed.release.plan.weight).toBe(30);
    expect(resumed.events.some((e) => e.type === 'resumed')).toBe(true);

    // The split is back: about 30 % of requests reach the canary.
    const load = startPacedLoad(port, 200);
    await waitFor('600 responses', async () => load.samples.length >= 600, 30_000);
    const samples = await load.stop();
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    const share = samples.filter((s) => s.version === 'v2').length / samples.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);

    // Still controllable: promote finishes it.
    expect((await api.call('POST', `/api/v1/releases/${rel.id}/promote`, {})).status).toBe(200);
    const done = await api.waitRelease(rel.id, 60_000);
    expect(done.release.state).toBe('succeeded');
    const status = await api.status();
    const staging = status.environments.find((e) => e.name === 'staging');
    expect(staging?.currentVersion).toBe('v2');
    await waitFor('only v2 instances', async () => {
      const s = (await api.status()).environments.find((e) => e.name === 'staging');
      return s?.instances.length === 2 && s.instances.every((i) => i.version === 'v2');
    });
  });
});
