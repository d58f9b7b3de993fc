// The users' own stack (seed 004): a FastAPI app under Gunicorn with Uvicorn workers, deployed by
// the process runtime like any other service, with a rolling release under load.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, freePort, repoRoot, startLoad, tempDir, waitFor } from './helpers/gantry.ts';
import { canImportPython, hasExecutable, requirePeer } from './helpers/peers.ts';

const available =
  hasExecutable('/usr/bin/gunicorn') && canImportPython('/usr/bin/python3', ['fastapi', 'uvicorn']);
const mode = requirePeer(
  'gunicorn + FastAPI + Uvicorn (Debian packages)',
  available,
  'apt-get install python3-fastapi gunicorn python3-uvicorn',
);

describe.skipIf(mode === 'skip')('FastAPI under Gunicorn, deployed by Gantry', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let port: number;

  beforeAll(async () => {
    tmp = await tempDir();
    port = await freePort();
    // The example's own gantry.yaml, on free ports.
    const text = (await readFile(path.join(repoRoot, 'examples/fastapi/gantry.yaml'), 'utf8'))
      .replace('127.0.0.1:8091', `127.0.0.1:${port}`)
      .replace('127.0.0.1:8090', `127.0.0.1:${await freePort()}`);
    const file = path.join(tmp.dir, 'gantry.yaml');
    await writeFile(file, text);
    server = await startServer({
      config: file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('deploys, serves, and rolls to a second version with zero failed requests', async () => {
    const app = path.join(repoRoot, 'examples/fastapi/app');
    expect((await api.upload('py1', app)).status).toBe(201);
    expect((await api.upload('py1', app)).status).toBe(200); // the same bytes again: accepted, nothing changes
    expect((await api.upload('py2', app)).status).toBe(201);
    const first = await api.waitRelease((await api.deploy('staging', 'py1')).id, 90_000);
    expect(first.release.state).toBe('succeeded');
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);

    const load = startLoad(port, 4);
    await waitFor('requests flowing', async () => load.result.total >= 50, 30_000);
    const done = await api.waitRelease((await api.deploy('staging', 'py2')).id, 90_000);
    await waitFor('requests on py2', async () => (load.result.byVersion.get('py2') ?? 0) >= 50, 30_000);
    const result = await load.stop();
    expect(done.release.state).toBe('succeeded');
    expect(result.failures).toEqual([]);
    expect(result.byVersion.get('py1')).toBeGreaterThan(0);
  });
});
