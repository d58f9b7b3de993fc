// The data dir is private to the server's user: a real server with running instances and an
// uploaded artifact leaves nothing that group or others may read, and a data dir left with loose
// modes is tightened at the next start.
import { chmod, lstat, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePrivateDataDir } from '../src/app/data-dir.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, helloApp, helloBuild, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';

/** Every path under `dir` (artifact contents included) with its permission bits, in octal. */
async function modesUnder(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>([['.', ((await stat(dir)).mode & 0o7777).toString(8)]]);
  for (const rel of await readdir(dir, { recursive: true })) {
    const st = await lstat(path.join(dir, rel));
    if (!st.isSymbolicLink()) out.set(rel, (st.mode & 0o7777).toString(8).padStart(3, '0'));
  }
  return out;
}

const openToOthers = (modes: Map<string, string>) =>
  [...modes].filter(([, m]) => (Number.parseInt(m, 8) & 0o077) !== 0).map(([p, m]) => `${p} ${m}`);

describe('the data dir', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer | undefined;
  let dataDir: string;
  let config: string;

  beforeAll(async () => {
    tmp = await tempDir();
    dataDir = path.join(tmp.dir, 'data');
    config = (await writeHelloConfig(tmp.dir, { productionInstances: 1 })).file;
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('is private from the first start: database with its -wal and -shm, tokens, instance output, artifacts', async () => {
    server = await startServer({
      config,
      dataDir,
      listen: '127.0.0.1:0',
      logger: silentLogger,
      initialVersion: 'v1',
      initialArtifact: helloApp,
    });
    const api = new ApiClient(server);
    expect((await api.upload('v2', await helloBuild(tmp.dir, 'v2'))).status).toBe(201);
    const modes = await waitFor('instances writing their output', async () => {
      const m = await modesUnder(dataDir);
      return [...m.keys()].some((p) => p.endsWith('stdout.log')) ? m : undefined;
    });

    expect(modes.get('.')).toBe('700');
    for (const file of ['gantry.db', 'gantry.db-wal', 'gantry.db-shm', 'admin-token', 'master.key']) {
      expect(modes.get(file), file).toBe('600');
    }
    const instanceLogs = [...modes].filter(([p]) => /^instances\/[^/]+\/std(out|err)\.log$/.test(p));
    expect(instanceLogs.length).toBeGreaterThanOrEqual(2);
    for (const [p, m] of instanceLogs) expect(m, p).toBe('600');
    expect(modes.get('artifacts/hello/v2/server.js')).toBe('600');
    expect(openToOthers(modes)).toEqual([]);
  }, 60_000);

  it('left readable by others (an older Gantry, a copy), is tightened at the next start', async () => {
    await server?.close({ stopInstances: true });
    server = undefined;
    const loose = ['.', 'gantry.db', 'admin-token', 'artifacts', 'artifacts/hello', 'artifacts/hello/v2'];
    for (const p of loose) {
      const full = path.join(dataDir, p);
      await chmod(full, (await stat(full)).isDirectory() ? 0o755 : 0o644);
    }
    await chmod(path.join(dataDir, 'artifacts/hello/v2/server.js'), 0o644);

    server = await startServer({ config, dataDir, listen: '127.0.0.1:0', logger: silentLogger });
    const modes = await modesUnder(dataDir);
    // The inside of an artifact is not walked (a private parent closes it): only its own modes.
    expect(openToOthers(modes)).toEqual(['artifacts/hello/v2/server.js 644']);
    expect(modes.get('.')).toBe('700');
    expect(modes.get('gantry.db')).toBe('600');
    expect(modes.get('artifacts/hello/v2')).toBe('700');
  });

  it('tightening names what it changed, and leaves a readable master key to its own refusal', async () => {
    const dir = path.join(tmp.dir, 'loose');
    await mkdir(path.join(dir, 'instances/x'), { recursive: true, mode: 0o755 });
    await writeFile(path.join(dir, 'instances/x/stdout.log'), 'secret output', { mode: 0o644 });
    await writeFile(path.join(dir, 'master.key'), 'key', { mode: 0o644 });
    await chmod(dir, 0o755);
    expect((await preparePrivateDataDir(dir)).sort()).toEqual([
      '.',
      'instances',
      'instances/x',
      'instances/x/stdout.log',
    ]);
    expect(openToOthers(await modesUnder(dir))).toEqual(['master.key 644']);
  });
});
