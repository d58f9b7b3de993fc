// Where a service's state lives (issue 11 item 2), end to end through a real server and its proxy:
// each instance writes relative paths into its own working copy, and each environment has a
// persistent data directory (GANTRY_DATA_DIR) that survives new versions.
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { FIXTURES } from './fixtures/services/rt-harness.ts';
import { ApiClient, freePort, hit, tempDir } from './helpers/gantry.ts';

/** A version of the contract service (it writes relative files and files in GANTRY_DATA_DIR on request). */
async function build(dir: string, version: string): Promise<string> {
  const out = path.join(dir, 'builds', version);
  await mkdir(out, { recursive: true });
  await copyFile(path.join(FIXTURES, 'contract-service.mjs'), path.join(out, 'contract-service.mjs'));
  return out;
}

async function writeConfig(
  dir: string,
  dataDirLine: string,
): Promise<{ staging: number; production: number }> {
  const ports = { staging: await freePort(), production: await freePort() };
  await writeFile(
    path.join(dir, 'gantry.yaml'),
    `service: stateful
run:
  command: node contract-service.mjs
  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }
  stop_timeout: 3s
  drain_timeout: 1s
${dataDirLine}
health:
  startup_timeout: 20s
environments:
  staging:
    listen: 127.0.0.1:${ports.staging}
  production:
    listen: 127.0.0.1:${ports.production}
`,
  );
  return ports;
}

async function deploy(api: ApiClient, environment: string, version: string): Promise<void> {
  const done = await api.waitRelease((await api.deploy(environment, version)).id);
  expect(done.release.state, done.release.message ?? '').toBe('succeeded');
}

describe('state: working copies and persistent data directories', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let ports: { staging: number; production: number };
  let dataDir: string;

  beforeAll(async () => {
    tmp = await tempDir();
    ports = await writeConfig(tmp.dir, '  data_dir: ./state');
    dataDir = path.join(tmp.dir, 'data');
    server = await startServer({
      config: path.join(tmp.dir, 'gantry.yaml'),
      dataDir,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    for (const v of ['v1', 'v2']) expect((await api.upload(v, await build(tmp.dir, v))).status).toBe(201);
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('staging and production of one version write the same relative path without seeing each other', async () => {
    await deploy(api, 'staging', 'v1');
    await deploy(api, 'production', 'v1');
    expect((await hit(ports.staging, '/file?name=state.txt&text=staging')).status).toBe(200);
    expect((await hit(ports.production, '/file?name=state.txt')).status).toBe(404);
    expect((await hit(ports.production, '/file?name=state.txt&text=production')).status).toBe(200);
    expect((await hit(ports.staging, '/file?name=state.txt')).body).toBe('staging');
    expect((await hit(ports.production, '/file?name=state.txt')).body).toBe('production');
    // The uploaded artifact stays as it was uploaded.
    const artifacts = path.join(dataDir, 'artifacts', 'stateful', 'v1');
    expect(await readdir(artifacts)).toEqual(['contract-service.mjs']);
  });

  it('gives each environment a private data directory under run.data_dir, passed as GANTRY_DATA_DIR', async () => {
    const env = JSON.parse((await hit(ports.staging, '/env')).body) as Record<string, string>;
    expect(env.GANTRY_DATA_DIR).toBe(path.join(tmp.dir, 'state', 'staging'));
    expect((await hit(ports.staging, '/data?name=kept.txt&text=from-v1')).status).toBe(200);
    expect((await hit(ports.production, '/data?name=kept.txt')).status).toBe(404);
    expect(await readFile(path.join(tmp.dir, 'state', 'staging', 'kept.txt'), 'utf8')).toBe('from-v1');
    expect((await stat(path.join(tmp.dir, 'state', 'staging'))).mode & 0o777).toBe(0o700);
  });

  it('a new version finds the data directory as the previous one left it, and a fresh working copy', async () => {
    const before = (await api.status()).environments.find((e) => e.name === 'staging')?.instances ?? [];
    await deploy(api, 'staging', 'v2');
    expect((await hit(ports.staging, '/data?name=kept.txt')).body).toBe('from-v1');
    expect((await hit(ports.staging, '/file?name=state.txt')).status).toBe(404);
    // The old instance's working copy went with it; the live ones are private to their owner.
    const instancesDir = path.join(dataDir, 'instances');
    const live = (await api.status()).environments.flatMap((e) => e.instances.map((i) => i.id));
    expect((await readdir(instancesDir)).sort()).toEqual(live.sort());
    for (const old of before) expect(live).not.toContain(old.id);
    for (const id of live) expect((await stat(path.join(instancesDir, id))).mode & 0o777).toBe(0o700);
  });
});

describe('state: the default data directory', () => {
  it('is <data dir>/data/<service>/<environment>', async () => {
    const tmp = await tempDir();
    const ports = await writeConfig(tmp.dir, '');
    const dataDir = path.join(tmp.dir, 'data');
    const server = await startServer({
      config: path.join(tmp.dir, 'gantry.yaml'),
      dataDir,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    try {
      const api = new ApiClient(server);
      expect((await api.upload('v1', await build(tmp.dir, 'v1'))).status).toBe(201);
      await deploy(api, 'staging', 'v1');
      const env = JSON.parse((await hit(ports.staging, '/env')).body) as Record<string, string>;
      expect(env.GANTRY_DATA_DIR).toBe(path.join(dataDir, 'data', 'stateful', 'staging'));
    } finally {
      await server.close({ stopInstances: true });
      await tmp.cleanup();
    }
  });
});
