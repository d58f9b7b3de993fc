// The entry limit of uploads is the server's option (`gantry server --max-artifact-entries`): an
// upload holding one entry more than it is refused 413 naming the limit, one within it is stored.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, helloBuild, tempDir, writeHelloConfig } from './helpers/gantry.ts';

const LIMIT = 20;

describe('gantry server --max-artifact-entries', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir);
    server = await startServer({
      config: cfg.file,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
      maxArtifactEntries: LIMIT,
    });
    api = new ApiClient(server);
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  /** The hello app plus files in a directory, `entries` entries in all (the root not counted). */
  async function buildWith(name: string, entries: number): Promise<string> {
    const dir = await helloBuild(tmp.dir, name);
    const own = 4; // server.js, package.json… of the hello app, as packed
    await mkdir(path.join(dir, 'extra'));
    for (let i = 0; i < entries - own - 1; i++) await writeFile(path.join(dir, 'extra', `f${i}`), '');
    return dir;
  }

  it('refuses an upload of one entry more than the limit with 413 naming it, and stores one at the limit', async () => {
    const over = await api.upload('over', await buildWith('over', LIMIT + 1));
    expect(over.status).toBe(413);
    expect(JSON.stringify(over.body)).toContain(`an artifact may hold at most ${LIMIT} entries`);
    const within = await api.upload('within', await buildWith('within', LIMIT - 1));
    expect(within.status).toBe(201);
  });
});
