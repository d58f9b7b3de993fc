import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { helloBuild, hit, runGantry, tempDir, writeHelloConfig } from './helpers/gantry.ts';

const gantry = (args: string[], env: Record<string, string> = {}) =>
  runGantry(args, { env, timeoutMs: 180_000 });

describe('gantry CLI against a real server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let env: Record<string, string>;
  let ports: { staging: number; production: number };
  let configFile: string;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '5s' });
    ports = cfg.ports;
    configFile = cfg.file;
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    env = { GANTRY_URL: server.url, GANTRY_DATA_DIR: `${tmp.dir}/data` };
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('deploy --wait uploads the directory, follows the release and exits 0', async () => {
    const dir = await helloBuild(tmp.dir, 'v1');
    const r = await gantry(
      ['deploy', '--env', 'staging', '--version', 'v1', '--artifact', dir, '--wait'],
      env,
    );
    expect(r.stderr + r.stdout).toMatch(/staging/);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/v1/);
    expect((await hit(ports.staging)).version).toBe('v1');
  });

  it('a failing deploy --wait exits 1 and says why in one line; v1 keeps serving', async () => {
    const dir = await helloBuild(tmp.dir, 'v2-bad', { crash_on_start: true });
    const r = await gantry(
      ['deploy', '--env', 'staging', '--version', 'v2-bad', '--artifact', dir, '--wait'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/never became ready.*exit/);
    expect((await hit(ports.staging)).version).toBe('v1');
  });

  it('release --ref with no matching track rule exits 2', async () => {
    const dir = await helloBuild(tmp.dir, 'v3');
    const r = await gantry(
      ['release', '--ref', 'refs/heads/topic', '--version', 'v3', '--artifact', dir],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/matches no environment/);
  });

  it('status --json and history --json print parseable bodies', async () => {
    const s = await gantry(['status', '--json'], env);
    expect(s.code).toBe(0);
    const body = JSON.parse(s.stdout) as { environments: Array<{ name: string; currentVersion: string }> };
    expect(body.environments.find((e) => e.name === 'staging')?.currentVersion).toBe('v1');
    const h = await gantry(['history', '--env', 'staging', '--json'], env);
    expect(h.code).toBe(0);
    const hist = JSON.parse(h.stdout) as { releases: Array<{ state: string }> };
    expect(hist.releases.map((r) => r.state)).toEqual(['failed', 'succeeded']);
  });

  it('validate exits 0 on a good file and 2 with positions on a bad one', async () => {
    const ok = await gantry(['validate', '--config', configFile]);
    expect(ok.code).toBe(0);
    const bad = path.join(tmp.dir, 'bad.yaml');
    await writeFile(
      bad,
      'service: x\nrun: { command: "node s.js" }\nenvironments:\n  staging: { listn: 127.0.0.1:1 }\n',
    );
    const r = await gantry(['validate', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+ environments\.staging/);
  });

  it('cannot reach a server: says so and what to do', async () => {
    const r = await gantry(['status'], { GANTRY_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Gantry/);
  });
});
