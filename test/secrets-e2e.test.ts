import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterKeyId, parseMasterKey } from '../src/secrets/index.ts';
import {
  ApiClient,
  ChildServer,
  type CliRun,
  hit,
  runGantry,
  sleep,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { serverStore, serverStoreKinds } from './helpers/server-store.ts';
import { readRaw } from './helpers/store.ts';
import { runGantryAtTerminal } from './helpers/terminal.ts';

const V1 = `postgres://shop:${randomBytes(12).toString('hex')}@db.internal/shop`;
const V2 = `postgres://shop:${randomBytes(12).toString('hex')}@db.internal/shop`;
const HOOK_SECRET = `whsec-${randomBytes(12).toString('hex')}`;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// The service: `/` answers its version and a hash of DATABASE_URL; `/fail` quotes the value in a 500.
const APP = `import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
const secret = process.env.DATABASE_URL;
const digest = secret === undefined ? null : createHash('sha256').update(secret).digest('hex');
const version = process.env.GANTRY_VERSION;
console.log('connecting to ' + secret);
console.log(JSON.stringify({ level: 'info', msg: 'config', database_url: secret }));
if (process.env.CRASH) process.exit(1);
let closing = false;
const server = createServer((req, res) => {
  res.on('close', () => { if (closing) server.closeIdleConnections(); });
  if (req.url === '/health' || req.url === '/readiness') {
    res.writeHead(closing ? 503 : 200, { 'content-type': 'application/json' });
    return res.end('{"status":"pass"}');
  }
  if (req.url === '/fail') {
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end('cannot connect to ' + secret);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version, secret: digest }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  closing = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
});
`;

describe.each(serverStoreKinds())('secrets through a real server (%s store)', (storeKind) => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dataDir: string;
  /** The server's --store: none (gantry.db in the data dir) or a PostgreSQL database's URL. */
  let store: { store?: string };
  let configFile: string;
  let stagingPort: number;
  let server: ChildServer;
  let api: ApiClient;
  /** Every body the API answered during the tests, and every CLI output. */
  const seen: string[] = [];
  /** Every server started (or refused), so that everything they printed can be searched. */
  const servers: ChildServer[] = [];
  const serverOutput = () => servers.map((s) => s.output).join('\n');

  async function call<T = unknown>(method: string, p: string, body?: unknown) {
    const r = await api.call<T>(method, p, body);
    seen.push(JSON.stringify(r.body));
    return r;
  }

  async function raw(method: string, p: string, body: string): Promise<{ status: number; text: string }> {
    const res = await fetch(api.base + p, {
      method,
      headers: { ...api.headers(), 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    seen.push(text);
    return { status: res.status, text };
  }

  async function cli(args: string[], input?: string): Promise<CliRun> {
    const r = await runGantry(args, {
      env: { GANTRY_URL: server.url, GANTRY_DATA_DIR: dataDir, GANTRY_TOKEN: '' },
      ...(input !== undefined ? { input } : {}),
      timeoutMs: 30_000,
    });
    seen.push(r.stdout, r.stderr);
    return r;
  }

  /** Starts a server with `env` added to its environment (ChildServer passes on this process's). */
  async function launch(env: Record<string, string> = {}): Promise<ChildServer> {
    const s = new ChildServer({ config: configFile, dataDir, ...store });
    servers.push(s);
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      await s.start();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    return s;
  }

  async function refusedStart(env: Record<string, string>): Promise<string> {
    const before = servers.length;
    const s = await launch(env).catch((err: Error) => err);
    if (!(s instanceof Error)) {
      await s.stop();
      throw new Error('the server started');
    }
    // The exit can be seen before the last of the output: wait until its pipes close.
    const proc = servers[before]?.proc;
    if (proc && !(proc.stdout?.destroyed && proc.stderr?.destroyed)) {
      await Promise.race([new Promise((r) => proc.once('close', r)), sleep(10_000)]);
    }
    return `${s.message}\n${servers[before]?.output ?? ''}`;
  }

  /** A GitHub ping signed with HOOK_SECRET, which gantry.yaml names as GITHUB_WEBHOOK_SECRET. */
  function ping(): Promise<Response> {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const signature = `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`;
    return fetch(`${api.base}/api/v1/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signature,
      },
      body,
    });
  }

  async function build(name: string, extra = ''): Promise<string> {
    const dir = path.join(tmp.dir, 'builds', name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'server.js'), extra + APP);
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
    return dir;
  }

  /** Rows of the server's database, read as another process would (no server needs to run). */
  async function rawQuery(text: string): Promise<Array<Record<string, unknown>>> {
    if (!store.store) {
      return readRaw(path.join(dataDir, 'gantry.db'), (db) => db.prepare(text).all());
    }
    const client = new pg.Client({ connectionString: store.store });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  /** Everything the store holds, as bytes or text: SQLite's files, or every row of every table. */
  async function everythingStored(): Promise<Buffer> {
    if (!store.store) {
      const files = (await readdir(dataDir)).filter((f) => f.startsWith('gantry.db'));
      return Buffer.concat(await Promise.all(files.map((f) => readFile(path.join(dataDir, f)))));
    }
    const tables = await rawQuery("select tablename from pg_tables where schemaname = 'public'");
    const rows = await Promise.all(
      tables.map((t) => rawQuery(`select row_to_json(t)::text as row from "${String(t.tablename)}" t`)),
    );
    return Buffer.from(
      rows
        .flat()
        .map((r) => String(r.row))
        .join('\n'),
    );
  }

  async function secretSeen(): Promise<string | null | undefined> {
    const r = await hit(stagingPort);
    return r.status === 200 ? (JSON.parse(r.body) as { secret: string | null }).secret : undefined;
  }

  beforeAll(async () => {
    tmp = await tempDir('gantry-secrets-');
    dataDir = path.join(tmp.dir, 'data');
    store = await serverStore(storeKind);
    const cfg = await writeHelloConfig(tmp.dir, {
      stagingInstances: 2,
      startupTimeout: '10s',
      staging: '    secrets: [DATABASE_URL]',
      extra: [
        'synthetics:',
        '  - { name: db-probe, environment: staging, every: 1s, http: { path: /fail, expect_status: 200 } }',
        'triggers:',
        `  github: { secret: "\${secret:GITHUB_WEBHOOK_SECRET}" }`,
      ].join('\n'),
    });
    configFile = cfg.file;
    stagingPort = cfg.ports.staging;
    server = await launch();
    api = new ApiClient(server.url);
    for (const [v, dir] of [
      ['v1', await build('v1')],
      ['v2', await build('v2')],
      ['v3-crash', await build('v3-crash', "process.env.CRASH = '1';\n")],
    ] as const) {
      expect((await api.upload(v, dir)).status).toBe(201);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('creates the master key file with mode 0600 at first start', async () => {
    expect((await stat(path.join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect(server.output).toContain('created a new master key file');
  });

  it('fails a release whose environment lists a secret that is not set, before any instance starts', async () => {
    const { body } = await call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v1',
    });
    const done = await api.waitRelease(body.release.id);
    expect(done.release).toMatchObject({ state: 'failed', reason: 'MissingSecret' });
    expect(done.release.message).toContain(
      'staging lists secret DATABASE_URL in gantry.yaml, but it is not set: run `gantry secrets set staging DATABASE_URL`',
    );
    expect(done.events.map((e) => e.type)).not.toContain('instance.started');
  });

  it('sets, lists and injects a secret; a new value rolls the environment with no failed request', async () => {
    const set = await cli(['secrets', 'set', 'staging', 'DATABASE_URL', '--from-stdin'], `${V1}\n`);
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain('set DATABASE_URL (staging)');
    expect(set.stdout).toContain('staging runs no version yet');

    const list = await cli(['secrets', 'list', 'staging', '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { secrets: Array<Record<string, unknown>>; missing: string[] };
    expect(listed.missing).toEqual([]);
    expect(listed.secrets).toEqual([
      {
        name: 'DATABASE_URL',
        environment: 'staging',
        updatedAt: expect.any(String),
        updatedBy: expect.any(String),
        used: true,
      },
    ]);
    expect((await cli(['secrets', 'list', 'staging'])).stdout).toMatch(/DATABASE_URL\s+\S+ \S+\s+\S+\s+yes/);

    const first = await call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v1',
    });
    expect((await api.waitRelease(first.body.release.id)).release.state).toBe('succeeded');
    expect(await secretSeen()).toBe(sha(V1));

    const load = startPacedLoad(stagingPort, 40);
    await sleep(1000);
    const put = await call<{ restart: { releaseId: string; message: string } }>(
      'PUT',
      '/api/v1/environments/staging/secrets/DATABASE_URL',
      { value: V2 },
    );
    expect(put.status).toBe(200);
    expect(put.body.restart.releaseId).toMatch(/^rel_/);
    const restart = await api.waitRelease(put.body.restart.releaseId);
    expect(restart.release).toMatchObject({ kind: 'restart', state: 'succeeded', version: 'v1' });
    expect(restart.events.map((e) => e.type)).toContain('restart.reason');
    await sleep(1000);
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(60);
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    expect(await secretSeen()).toBe(sha(V2));
  });

  it('restarts an environment whose secret was set during a release once that release finishes', async () => {
    const restarts = async () =>
      (
        await call<{ releases: Array<{ id: string; kind: string }> }>(
          'GET',
          '/api/v1/releases?environment=staging',
        )
      ).body.releases
        .filter((r) => r.kind === 'restart')
        .map((r) => r.id);
    const before = await restarts();
    const deploy = await call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
    });
    const put = await call<{
      restart: { releaseId: string | null; activeReleaseId: string; message: string };
    }>('PUT', '/api/v1/environments/staging/secrets/DATABASE_URL', { value: V2 });
    expect(put.body.restart).toMatchObject({ releaseId: null, activeReleaseId: deploy.body.release.id });
    expect(put.body.restart.message).toContain('a rolling restart follows when it finishes');
    expect((await api.waitRelease(deploy.body.release.id)).release.state).toBe('succeeded');
    const restart = await waitFor('the restart after the release', async () =>
      (await restarts()).find((id) => !before.includes(id)),
    );
    const done = await api.waitRelease(restart);
    expect(done.release).toMatchObject({ kind: 'restart', version: 'v2', state: 'succeeded' });
    expect(await secretSeen()).toBe(sha(V2));
  });

  it('answers bad requests without ever quoting the value', async () => {
    const base = '/api/v1/environments/staging/secrets/DATABASE_URL';
    const broken = await raw('PUT', base, `{"value": "${V2}`);
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('not valid JSON');
    const extra = await raw('PUT', base, JSON.stringify({ value: V2, [V2]: V2 }));
    expect(extra.status).toBe(400);
    expect((await raw('PUT', base, JSON.stringify({ value: 42 }))).text).toContain(
      'expected a string, got number',
    );
    expect((await raw('PUT', base, JSON.stringify({ value: `${V2}\u0000` }))).text).toContain('NUL');
    expect(
      (await raw('PUT', '/api/v1/environments/nowhere/secrets/X', JSON.stringify({ value: V2 }))).status,
    ).toBe(404);
    expect(
      (await raw('PUT', '/api/v1/environments/staging/secrets/1BAD', JSON.stringify({ value: V2 }))).status,
    ).toBe(400);
    expect((await raw('POST', '/api/v1/secrets/rotate-key', JSON.stringify({ newKey: V2 }))).status).toBe(
      422,
    );

    const missingEnv = await cli(['secrets', 'set', 'nowhere', 'DATABASE_URL', '--from-stdin'], V2);
    expect(missingEnv.code).toBe(2);
    expect(missingEnv.stderr).toContain('no environment nowhere');
    const inUse = await cli(['secrets', 'rm', 'staging', 'DATABASE_URL']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('staging lists DATABASE_URL in its secrets');
    const usage = await cli(['secrets', 'set', 'staging']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('expected 2 argument(s), got 1: gantry secrets set ENV NAME');
    // A value typed as an argument, or where the name goes, is refused without being repeated.
    const asArgument = await cli(['secrets', 'set', 'staging', 'DATABASE_URL', V2]);
    expect(asArgument.code).toBe(2);
    expect(asArgument.stderr).toContain('A value is never an argument');
    const asName = await cli(['secrets', 'set', 'staging', V2]);
    expect(asName.code).toBe(2);
    expect(asName.stderr).toContain('the secret name is not an environment variable name');
  });

  it('lets deployers list names, only admins change secrets, and keeps global ones from scoped tokens', async () => {
    const token = async (role: string, environments?: string[]) => {
      const r = await call<{ secret: string }>('POST', '/api/v1/tokens', {
        name: `${role}-${environments?.join('-') ?? 'all'}`,
        role,
        ...(environments ? { environments } : {}),
      });
      expect(r.status).toBe(201);
      return api.as(r.body.secret);
    };
    const viewer = await token('viewer');
    const deployer = await token('deployer');
    const stagingAdmin = await token('admin', ['staging']);
    const list = '/api/v1/environments/staging/secrets';

    expect((await api.as(undefined).call('GET', list)).status).toBe(401);
    expect((await viewer.call('GET', list)).status).toBe(403);
    expect((await deployer.call('GET', list)).status).toBe(200);
    expect((await deployer.call('PUT', `${list}/OTHER_TOKEN`, { value: V2 })).status).toBe(403);
    expect((await deployer.call('POST', '/api/v1/secrets/rotate-key', {})).status).toBe(403);
    expect(
      (await stagingAdmin.call('PUT', '/api/v1/environments/production/secrets/OTHER_TOKEN', { value: V2 }))
        .status,
    ).toBe(403);
    const global = await stagingAdmin.call<{ error: { code: string } }>(
      'PUT',
      '/api/v1/secrets/OTHER_TOKEN',
      {
        value: V2,
      },
    );
    expect(global).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((await stagingAdmin.call('POST', '/api/v1/secrets/rotate-key', {})).status).toBe(403);
    // Not listed by staging: stored, and no instance restarts for it.
    const unlisted = await stagingAdmin.call<{ restart: unknown; secret: { used: boolean } }>(
      'PUT',
      `${list}/OTHER_TOKEN`,
      { value: V2 },
    );
    seen.push(JSON.stringify(unlisted.body));
    expect(unlisted).toMatchObject({ status: 200, body: { restart: null, secret: { used: false } } });
    expect((await stagingAdmin.call('DELETE', `${list}/OTHER_TOKEN`)).status).toBe(200);
    expect((await stagingAdmin.call('DELETE', `${list}/OTHER_TOKEN`)).status).toBe(404);
  });

  it('resolves secret references in gantry.yaml from a global secret typed at a prompt that does not echo', async () => {
    expect((await ping()).status).toBe(503);

    const typed = await runGantryAtTerminal(['secrets', 'set', '--global', 'GITHUB_WEBHOOK_SECRET'], {
      dir: tmp.dir,
      typed: `${HOOK_SECRET}\r`,
      env: { GANTRY_URL: server.url, GANTRY_DATA_DIR: dataDir },
    });
    seen.push(typed.out);
    expect(typed.out).toContain('value of GITHUB_WEBHOOK_SECRET (global): ');
    expect(typed.out).toContain('set GITHUB_WEBHOOK_SECRET (global)');
    expect(typed.out).not.toContain(HOOK_SECRET);
    expect(typed.code).toBe(0);

    const pong = await ping();
    expect(pong.status).toBe(200);
    seen.push(await pong.text());
    const list = await cli(['secrets', 'list', '--global', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({
      environment: null,
      secrets: [{ name: 'GITHUB_WEBHOOK_SECRET', environment: null, used: true }],
      missing: [],
    });
  });

  it('masks the value in stored logs, instance output, release events, check results and the database', async () => {
    // An instance that prints the value and crashes: its last output lands in the release.
    const crash = await call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v3-crash',
    });
    const failed = await api.waitRelease(crash.body.release.id);
    expect(failed.release.state).toBe('failed');
    expect(failed.release.message).toContain('connecting to [redacted]');
    seen.push(JSON.stringify(failed));

    const logs = await waitFor('stored log lines', async () => {
      const r = await call<{ lines: Array<{ line: string }> }>(
        'GET',
        '/api/v1/logs?environment=staging&q=connecting',
      );
      return r.body.lines.length >= 2 && r.body.lines;
    });
    expect(logs.map((l) => l.line).join('\n')).toContain('connecting to [redacted]');
    await call('GET', '/api/v1/logs?environment=staging&limit=1000');

    const synthetic = await waitFor('a failed synthetic', async () => {
      const r = await call<{ synthetics: Array<{ lastResults: Array<{ ok: boolean; message: string }> }> }>(
        'GET',
        '/api/v1/synthetics',
      );
      return r.body.synthetics[0]?.lastResults.find((x) => !x.ok);
    });
    expect(synthetic.message).toContain('cannot connect to');

    const instances = await call<{ instances: Array<{ id: string }> }>(
      'GET',
      '/api/v1/instances?environment=staging',
    );
    for (const i of instances.body.instances) {
      const out = await call<{ lines: Array<{ line: string }> }>('GET', `/api/v1/instances/${i.id}/logs`);
      expect(out.body.lines.map((l) => l.line).join('\n')).toContain('[redacted]');
    }
    const history = await call<{ releases: Array<{ id: string }> }>(
      'GET',
      '/api/v1/releases?environment=staging',
    );
    for (const r of history.body.releases) await call('GET', `/api/v1/releases/${r.id}`);
    await call('GET', '/api/v1/events?environment=staging');
    await call('GET', '/api/v1/environments/staging/secrets');
    await call('GET', '/api/v1/secrets');
    await call('GET', '/api/v1/status');

    for (const text of [...seen, serverOutput()]) {
      for (const value of [V1, V2, HOOK_SECRET]) expect(text).not.toContain(value);
    }
    const database = await everythingStored();
    expect(database.length).toBeGreaterThan(10_000);
    for (const value of [V1, V2, HOOK_SECRET]) expect(database.includes(value)).toBe(false);
  });

  it('refuses to start with another master key or a readable key file, saying what to do', async () => {
    await server.stop();
    const keyFile = path.join(dataDir, 'master.key');
    const id = masterKeyId(parseMasterKey(await readFile(keyFile, 'utf8'), 'master.key'));
    const wrong = randomBytes(32).toString('base64');
    const mismatch = await refusedStart({ GANTRY_MASTER_KEY: wrong });
    expect(mismatch).toContain('exited with 2');
    expect(mismatch).toContain(
      `the secrets in ${store.store ?? path.join(dataDir, 'gantry.db')} were encrypted with a different master key (key id ${id})`,
    );
    expect(mismatch).toContain(`unset GANTRY_MASTER_KEY: ${keyFile} holds the key with id ${id}`);

    const malformed = await refusedStart({ GANTRY_MASTER_KEY: 'tooshort' });
    expect(malformed).toContain('GANTRY_MASTER_KEY decodes (as base64) to 6 bytes, and a master key has 32');
    expect(malformed).toContain('openssl rand -base64 32');

    await chmod(keyFile, 0o644);
    const readable = await refusedStart({});
    expect(readable).toContain('can be read by its group and other users (mode 0644)');
    expect(readable).toContain(`run \`chmod 600 ${keyFile}\` and start again`);
    await chmod(keyFile, 0o600);
  });

  it('rotates the master key under load: new ciphertext, same values, the old key refused', async () => {
    server = await launch();
    api = new ApiClient(server.url);
    const rowOf = async () =>
      (await rawQuery("select ciphertext, iv, tag, key_id from secrets where name = 'DATABASE_URL'"))[0] as {
        ciphertext: string;
        iv: string;
        key_id: string;
      };
    const before = await rowOf();
    const oldKey = (await readFile(path.join(dataDir, 'master.key'), 'utf8')).trim();

    // Adopted instances are back in traffic once their readiness passes again.
    await waitFor('staging serving after the restart', async () => (await secretSeen()) === sha(V2));
    const load = startPacedLoad(stagingPort, 40);
    await sleep(500);
    const rotated = await cli(['secrets', 'rotate-key', '--json']);
    expect(rotated.code).toBe(0);
    const r = (
      JSON.parse(rotated.stdout) as {
        rotation: { previousKeyId: string; keyId: string; reencrypted: number };
      }
    ).rotation;
    expect(r).toMatchObject({ previousKeyId: before.key_id, reencrypted: 2 });
    await sleep(500);
    expect((await load.stop()).filter((s) => s.status !== 200)).toEqual([]);

    const after = await rowOf();
    expect(after.key_id).toBe(r.keyId);
    expect(after.ciphertext).not.toBe(before.ciphertext);
    expect(after.iv).not.toBe(before.iv);
    const newKey = (await readFile(path.join(dataDir, 'master.key'), 'utf8')).trim();
    expect(masterKeyId(parseMasterKey(newKey, 'k'))).toBe(r.keyId);
    expect((await stat(path.join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);

    // The value is the same under the new key: a new version's instances get it.
    const v2 = await call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
    });
    expect((await api.waitRelease(v2.body.release.id)).release.state).toBe('succeeded');
    expect(await secretSeen()).toBe(sha(V2));

    await server.stop();
    const old = await refusedStart({ GANTRY_MASTER_KEY: oldKey });
    expect(old).toContain(`were encrypted with a different master key (key id ${r.keyId})`);
    server = await launch();
    api = new ApiClient(server.url);
    expect((await call<{ keyId: string }>('GET', '/api/v1/environments/staging/secrets')).body.keyId).toBe(
      r.keyId,
    );
    expect((await ping()).status).toBe(200);
    await server.stop();
    for (const value of [V1, V2, HOOK_SECRET]) expect(serverOutput()).not.toContain(value);
  });
});
