// What an idle server on the defaults keeps in memory: the packages only some setups need (the
// Docker client and its ssh2, the ACME client, PostgreSQL's driver) and undici (the proxy's client,
// which the control plane needs only to proxy in its own process or to notify) stay unloaded while
// it releases, probes over HTTP, runs a synthetic check and its data plane proxies requests.
// bench/idle-memory.ts reports what that saves.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiClient,
  ChildServer,
  helloBuild,
  hit,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';

const fixture = path.join(import.meta.dirname, 'fixtures/loaded-modules.mjs');
const NOT_AT_IDLE = ['dockerode', 'ssh2', 'acme-client', 'pg', 'undici'];

/** The CommonJS modules a process of the server reported. */
async function modulesOf(dir: string, pid: number): Promise<string[]> {
  const file = path.join(dir, `loaded-${pid}.json`);
  await waitFor(`process ${pid} to report its modules`, async () => existsSync(file), 10_000);
  return JSON.parse(readFileSync(file, 'utf8')) as string[];
}

/** The npm packages among the CommonJS modules a process of the server reported. */
async function packagesOf(dir: string, pid: number): Promise<Set<string>> {
  const loaded = await modulesOf(dir, pid);
  const names = loaded.flatMap((f) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    return m?.[1] ? [m[1]] : [];
  });
  return new Set(names);
}

describe('an idle server on the defaults', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer | undefined;

  beforeEach(async () => {
    tmp = await tempDir();
  });

  afterEach(async () => {
    await server?.stop();
    await tmp.cleanup();
  });

  it('does not load the Docker, ACME or PostgreSQL clients, nor undici, while it releases, probes and checks', async () => {
    const { file, ports } = await writeHelloConfig(tmp.dir, {
      extra: `synthetics:
  - { name: staging-health, environment: staging, every: 1s, http: { path: /health, expect_status: 200 } }`,
    });
    const dataDir = path.join(tmp.dir, 'data');
    server = new ChildServer({
      config: file,
      dataDir,
      env: {
        LOADED_MODULES_DIR: tmp.dir,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${fixture}`.trim(),
      },
    });
    const api = new ApiClient(await server.start());
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
    for (let i = 0; i < 20; i++) expect((await hit(ports.staging)).status).toBe(200);
    // The synthetic check has run (every second) and passed.
    await waitFor('a synthetic check that passed', async () => {
      const { body } = await api.call<{ synthetics: Array<{ lastResults: Array<{ ok: boolean }> }> }>(
        'GET',
        '/api/v1/synthetics',
      );
      return body.synthetics[0]?.lastResults.some((r) => r.ok) ?? false;
    });

    await writeFile(path.join(tmp.dir, 'report'), '');
    const serverPid = Number(readFileSync(path.join(dataDir, 'server.pid'), 'utf8'));
    const serverPackages = await packagesOf(tmp.dir, serverPid);
    expect(serverPackages.has('fastify')).toBe(true); // the report is of the right process
    expect(NOT_AT_IDLE.filter((p) => serverPackages.has(p))).toEqual([]);
    // The data plane loads undici, the proxy's client, once it proxies, and nothing else heavy.
    const socket = readdirSync(path.join(dataDir, 'dataplane')).find((f) => f.endsWith('.sock'));
    const planePid = Number(socket?.slice(0, -'.sock'.length));
    const planePackages = await packagesOf(tmp.dir, planePid);
    expect(planePackages.has('undici')).toBe(true);
    // Only undici's Pool and what it needs: not its index, with fetch, WebSocket and caches.
    const undiciFiles = (await modulesOf(tmp.dir, planePid)).filter((f) =>
      f.includes('node_modules/undici/'),
    );
    expect(undiciFiles.some((f) => f.endsWith('lib/dispatcher/pool.js'))).toBe(true);
    expect(undiciFiles.filter((f) => /undici\/(index\.js|lib\/(web|cache|api)\/)/.test(f))).toEqual([]);
    expect(['dockerode', 'ssh2', 'acme-client', 'pg', 'fastify'].filter((p) => planePackages.has(p))).toEqual(
      [],
    );
  });
});
