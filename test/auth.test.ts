// Access control against a real server: every route of the route table refused without a token
// (except the public ones), every change refused to a viewer, a deployer limited to staging,
// expired and revoked tokens, dashboard sessions, and hashes only in the database.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../src/api/route-table.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { defaultAccess } from '../src/auth/types.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, helloBuild, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';
import { readRaw } from './helpers/store.ts';

interface Answer {
  status: number;
  body: {
    error?: { code: string; message: string; hint?: string; details?: Record<string, unknown> };
  } & Record<string, unknown>;
  headers: Headers;
}

describe('access control', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let admin: ApiClient;

  /** A request as the holder of `token` (none when undefined); SSE streams are cut after the headers. */
  const call = async (
    method: string,
    p: string,
    opts: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), 20_000);
    try {
      const res = await fetch(server.url + p, {
        method,
        headers,
        signal: ctrl.signal,
        ...(opts.body !== undefined
          ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
          : {}),
      });
      if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        await res.body?.cancel();
        return { status: res.status, body: {}, headers: res.headers };
      }
      const text = await res.text();
      let body: Answer['body'] = {};
      try {
        body = JSON.parse(text) as Answer['body'];
      } catch {}
      return { status: res.status, body, headers: res.headers };
    } finally {
      clearTimeout(timer);
    }
  };

  const createToken = async (req: Record<string, unknown>): Promise<{ id: string; secret: string }> => {
    const r = await call('POST', '/api/v1/tokens', { token: admin.token, body: req });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: (r.body.token as { id: string }).id, secret: r.body.secret as string };
  };

  /** A concrete path for a route pattern: `:x` → `x`, a wildcard → a file-like name. */
  const concrete = (p: string) => p.replace(/:(\w+)/g, 'x').replace(/\*$/, 'x.js');

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '10s', productionInstances: 1 });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
      // Every route is asked without a token here, more than the default budget of refusals.
      refusalLimit: 1000,
    });
    admin = new ApiClient(server);
    expect(admin.token).toMatch(/^gantry_[A-Za-z0-9_-]{43}$/);
    expect((await admin.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('every route of the route table answers 401 without a token, except the public ones', async () => {
    const checked: string[] = [];
    for (const r of routes) {
      const access = r.access ?? defaultAccess(r.method);
      const res = await call(r.method, concrete(r.path), r.method === 'GET' ? {} : { body: {} });
      const label = `${r.method} ${r.path} (${access}) → ${res.status}`;
      checked.push(label);
      if (access === 'public') {
        expect(res.status, label).not.toBe(401);
      } else if (access === 'webhook') {
        // Its handler answers (a signature check), not the token check.
        expect(res.body.error?.details?.reason, label).not.toBe('missing');
      } else {
        expect(res.status, label).toBe(401);
        expect(res.body.error?.code, label).toBe('UNAUTHORIZED');
        expect(res.body.error?.hint, label).toMatch(/Authorization: Bearer|GANTRY_TOKEN/);
        expect(res.headers.get('www-authenticate'), label).toBe('Bearer realm="gantry"');
      }
    }
    expect(checked.length).toBe(routes.length);
    // Unknown API paths too: their shape is for token holders only.
    expect((await call('GET', '/api/v1/no-such-thing')).status).toBe(401);
    expect((await call('DELETE', '/api/v1/no-such-thing')).status).toBe(401);
    expect((await call('GET', '/api/v1/no-such-thing', { token: admin.token })).status).toBe(404);
  });

  it('a viewer may read every GET route but is refused every change with 403 naming the roles', async () => {
    const viewer = await createToken({ role: 'viewer', name: 'grafana' });
    for (const r of routes) {
      const access = r.access ?? defaultAccess(r.method);
      if (access === 'public' || access === 'webhook') continue;
      const res = await call(r.method, concrete(r.path), {
        token: viewer.secret,
        ...(r.method === 'GET' ? {} : { body: {} }),
      });
      const label = `${r.method} ${r.path} (${access}) → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
      if (access === 'viewer') {
        expect([401, 403], label).not.toContain(res.status);
      } else {
        expect(res.status, label).toBe(403);
        expect(res.body.error?.code, label).toBe('FORBIDDEN');
        expect(res.body.error?.message, label).toContain(`needs the ${access} role`);
        expect(res.body.error?.message, label).toContain('grafana');
        expect(res.body.error?.message, label).toContain('has viewer');
        expect(res.body.error?.details, label).toMatchObject({ needed: access, held: 'viewer' });
      }
    }
    // Every route that changes something needs more than viewer in the table itself.
    for (const r of routes) {
      if (r.method === 'GET') continue;
      expect(['deployer', 'admin', 'public', 'webhook'], `${r.method} ${r.path}`).toContain(
        r.access ?? defaultAccess(r.method),
      );
    }
  });

  it('a deployer limited to staging releases staging and is refused on production, however it is asked', async () => {
    const dep = await createToken({ role: 'deployer', environments: ['staging'], name: 'ci-staging' });
    const own = await call('POST', '/api/v1/releases', {
      token: dep.secret,
      body: { environment: 'staging', version: 'v1' },
    });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    const release = own.body.release as { id: string; createdBy: string | null };
    expect(release.createdBy).toBe('ci-staging');
    expect((await admin.waitRelease(release.id)).release.state).toBe('succeeded');

    const refusals: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/releases', { environment: 'production', version: 'v1' }],
      ['POST', '/api/v1/releases', { ref: 'refs/tags/v1', version: 'v1' }],
      ['POST', '/api/v1/promote', { from: 'staging', to: 'production' }],
      ['POST', '/api/v1/rollback', { environment: 'production' }],
    ];
    for (const [method, p, body] of refusals) {
      const res = await call(method, p, { token: dep.secret, body });
      const label = `${method} ${p} ${JSON.stringify(body)}`;
      expect(res.status, label).toBe(403);
      expect(res.body.error?.message, label).toContain('on production');
      expect(res.body.error?.message, label).toContain('staging only');
      expect(res.body.error?.details, label).toMatchObject({ environment: 'production' });
    }
    // An environment found through a release id: the release is production's.
    const prod = await admin.deploy('production', 'v1');
    const abort = await call('POST', `/api/v1/releases/${prod.id}/abort`, { token: dep.secret, body: {} });
    expect(abort.status).toBe(403);
    expect(abort.body.error?.message).toContain('on production');
    expect((await admin.waitRelease(prod.id)).release.state).toBe('succeeded');
    // A silence reaches the environments its matchers pin: all of them without an exact one.
    const silence = (matchers: unknown[]) =>
      call('POST', '/api/v1/silences', {
        token: dep.secret,
        body: { matchers, duration: '1h', comment: 'deploying' },
      });
    expect((await silence([{ name: 'environment', value: 'staging' }])).status).toBe(201);
    const wide = await silence([{ name: 'alertname', value: 'high-5xx' }]);
    expect(wide.status).toBe(403);
    expect(wide.body.error?.message).toContain('on every environment');
    expect((await silence([{ name: 'environment', value: 'production' }])).status).toBe(403);
    // An admin limited to staging may not reload what every environment runs on.
    const stagingAdmin = await createToken({ role: 'admin', environments: ['staging'] });
    const reload = await call('POST', '/api/v1/config/reload', { token: stagingAdmin.secret, body: {} });
    expect(reload.status).toBe(403);
    // The refusals changed nothing, and reading production stays open.
    const status = await call('GET', '/api/v1/status?environment=production', { token: dep.secret });
    expect(status.status).toBe(200);
    const releases = await call('GET', '/api/v1/releases?environment=production', { token: admin.token });
    expect((releases.body.releases as unknown[]).length).toBe(1);
  }, 120_000);

  it('expired and revoked tokens are refused with 401 and a way forward', async () => {
    const short = await createToken({ role: 'viewer', expiresIn: '1s' });
    await waitFor('the token to expire', async () => {
      const r = await call('GET', '/api/v1/status', { token: short.secret });
      return r.status === 401 && r;
    });
    const expired = await call('GET', '/api/v1/status', { token: short.secret });
    expect(expired.body.error?.message).toMatch(/expired at/);
    expect(expired.body.error?.hint).toMatch(/gantry tokens create/);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const doomed = await createToken({ role: 'deployer' });
    expect((await call('GET', '/api/v1/status', { token: doomed.secret })).status).toBe(200);
    const revoked = await call('DELETE', `/api/v1/tokens/${doomed.id}`, { token: admin.token });
    expect(revoked.status).toBe(200);
    expect((revoked.body.token as { state: string }).state).toBe('revoked');
    const after = await call('POST', '/api/v1/rollback', {
      token: doomed.secret,
      body: { environment: 'staging' },
    });
    expect(after.status).toBe(401);
    expect(after.body.error?.message).toMatch(/unknown or revoked/);
    // Unknown and revoked look the same from outside.
    const unknown = await call('GET', '/api/v1/status', { token: `gantry_${'A'.repeat(43)}` });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error?.message).toBe(after.body.error?.message);
    const garbage = await call('GET', '/api/v1/status', { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error?.message).toMatch(/Bearer/);
    expect((await call('DELETE', '/api/v1/tokens/tok_missing', { token: admin.token })).status).toBe(404);
  });

  it('tokens are shown once and stored only as hashes; token management needs an admin of every environment', async () => {
    const t = await createToken({ role: 'admin', environments: ['staging'], name: 'staging-admin' });
    const list = await call('GET', '/api/v1/tokens', { token: admin.token });
    expect(JSON.stringify(list.body)).not.toContain(t.secret);
    expect(JSON.stringify(list.body)).not.toContain(t.secret.slice(16));
    const rows = readRaw(path.join(server.dataDir, 'gantry.db'), (db) =>
      db.prepare('select * from api_tokens').all(),
    );
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(t.secret);
    expect(dump).not.toContain(admin.token ?? '-');
    expect(dump).toContain(t.secret.slice(0, 15)); // the display prefix
    // A scoped admin cannot mint itself a wider token.
    const mint = await call('POST', '/api/v1/tokens', { token: t.secret, body: { role: 'admin' } });
    expect(mint.status).toBe(403);
    expect(mint.body.error?.message).toMatch(/every environment/);
    const badEnv = await call('POST', '/api/v1/tokens', {
      token: admin.token,
      body: { role: 'deployer', environments: ['prod'] },
    });
    expect(badEnv.status).toBe(404);
    expect(badEnv.body.error?.code).toBe('UNKNOWN_ENVIRONMENT');
  });

  it('the dashboard exchanges a token for an HttpOnly, SameSite=Strict session cookie, and logs out', async () => {
    const viewer = await createToken({ role: 'viewer', name: 'alice' });
    const bad = await call('POST', '/api/v1/session', { body: { token: 'nope' } });
    expect(bad.status).toBe(401);
    const login = await call('POST', '/api/v1/session', { body: { token: viewer.secret } });
    expect(login.status).toBe(200);
    expect(login.body.actor).toMatchObject({ name: 'alice', role: 'viewer', environments: null });
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^gantry_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain(viewer.secret);
    const cookie = setCookie.split(';')[0] ?? '';
    const me = await call('GET', '/api/v1/session', { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: 'cookie', actor: { name: 'alice' } });
    const change = await call('POST', '/api/v1/rollback', {
      headers: { cookie },
      body: { environment: 'staging' },
    });
    expect(change.status).toBe(403);
    const out = await call('DELETE', '/api/v1/session', { headers: { cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const ended = await call('GET', '/api/v1/status', { headers: { cookie } });
    expect(ended.status).toBe(401);
    expect(ended.body.error?.hint).toMatch(/\/login/);
  });

  it('the OpenAPI document declares the bearer scheme and each operation its access', async () => {
    const doc = await call('GET', '/api/v1/openapi.json', { token: admin.token });
    const body = doc.body as {
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
      security: unknown[];
      paths: Record<string, Record<string, { 'x-gantry-access': string; security?: unknown[] }>>;
    };
    expect(body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(body.security).toContainEqual({ bearerAuth: [] });
    expect(body.paths['/health']?.get).toMatchObject({ 'x-gantry-access': 'public', security: [] });
    expect(body.paths['/api/v1/tokens']?.post?.['x-gantry-access']).toBe('admin');
    expect(body.paths['/api/v1/releases']?.post?.['x-gantry-access']).toBe('deployer');
    expect(body.paths['/metrics']?.get?.['x-gantry-access']).toBe('viewer');
  });

  it('the audit log records each change with its actor, address, target and outcome, refusals included', async () => {
    const dep = await createToken({ role: 'deployer', environments: ['staging'], name: 'auditee' });
    const refused = await call('POST', '/api/v1/releases', {
      token: dep.secret,
      body: { environment: 'production', version: 'v1' },
    });
    expect(refused.status).toBe(403);
    await call('POST', '/api/v1/rollback', { body: { environment: 'staging' } });
    await call('POST', '/api/v1/session', { body: { token: dep.secret } });
    const entries = await waitFor('the entries', async () => {
      const r = await call('GET', '/api/v1/audit?limit=1000', { token: admin.token });
      const list = r.body.entries as Array<Record<string, unknown>>;
      return (
        list.some(
          (e) => e.action === 'POST /api/v1/session' && (e.actor as { name: string }).name === 'auditee',
        ) && list
      );
    });
    const forbidden = entries.find(
      (e) =>
        (e.actor as { name: string }).name === 'auditee' && (e.outcome as { status: number }).status === 403,
    );
    expect(forbidden).toMatchObject({
      action: 'POST /api/v1/releases',
      address: '127.0.0.1',
      actor: { kind: 'token', id: dep.id, name: 'auditee' },
      target: { environment: 'production' },
      outcome: { status: 403, error: 'FORBIDDEN' },
      details: { body: { environment: 'production', version: 'v1' } },
    });
    const anonymous = entries.find(
      (e) => e.action === 'POST /api/v1/rollback' && (e.outcome as { status: number }).status === 401,
    );
    // Refused before its body was read (an anonymous body is never parsed): who, from where, what.
    expect(anonymous).toMatchObject({
      actor: { kind: 'anonymous' },
      address: '127.0.0.1',
      outcome: { status: 401, error: 'UNAUTHORIZED' },
    });
    const created = entries.find(
      (e) => e.action === 'POST /api/v1/releases' && (e.outcome as { status: number }).status === 201,
    );
    expect(created?.target).toMatchObject({ release: expect.stringMatching(/^rel_/) });
    expect(entries.find((e) => e.action === 'token.bootstrap')).toMatchObject({ actor: { kind: 'system' } });
    // Nothing a client sent as a secret is in the log.
    const text = JSON.stringify(entries);
    expect(text).not.toContain(dep.secret);
    expect(text).not.toContain(admin.token ?? '-');
    // GETs are not changes.
    expect(entries.some((e) => String(e.action).startsWith('GET '))).toBe(false);
    const verify = await call('GET', '/api/v1/audit/verify', { token: admin.token });
    expect(verify.body).toMatchObject({ ok: true });
    expect(verify.body.checked).toBeGreaterThanOrEqual(entries.length);
  });
});
