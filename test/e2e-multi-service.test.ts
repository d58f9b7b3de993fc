// Several services on one server: a directory of service files, each deploying and serving its own
// version on its own port (both environments named production), the nested API paths, the old
// paths refused on a server with several, the CLI's --service, per-service request metrics, and
// reloads that add a service and remove one (refused while it has instances, then forced).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { loadServiceFiles } from '../src/app/service-files.ts';
import { loadConfigFile } from '../src/config/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, freePort, helloBuild, hit, runGantry, tempDir, waitFor } from './helpers/gantry.ts';

function serviceFile(name: string, port: number): string {
  return `service: ${name}
run:
  command: node server.js
  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }
  stop_timeout: 3s
  drain_timeout: 2s
health:
  readiness: { path: /readiness, interval: 100ms, timeout: 1s, failure_threshold: 2 }
  startup_timeout: 20s
environments:
  production:
    listen: 127.0.0.1:${port}
    instances: 1
`;
}

/** Proxied requests an environment's metrics have counted, all versions together. */
function requestsOf(server: GantryServer, service: string, environment: string): number {
  const metrics = server.services().get(service)?.metrics;
  return (metrics?.counters() ?? [])
    .filter((c) => c.environment === environment)
    .reduce((sum, c) => sum + c.count, 0);
}

describe('several services on one server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let servicesDir: string;
  let env: Record<string, string>;
  const ports = { api: 0, web: 0, admin: 0 };

  beforeAll(async () => {
    tmp = await tempDir();
    servicesDir = path.join(tmp.dir, 'services');
    await mkdir(servicesDir);
    for (const name of ['api', 'web', 'admin'] as const) ports[name] = await freePort();
    await writeFile(path.join(servicesDir, 'api.yaml'), serviceFile('api', ports.api));
    await writeFile(path.join(servicesDir, 'web.yml'), serviceFile('web', ports.web));
    server = await startServer({
      config: servicesDir,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    env = { GANTRY_URL: server.url, GANTRY_DATA_DIR: path.join(tmp.dir, 'data') };
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('lists both services, and refuses the old paths with the names of both', async () => {
    const list = await api.call<{ services: Array<{ name: string; environments: string[] }> }>(
      'GET',
      '/api/v1/services',
    );
    expect(list.status).toBe(200);
    expect(list.body.services.map((s) => [s.name, s.environments])).toEqual([
      ['api', ['production']],
      ['web', ['production']],
    ]);
    const old = await api.call<{ error: { code: string; message: string; hint: string } }>(
      'GET',
      '/api/v1/status',
    );
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe('SERVICE_REQUIRED');
    expect(old.body.error.message).toMatch(/api, web/);
    expect(old.body.error.hint).toMatch(/\/api\/v1\/services\/SERVICE\/status/);
    // Who asks is checked before the services are named.
    expect((await api.as(undefined).call('GET', '/api/v1/status')).status).toBe(401);
    expect((await api.as(undefined).call('GET', '/api/v1/services/nope/status')).status).toBe(401);
    const unknown = await api.call<{ error: { code: string } }>('GET', '/api/v1/services/nope/status');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('UNKNOWN_SERVICE');
    // What is global answers on the old path: tokens, the audit log.
    expect((await api.call('GET', '/api/v1/tokens')).status).toBe(200);
  });

  it('deploys each service with the CLI (--service, GANTRY_SERVICE); each serves its own version', async () => {
    const v1 = await helloBuild(tmp.dir, 'api-v1');
    const a = await runGantry(
      ['--service', 'api', 'deploy', '--env', 'production', '--version', 'a1', '--artifact', v1, '--wait'],
      { env, timeoutMs: 120_000 },
    );
    expect(a.stderr + a.stdout).toMatch(/a1/);
    expect(a.code).toBe(0);
    const w1 = await helloBuild(tmp.dir, 'web-v1');
    const w = await runGantry(
      ['deploy', '--env', 'production', '--version', 'w1', '--artifact', w1, '--wait'],
      { env: { ...env, GANTRY_SERVICE: 'web' }, timeoutMs: 120_000 },
    );
    expect(w.code).toBe(0);
    expect((await hit(ports.api)).version).toBe('a1');
    expect((await hit(ports.web)).version).toBe('w1');

    const status = await api.call<{ service: string; environments: Array<{ currentVersion: string }> }>(
      'GET',
      '/api/v1/services/web/status',
    );
    expect(status.body.service).toBe('web');
    expect(status.body.environments[0]?.currentVersion).toBe('w1');
    // A version of one service is not the other's.
    const versions = await api.call<{ versions: Array<{ version: string }> }>(
      'GET',
      '/api/v1/services/api/versions',
    );
    expect(versions.body.versions.map((v) => v.version)).toEqual(['a1']);
    const audit = await api.call<{ entries: Array<{ details: { service?: string } }> }>(
      'GET',
      `/api/v1/audit?action=${encodeURIComponent('POST /api/v1/releases')}`,
    );
    expect(audit.body.entries.map((e) => e.details.service)).toEqual(['web', 'api']);
  });

  it('validate checks a directory as the server reads it', async () => {
    const r = await runGantry(['validate', '--config', servicesDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /is valid: service api, environments production; service web, environments production/,
    );
  });

  it('the CLI without --service says which services exist and to pass --service', async () => {
    const r = await runGantry(['status'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/api, web/);
    expect(r.stderr).toMatch(/--service/);
    const s = await runGantry(['status', '--service', 'api', '--json'], { env });
    expect(s.code).toBe(0);
    expect((JSON.parse(s.stdout) as { service: string }).service).toBe('api');
  });

  it("counts each service's requests in its own metrics", async () => {
    const before = {
      api: requestsOf(server, 'api', 'production'),
      web: requestsOf(server, 'web', 'production'),
    };
    for (let i = 0; i < 3; i++) await hit(ports.api);
    await hit(ports.web);
    await waitFor('the records', async () => requestsOf(server, 'api', 'production') === before.api + 3);
    await waitFor('the records', async () => requestsOf(server, 'web', 'production') === before.web + 1);
    const metrics = await fetch(`${server.url}/metrics`, { headers: api.headers() });
    const text = await metrics.text();
    expect(text).toMatch(/gantry_http_requests_total\{service="api",environment="production",version="a1"/);
    expect(text).toMatch(/gantry_http_requests_total\{service="web",environment="production",version="w1"/);
  });

  it('each service searches its own logs, and sets its own secrets under the key in force', async () => {
    const instancesIn = async (service: string) => {
      const r = await api.call<{ lines: Array<{ instance: string }> }>(
        'GET',
        `/api/v1/services/${service}/logs?limit=100`,
      );
      return new Set(r.body.lines.map((l) => l.instance.replace(/-[^-]+$/, '')));
    };
    expect([
      ...(await waitFor('api logs', async () => (await instancesIn('api')).size > 0 && instancesIn('api'))),
    ]).toEqual(['production-a1']);
    expect([
      ...(await waitFor('web logs', async () => (await instancesIn('web')).size > 0 && instancesIn('web'))),
    ]).toEqual(['production-w1']);

    const put = (service: string, name: string) =>
      api.call('PUT', `/api/v1/services/${service}/environments/production/secrets/${name}`, {
        value: `${name}-value`,
      });
    expect((await put('api', 'API_KEY')).status).toBe(200);
    // Rotated through the first service (a global path); the other keeps sealing with the new key.
    expect((await api.call('POST', '/api/v1/secrets/rotate-key', {})).status).toBe(200);
    expect((await put('web', 'WEB_KEY')).status).toBe(200);
    const rows = await server.store.secrets.list();
    expect(rows.map((r) => `${r.service}/${r.name}`).sort()).toEqual(['api/API_KEY', 'web/WEB_KEY']);
    expect(new Set(rows.map((r) => r.keyId)).size).toBe(1);
  });

  it('a reload adds a service and removes one: refused while it has instances, then forced', async () => {
    await writeFile(path.join(servicesDir, 'admin.yaml'), serviceFile('admin', ports.admin));
    const added = await api.call<{ reloaded: { added?: string[] } }>('POST', '/api/v1/config/reload', {});
    expect(added.status).toBe(200);
    expect(added.body.reloaded.added).toEqual(['admin']);
    expect((await api.call('GET', '/api/v1/services/admin/status')).status).toBe(200);

    // A service that cannot start (its listener's address is api's) is refused; api keeps serving.
    await writeFile(path.join(servicesDir, 'clash.yaml'), serviceFile('clash', ports.api));
    const clash = await api.call<{ error: { code: string; message: string } }>(
      'POST',
      '/api/v1/config/reload',
      {},
    );
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('CONFIG_RELOAD_FAILED');
    expect(clash.body.error.message).toMatch(/clash\.yaml: service clash could not start/);
    await rm(path.join(servicesDir, 'clash.yaml'));
    expect((await hit(ports.api)).version).toBe('a1');

    await rm(path.join(servicesDir, 'web.yml'));
    const refused = await api.call<{ error: { code: string; message: string; hint: string } }>(
      'POST',
      '/api/v1/config/reload',
      {},
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SERVICE_HAS_INSTANCES');
    expect(refused.body.error.message).toMatch(/web\/production-w1-/);
    expect(refused.body.error.hint).toMatch(/--force/);
    expect((await hit(ports.web)).version).toBe('w1');

    const forced = await runGantry(['reload', '--force', '--json'], { env });
    expect(forced.code).toBe(0);
    expect((JSON.parse(forced.stdout) as { reloaded: { removed: string[] } }).reloaded.removed).toEqual([
      'web',
    ]);
    await expect(hit(ports.web)).rejects.toThrow();
    expect((await hit(ports.api)).version).toBe('a1');
    const list = await api.call<{ services: Array<{ name: string }> }>('GET', '/api/v1/services');
    expect(list.body.services.map((s) => s.name)).toEqual(['api', 'admin']);
    const audit = await api.call<{ entries: Array<{ outcome: { status: number | null } }> }>(
      'GET',
      `/api/v1/audit?action=${encodeURIComponent('POST /api/v1/config/reload')}`,
    );
    expect(audit.body.entries.map((e) => e.outcome.status)).toEqual([200, 409, 409, 200]);
  });

  it("a restart adopts every service's instances: no service takes another's for leftovers", async () => {
    const before = await api.call<{ instances: Array<{ id: string }> }>(
      'GET',
      '/api/v1/services/api/instances',
    );
    expect(before.body.instances).toHaveLength(1);
    await server.close({ stopInstances: false });
    // admin.yaml sorts first: its recovery runs before api's instance is claimed by api.
    server = await startServer({
      config: servicesDir,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    expect([...server.services().keys()]).toEqual(['admin', 'api']);
    const after = await api.call<{ instances: Array<{ id: string }> }>(
      'GET',
      '/api/v1/services/api/instances',
    );
    expect(after.body.instances.map((m) => m.id)).toEqual(before.body.instances.map((m) => m.id));
    expect((await hit(ports.api)).version).toBe('a1');
  });
});

describe('service files', () => {
  it('refuses two files naming the same service, naming both files and lines', async () => {
    const tmp = await tempDir();
    try {
      await writeFile(path.join(tmp.dir, 'a.yaml'), serviceFile('shop', 1));
      await writeFile(path.join(tmp.dir, 'b.yaml'), `# the same service again\n${serviceFile('shop', 2)}`);
      await expect(loadServiceFiles([tmp.dir], loadConfigFile)).rejects.toThrow(
        /b\.yaml:2:1 service: names service "shop", which .*a\.yaml:1 names too/,
      );
    } finally {
      await tmp.cleanup();
    }
  });
});
