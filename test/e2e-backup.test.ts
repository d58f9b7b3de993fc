// Backups end to end: a running server takes a scheduled backup at start and verifies it; the CLI
// takes one (with artifacts) while the server runs, verifies it offline, is told exactly what is wrong
// with a damaged copy, restores into an empty data dir (and refuses a non-empty one unless forced);
// a second server started on the restored data dir has the releases, the audit log and the secrets
// (once given the master key), and serves the current version after a deploy. The same on PostgreSQL,
// restoring into an empty database.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import {
  ApiClient,
  helloBuild,
  hit,
  runGantry,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

const gantry = (args: string[], env: Record<string, string> = {}) =>
  runGantry(args, { env, timeoutMs: 120_000 });

describe('backups of a running server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let restored: GantryServer | undefined;
  let api: ApiClient;
  let env: Record<string, string>;
  let ports: { staging: number };
  const file = () => path.join(tmp.dir, 'out', 'gantry.tar');

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      startupTimeout: '10s',
      extra: 'backups: { every: 1h, keep: 30d }',
    });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    ports = cfg.ports;
    api = new ApiClient(server);
    env = { GANTRY_URL: server.url, GANTRY_DATA_DIR: `${tmp.dir}/data` };
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    const done = await api.waitRelease((await api.deploy('staging', 'v1')).id);
    expect(done.release.state).toBe('succeeded');
    expect((await api.call('PUT', '/api/v1/secrets/DB_PASSWORD', { value: 's3cret-value' })).status).toBe(
      200,
    );
  });

  afterAll(async () => {
    await restored?.close({ stopInstances: true });
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('takes a scheduled backup at start, verifies it and says so in /metrics', async () => {
    const list = await waitFor('the scheduled backup', async () => {
      const r = await api.call<{ backups: Array<{ name: string }> }>('GET', '/api/v1/backups');
      return r.body.backups.length > 0 && r.body;
    });
    expect(list.backups[0]?.name).toMatch(/^gantry-backup-\d{8}T\d{9}Z\.tar$/);
    const metrics = await waitFor('the last-success gauge', async () => {
      const text = await (await fetch(`${server.url}/metrics`, { headers: api.headers() })).text();
      return /gantry_backup_last_success_timestamp_seconds [1-9]/.test(text) && text;
    });
    expect(metrics).toMatch(/gantry_backup_failures_total 0/);
  });

  it('backups are for admins only', async () => {
    const created = await api.call<{ secret: string }>('POST', '/api/v1/tokens', {
      role: 'deployer',
      name: 'ci',
    });
    const deployer = api.as(created.body.secret);
    expect((await deployer.call('POST', '/api/v1/backups', {})).status).toBe(403);
    expect((await deployer.call('GET', '/api/v1/backups')).status).toBe(403);
    expect((await api.call('GET', '/api/v1/backups/..%2Fgantry.db')).status).toBe(404);
  });

  it('backup create --out downloads a consistent backup taken while the server runs', async () => {
    const r = await gantry(['backup', 'create', '--with-artifacts', '--out', file()], env);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backup gantry-backup-.*\.tar: .*rows/);
    expect(r.stdout).toMatch(/saved to: .*gantry\.tar/);
    expect(r.stderr).toMatch(/backing up releases/);
    // The secret is in the backup as ciphertext only.
    expect((await readFile(file())).includes(Buffer.from('s3cret-value'))).toBe(false);
  });

  it('backup verify checks the file offline, and names the damage in a damaged copy', async () => {
    const good = await gantry(['backup', 'verify', file()]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/is good: .*schema 0\d\d-/);
    expect(good.stdout).toMatch(/audit log intact: [1-9]\d* entries/);
    const json = JSON.parse((await gantry(['backup', 'verify', file(), '--json'])).stdout) as {
      rows: Record<string, number>;
      masterKeyIds: string[];
    };
    expect(json.rows.releases).toBe(1);
    expect(json.masterKeyIds).toHaveLength(1);

    const bytes = await readFile(file());
    const at = bytes.lastIndexOf(Buffer.from('tables/releases.ndjson.gz')) + 512 + 10;
    bytes[at] = (bytes[at] ?? 0) ^ 0x55;
    const damaged = path.join(tmp.dir, 'damaged.tar');
    await writeFile(damaged, bytes);
    const bad = await gantry(['backup', 'verify', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /error: .*the checksum of tables\/releases\.ndjson\.gz does not match the manifest/,
    );
    expect(bad.stderr).toMatch(/hint: /);
  });

  it('restores into an empty data dir, refuses it once it holds data, and replaces it with --force', async () => {
    const target = path.join(tmp.dir, 'restored');
    const first = await gantry(['backup', 'restore', file(), '--data-dir', target]);
    expect(first.stderr).not.toMatch(/error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/restored .* audit log intact/);
    expect(first.stdout).toMatch(/next: copy the master key file/);
    const again = await gantry(['backup', 'restore', file(), '--data-dir', target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a store with data/);
    expect(again.stderr).toMatch(/--force/);
    expect((await gantry(['backup', 'restore', file(), '--data-dir', target, '--force'])).code).toBe(0);
  });

  it('a server on the restored data dir has the history, audit log and secrets, and serves after a deploy', async () => {
    const target = path.join(tmp.dir, 'restored');
    const other = path.join(tmp.dir, 'other');
    const cfg = await writeHelloConfig(await tempDirIn(other), { startupTimeout: '10s' });
    // Without the master key the secrets cannot be read: the server says which key it needs.
    await expect(
      startServer({ config: cfg.file, dataDir: target, listen: '127.0.0.1:0', logger: silentLogger }),
    ).rejects.toThrow(/restore .*master\.key from your backup/);
    await copyFile(path.join(tmp.dir, 'data', 'master.key'), path.join(target, 'master.key'));
    restored = await startServer({
      config: cfg.file,
      dataDir: target,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    // The tokens were restored too: the first server's admin token works here.
    const api2 = new ApiClient(restored.url, api.token);
    const releases = await api2.call<{ releases: Array<{ version: string; state: string }> }>(
      'GET',
      '/api/v1/releases?environment=staging',
    );
    expect(releases.body.releases.map((r) => [r.version, r.state])).toContainEqual(['v1', 'succeeded']);
    expect((await api2.call<{ ok: boolean }>('GET', '/api/v1/audit/verify')).body.ok).toBe(true);
    const secrets = await api2.call<{ secrets: Array<{ name: string }> }>('GET', '/api/v1/secrets');
    expect(secrets.body.secrets.map((s) => s.name)).toContain('DB_PASSWORD');
    const done = await api2.waitRelease((await api2.deploy('staging', 'v1')).id);
    expect(done.release.state).toBe('succeeded');
    expect((await hit(cfg.ports.staging)).version).toBe('v1');
    // The first server's instances were not adopted (nor stopped) by the restored one.
    expect((await hit(ports.staging)).version).toBe('v1');
    expect((await api.status()).environments.find((e) => e.name === 'staging')?.readyInstances).toBe(1);
  });
});

describe.skipIf(requirePostgres() === 'skip')('backups of a server on PostgreSQL', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let restored: GantryServer | undefined;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '10s' });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      store: await freshPostgresDatabase('backup'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await restored?.close({ stopInstances: true });
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('backup → verify → damage → verify fails → restore into an empty database → a server on it serves', async () => {
    const api = new ApiClient(server);
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
    const env = { GANTRY_URL: server.url, GANTRY_DATA_DIR: `${tmp.dir}/data` };
    const file = path.join(tmp.dir, 'pg.tar');
    expect((await gantry(['backup', 'create', '--with-artifacts', '--out', file], env)).code).toBe(0);
    expect((await gantry(['backup', 'verify', file])).code).toBe(0);
    const bytes = await readFile(file);
    const at = bytes.lastIndexOf(Buffer.from('tables/audit_log.ndjson.gz')) + 512 + 12;
    bytes[at] = (bytes[at] ?? 0) ^ 0x0f;
    await writeFile(`${file}.bad`, bytes);
    const bad = await gantry(['backup', 'verify', `${file}.bad`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/checksum of tables\/audit_log\.ndjson\.gz does not match/);

    const target = await freshPostgresDatabase('restored');
    const dataDir = path.join(tmp.dir, 'restored');
    const r = await gantry(['backup', 'restore', file, '--store', target, '--data-dir', dataDir]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(
      (await gantry(['backup', 'restore', file, '--store', target, '--data-dir', dataDir])).stderr,
    ).toMatch(/already holds a Gantry store with data/);
    await copyFile(path.join(tmp.dir, 'data', 'master.key'), path.join(dataDir, 'master.key'));
    const cfg = await writeHelloConfig(await tempDirIn(path.join(tmp.dir, 'other')), {
      startupTimeout: '10s',
    });
    restored = await startServer({
      config: cfg.file,
      dataDir,
      store: target,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    const api2 = new ApiClient(restored.url, api.token);
    expect((await api2.call<{ ok: boolean }>('GET', '/api/v1/audit/verify')).body.ok).toBe(true);
    expect((await api2.waitRelease((await api2.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
    expect((await hit(cfg.ports.staging)).version).toBe('v1');
  });
});

async function tempDirIn(dir: string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  return dir;
}
