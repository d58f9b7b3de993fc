// Access control, reviewed adversarially against a real server: a page of the same site (another
// port of the host, a sibling subdomain) posting a form with the dashboard's SameSite=Strict cookie;
// live streams outliving the revocation or expiry of their token and the logout of their session;
// the session cookie behind a proxy that terminates TLS; a scope lookup that fails.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { createEnvironmentResolver, EVERY_ENVIRONMENT } from '../src/auth/scope.ts';
import { silentLogger } from '../src/lib/log.ts';
import { hasChromium, launchChromium, logIn } from './helpers/browser.ts';
import { ApiClient, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';

interface Answer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

interface AuditEntry {
  seq: number;
  action: string;
  actor: { kind: string; name: string };
  outcome: { status: number; error: string | null };
}

describe('access control under attack', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let admin: ApiClient;
  let url: URL;

  /** A raw request, headers exactly as given (a browser's Origin and Sec-Fetch-Site included). */
  const send = (method: string, p: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path: p,
          headers: {
            ...headers,
            ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
          },
          timeout: 20_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no answer in 20 s`)));
      req.on('error', reject);
      req.end(body);
    });

  const createToken = async (body: Record<string, unknown>) => {
    const r = await admin.call<{ token: { id: string }; secret: string }>('POST', '/api/v1/tokens', body);
    expect(r.status).toBe(201);
    return { id: r.body.token.id, secret: r.body.secret };
  };

  const sessionCookie = async (token: string, headers: Record<string, string> = {}) => {
    const r = await send(
      'POST',
      '/api/v1/session',
      { 'content-type': 'application/json', ...headers },
      JSON.stringify({ token }),
    );
    expect(r.status, r.text).toBe(200);
    const setCookie = String(r.headers['set-cookie']?.[0] ?? '');
    return { cookie: setCookie.split(';')[0] ?? '', setCookie };
  };

  const audit = async (after: number): Promise<AuditEntry[]> =>
    (await admin.call<{ entries: AuditEntry[] }>('GET', '/api/v1/audit?limit=1000')).body.entries.filter(
      (e) => e.seq > after,
    );
  const lastSeq = async () => (await audit(0))[0]?.seq ?? 0;

  /** Opens a live stream; resolves once its headers are in, tells when it closes. */
  const openStream = (p: string, headers: Record<string, string>) =>
    new Promise<{ status: number; closed: Promise<number>; destroy: () => void }>((resolve, reject) => {
      const req = http.get(
        { host: url.hostname, port: url.port, path: p, headers: { accept: 'text/event-stream', ...headers } },
        (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => {
            bytes += d.length;
          });
          const closed = new Promise<number>((done) => {
            res.on('close', () => done(bytes));
            res.on('error', () => done(bytes));
          });
          resolve({ status: res.statusCode ?? 0, closed, destroy: () => req.destroy() });
        },
      );
      req.on('error', reject);
    });

  /** Resolves true when `closed` settles within `ms`, false otherwise. */
  const closesWithin = (closed: Promise<unknown>, ms: number) =>
    Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '10s', productionInstances: 1 });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    admin = new ApiClient(server);
    url = new URL(server.url);
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('a change sent with the session cookie from a page of another origin of the same site is refused', async () => {
    const { cookie } = await sessionCookie(admin.token ?? '');
    const before = await lastSeq();
    // What a browser sends for a <form enctype="text/plain" method="post"> on http://127.0.0.1:<other
    // port>: SameSite=Strict lets the cookie through, ports do not make another site.
    const evil = `http://127.0.0.1:${Number(url.port) === 1 ? 2 : Number(url.port) - 1}`;
    const attempts: Array<Record<string, string>> = [
      { origin: evil, 'sec-fetch-site': 'same-site' },
      { origin: 'http://intranet.example', 'sec-fetch-site': 'cross-site' },
      { origin: evil }, // a browser without Sec-Fetch-Site
      { origin: 'null' }, // a sandboxed frame, a redirect
    ];
    for (const h of attempts) {
      const r = await send(
        'POST',
        '/api/v1/config/reload',
        { cookie, 'content-type': 'text/plain', ...h },
        '',
      );
      expect(r.status, `${JSON.stringify(h)} → ${r.text}`).toBe(403);
      const body = JSON.parse(r.text) as { error: { message: string; hint: string; details: unknown } };
      expect(body.error.message).toMatch(/session may not make this change/);
      expect(body.error.hint).toMatch(/Authorization: Bearer/);
      expect(body.error.details).toEqual({ reason: 'cross_site' });
    }
    const refused = (await audit(before)).filter((e) => e.action === 'POST /api/v1/config/reload');
    expect(refused).toHaveLength(attempts.length);
    for (const e of refused) expect(e.outcome).toMatchObject({ status: 403, error: 'FORBIDDEN' });

    // The dashboard's own requests, a proxy that keeps the original host, and scripts stay allowed.
    const own = `http://${url.host}`;
    const allowed: Array<Record<string, string>> = [
      { cookie, origin: own, 'sec-fetch-site': 'same-origin' },
      { cookie, origin: own },
      { cookie, origin: 'https://gantry.example.com', 'x-forwarded-host': 'gantry.example.com' },
      { cookie },
      { authorization: `Bearer ${admin.token}`, origin: evil, 'sec-fetch-site': 'cross-site' },
    ];
    for (const h of allowed) {
      const r = await send(
        'POST',
        '/api/v1/config/reload',
        { 'content-type': 'application/json', ...h },
        '{}',
      );
      expect(r.status, `${JSON.stringify(h)} → ${r.text}`).toBe(200);
    }
    // Reading with the cookie from elsewhere is what SameSite and CORS already govern: unchanged.
    const read = await send('GET', '/api/v1/status', { cookie, origin: evil, 'sec-fetch-site': 'same-site' });
    expect(read.status).toBe(200);
  });

  it.skipIf(!hasChromium())(
    'in a real browser: a form on another port of the host cannot reload the config with the session',
    async () => {
      const page = `<!doctype html><form id="f" method="post" enctype="text/plain"
        action="${server.url}/api/v1/config/reload"><input name="x" value="1"></form>
        <script>document.getElementById('f').submit()</script>`;
      const attacker = http.createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end(page),
      );
      await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
      const browser = await launchChromium();
      try {
        const tab = await (await browser.newContext()).newPage();
        await logIn(tab, server.url, admin.token ?? '');
        const before = await lastSeq();
        const answered = tab.waitForResponse((r) => r.url().endsWith('/api/v1/config/reload'), {
          timeout: 30_000,
        });
        await tab.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
        expect((await answered).status()).toBe(403);
        const entries = await waitFor('the refusal in the audit log', async () => {
          const found = (await audit(before)).filter((e) => e.action === 'POST /api/v1/config/reload');
          return found.length > 0 && found;
        });
        // The cookie was sent (the request was the admin's), and refused.
        expect(entries[0]).toMatchObject({
          actor: { kind: 'token', name: 'bootstrap-admin' },
          outcome: { status: 403, error: 'FORBIDDEN' },
        });
      } finally {
        await browser.close();
        await new Promise((r) => attacker.close(r));
      }
    },
    120_000,
  );

  it('a live stream ends when its token is revoked, its session logged out, or its token expires', async () => {
    // Revoked: the log tail opened with the token is cut, and reopening it is refused.
    const viewer = await createToken({ role: 'viewer', name: 'tail' });
    const bearer = { authorization: `Bearer ${viewer.secret}` };
    const tail = await openStream('/api/v1/logs/stream', bearer);
    expect(tail.status).toBe(200);
    const other = await openStream('/api/v1/logs/stream', { authorization: `Bearer ${admin.token}` });
    expect((await admin.call('DELETE', `/api/v1/tokens/${viewer.id}`)).status).toBe(200);
    expect(await closesWithin(tail.closed, 10_000)).toBe(true);
    expect((await send('GET', '/api/v1/logs/stream', bearer)).status).toBe(401);
    // Someone else's stream goes on.
    expect(await closesWithin(other.closed, 500)).toBe(false);
    other.destroy();

    // Logged out: the dashboard's stream opened with that session is cut; another session's is not.
    const reader = await createToken({ role: 'viewer', name: 'dashboard-user' });
    const mine = await sessionCookie(reader.secret);
    const theirs = await sessionCookie(reader.secret);
    const a = await openStream('/api/v1/logs/stream', { cookie: mine.cookie });
    const b = await openStream('/api/v1/logs/stream', { cookie: theirs.cookie });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await send('DELETE', '/api/v1/session', { cookie: mine.cookie })).status).toBe(200);
    expect(await closesWithin(a.closed, 10_000)).toBe(true);
    expect(await closesWithin(b.closed, 500)).toBe(false);
    b.destroy();

    // Expired: a stream opened with a token that expires in 2 s ends with it.
    const brief = await createToken({ role: 'viewer', name: 'brief', expiresIn: '2s' });
    const short = await openStream('/api/v1/logs/stream', { authorization: `Bearer ${brief.secret}` });
    expect(short.status).toBe(200);
    expect(await closesWithin(short.closed, 20_000)).toBe(true);
    expect((await send('GET', '/api/v1/status', { authorization: `Bearer ${brief.secret}` })).status).toBe(
      401,
    );
  }, 60_000);

  it('behind a proxy that terminates TLS the session cookie is Secure', async () => {
    const viewer = await createToken({ role: 'viewer' });
    const plain = await sessionCookie(viewer.secret);
    expect(plain.setCookie).not.toMatch(/;\s*Secure/);
    const proxied = await sessionCookie(viewer.secret, { 'x-forwarded-proto': 'https' });
    expect(proxied.setCookie).toMatch(/;\s*Secure(;|$)/);
    expect(proxied.setCookie).toMatch(/HttpOnly/);
    expect(proxied.setCookie).toMatch(/SameSite=Strict/);
    const out = await send('DELETE', '/api/v1/session', {
      cookie: proxied.cookie,
      'x-forwarded-proto': 'https',
    });
    expect(String(out.headers['set-cookie']?.[0])).toMatch(/Max-Age=0.*Secure/);
  });
});

describe('environment scope', () => {
  it('a lookup that fails concerns every environment, so a scoped token is refused, not let through', async () => {
    const failing = async () => {
      throw new Error('database is locked');
    };
    const resolve = createEnvironmentResolver({
      config: () => {
        throw new Error('unreachable');
      },
      store: {
        releases: { get: failing },
        incidents: { get: failing },
        notifications: { silences: { get: failing } },
      },
    });
    const req = {
      method: 'POST',
      routeOptions: { url: '/api/v1/releases/:id/:action' },
      params: { id: 'rel_x', action: 'abort' },
      query: {},
      body: {},
    } as unknown as Parameters<typeof resolve>[0];
    expect(await resolve(req)).toEqual([EVERY_ENVIRONMENT]);
  });
});
