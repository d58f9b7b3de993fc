// The data plane in its own processes, under real load through real `gantry server` processes: a
// kill -9 of the server and a restart drop no request and lose no request record (within the
// buffer), an upgrade hands the ports to new data plane processes without a failed request or a
// refused connection, and Ctrl-C still stops everything.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiClient,
  alive,
  ChildServer,
  helloBuild,
  hit,
  type PacedSample,
  pidOf,
  sleep,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';

/** The pids of the data plane processes serving this data dir (one socket each). */
function dataPlanePids(dataDir: string): number[] {
  return readdirSync(path.join(dataDir, 'dataplane'))
    .filter((f) => f.endsWith('.sock'))
    .map((f) => Number(f.slice(0, -'.sock'.length)))
    .filter(alive)
    .sort();
}

function failuresOf(samples: PacedSample[]): PacedSample[] {
  return samples.filter((s) => s.status !== 200);
}

/** Sum of gantry_http_requests_total over an environment's series, as /metrics shows it. */
async function requestsCounted(server: ChildServer, environment: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: server.headers() })).text();
  let total = 0;
  for (const m of text.matchAll(/^gantry_http_requests_total\{environment="([^"]+)"[^}]*\} (\d+)/gm)) {
    if (m[1] === environment) total += Number(m[2]);
  }
  return total;
}

describe('the data plane in its own processes', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let servers: ChildServer[];
  let ports: { staging: number; production: number };
  let config: string;
  let dataDir: string;

  beforeEach(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { stagingInstances: 2 });
    ports = cfg.ports;
    config = cfg.file;
    dataDir = path.join(tmp.dir, 'data');
    servers = [];
  });

  afterEach(async () => {
    for (const s of servers.reverse()) await s.stop();
    // A test that failed half-way may leave data plane processes: they stop with their data dir.
    for (const pid of dataPlanePids(dataDir)) process.kill(pid, 'SIGTERM');
    await tmp.cleanup();
  });

  async function startServer(extraArgs: string[] = []): Promise<{ server: ChildServer; api: ApiClient }> {
    const server = new ChildServer({ config, dataDir, extraArgs });
    servers.push(server);
    return { server, api: new ApiClient(await server.start()) };
  }

  async function deployV1(api: ApiClient): Promise<void> {
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
  }

  it('kill -9 of the server under load: 0 failed requests, and a release through the restarted server reaches clients', async () => {
    const { server, api } = await startServer();
    await deployV1(api);
    expect((await api.upload('v2', await helloBuild(tmp.dir, 'v2'))).status).toBe(201);
    const planeBefore = dataPlanePids(dataDir);
    expect(planeBefore).toHaveLength(1);

    const load = startPacedLoad(ports.staging, 200);
    await sleep(500);
    await server.kill9();
    await sleep(1_500); // no control plane at all
    const restarted = new ApiClient(await server.start());
    expect(dataPlanePids(dataDir)).toEqual(planeBefore); // adopted, not replaced
    const rel = await restarted.deploy('staging', 'v2');
    expect((await restarted.waitRelease(rel.id)).release.state).toBe('succeeded');
    await waitFor('clients see v2', async () => load.samples.at(-1)?.version === 'v2');
    await sleep(300);
    const samples = await load.stop();

    expect(samples.length).toBeGreaterThan(500);
    expect(failuresOf(samples)).toEqual([]);
  });

  it('requests served while the control plane was down are counted once it is back', async () => {
    const { server, api } = await startServer();
    await deployV1(api);
    await server.kill9();
    const served = 300;
    for (let i = 0; i < served; i++) expect((await hit(ports.staging)).status).toBe(200);
    await server.start();
    // The restarted server counts from zero, so the buffered records are all it has seen.
    await waitFor(
      'the buffered records counted',
      async () => (await requestsCounted(server, 'staging')) === served,
      10_000,
    );
  });

  it('with no control plane, an instance that crashed leaves the routing table; a restarted server replaces it', async () => {
    const { server, api } = await startServer();
    await deployV1(api);
    const [dead, alive1] =
      (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    await server.kill9();
    process.kill(pidOf(dead), 'SIGKILL');
    await sleep(3_000); // two failed connection checks, a second apart
    // POSTs are never retried on another backend: each one proves the dead instance is out.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.staging}/api/items`, {
        method: 'POST',
        body: `{"n":${i}}`,
      });
      await res.text();
      expect(res.status).toBe(201);
    }
    const restarted = new ApiClient(await server.start());
    const instances = await waitFor('two ready instances again', async () => {
      const s = (await restarted.status()).environments.find((e) => e.name === 'staging');
      return s?.instances.length === 2 && s.instances.every((i) => i.ready) ? s.instances : undefined;
    });
    expect(instances.map((i) => i.id)).toContain(alive1?.id);
    expect(instances.map((i) => i.id)).not.toContain(dead?.id);
  });

  it('an upgrade hands the ports to new data plane processes (2 workers): 0 failed requests, 0 refused connections', async () => {
    const { server: old, api } = await startServer();
    await deployV1(api);
    const planeBefore = dataPlanePids(dataDir);
    const instancesBefore =
      (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];

    const load = startPacedLoad(ports.staging, 200);
    // New connections all along: a refused one would show as a failed one-shot request.
    const fresh: Array<{ status: number } | { error: string }> = [];
    let connecting = true;
    const connector = (async () => {
      while (connecting) {
        fresh.push(await hit(ports.staging).catch((err: unknown) => ({ error: String(err) })));
        await sleep(5);
      }
    })();
    await sleep(500);
    const { api: upgraded } = await startServer(['--upgrade', '--data-plane-workers', '2']);
    expect(old.proc?.exitCode ?? old.proc?.signalCode).not.toBeNull(); // the old server stepped aside
    await waitFor('the old data plane gone', async () => planeBefore.every((pid) => !alive(pid)), 40_000);
    const planeAfter = dataPlanePids(dataDir);
    expect(planeAfter).toHaveLength(2);
    expect(planeAfter.some((pid) => planeBefore.includes(pid))).toBe(false);
    await sleep(500);
    connecting = false;
    await connector;
    const samples = await load.stop();

    expect(failuresOf(samples)).toEqual([]);
    expect(fresh.filter((r) => !('status' in r) || r.status !== 200)).toEqual([]);
    // The instances were adopted, not restarted.
    const instancesAfter =
      (await upgraded.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    expect(instancesAfter.map(pidOf).sort()).toEqual(instancesBefore.map(pidOf).sort());
  });

  it('Ctrl-C of gantry server stops the data plane and the instances too; a second server is refused', async () => {
    const { server, api } = await startServer();
    await deployV1(api);
    const plane = dataPlanePids(dataDir);
    const instances = (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    expect(plane).toHaveLength(1);
    // A second server on the same data dir is refused unless it takes over (--upgrade).
    await expect(new ChildServer({ config, dataDir }).start()).rejects.toThrow(
      /already runs on .*--upgrade/s,
    );
    const proc = server.proc;
    await new Promise<void>((resolve) => {
      proc?.once('exit', () => resolve());
      proc?.kill('SIGINT');
    });
    await waitFor('the data plane stopped', async () => plane.every((pid) => !alive(pid)), 10_000);
    for (const i of instances) expect(alive(pidOf(i))).toBe(false);
    await expect(hit(ports.staging)).rejects.toThrow();
  });
});
