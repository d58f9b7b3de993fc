// A server whose store is PostgreSQL (`--store`): it starts, migrates the empty database, releases a
// version and serves it; the CLI refuses a store that is not a PostgreSQL URL before starting.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, helloBuild, hit, runGantry, tempDir, writeHelloConfig } from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

describe.skipIf(requirePostgres() === 'skip')('a server on PostgreSQL', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let url: string;
  let ports: { staging: number };

  beforeAll(async () => {
    tmp = await tempDir();
    url = await freshPostgresDatabase();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '6s' });
    ports = cfg.ports;
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      store: url,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('releases a version and keeps the release, its events and the audit log in the database', async () => {
    const api = new ApiClient(server);
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    const done = await api.waitRelease((await api.deploy('staging', 'v1')).id);
    expect(done.release.state).toBe('succeeded');
    expect((await hit(ports.staging)).version).toBe('v1');

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const releases = await client.query('select state from releases');
      expect(releases.rows).toEqual([{ state: 'succeeded' }]);
      const audit = await client.query<{ n: string }>('select count(*) as n from audit_log');
      expect(Number(audit.rows[0]?.n)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });
});

describe('gantry server --store', () => {
  it('refuses a store that is not a PostgreSQL URL, from the option or GANTRY_STORE', async () => {
    const option = await runGantry(['server', '--store', 'mysql://db/gantry']);
    expect(option.code).not.toBe(0);
    expect(option.stderr).toMatch(/expected a PostgreSQL URL/);
    const env = await runGantry(['server'], { env: { GANTRY_STORE: '/var/lib/gantry.db' } });
    expect(env.code).not.toBe(0);
    expect(env.stderr).toMatch(/GANTRY_STORE is not a PostgreSQL URL/);
  });
});
