// TLS termination in the data plane, on real sockets with certificates made by openssl: HTTPS
// proxying, certificate rotation without dropping connections, a broken renewal kept out, the
// HTTP→HTTPS redirect, WebSocket over TLS, and clear errors for missing files.
import { Agent as HttpsAgent } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ApplyError } from '../src/proxy/index.ts';
import type { EdgeSettings } from '../src/proxy/types.ts';
import { backend, pool, route, send, useProxyFixture, waitFor, within } from './helpers/proxy.ts';
import {
  collectingLogger,
  httpsSend,
  installCert,
  makeCert,
  makeTempDir,
  type TestCert,
} from './proxy-hardening-fixtures.ts';

const fx = useProxyFixture();
let tmp: { dir: string; cleanup: () => Promise<void> };
let first: TestCert;

beforeEach(async () => {
  tmp = await makeTempDir();
  first = await installCert(tmp.dir, await makeCert(tmp.dir, 'first'));
});
afterEach(async () => {
  await tmp.cleanup();
});

function tlsEdge(cert: TestCert, extra: Partial<EdgeSettings> = {}): EdgeSettings {
  return { tls: { certFile: cert.certFile, keyFile: cert.keyFile }, ...extra };
}

async function tlsPlane(url: string, edge: EdgeSettings, opts: Parameters<typeof fx.plane>[0] = {}) {
  const p = fx.plane({ tlsWatchIntervalMs: 50, ...opts });
  await p.plane.apply({
    environments: [route('production', [pool('v1', 100, [backend('i1', 'v1', url)])], { edge })],
  });
  return p;
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('TLS termination', () => {
  it('proxies HTTPS with the configured certificate and tells the backend the scheme', async () => {
    const up = await fx.upstream('v1');
    const p = await tlsPlane(
      up.url,
      tlsEdge(first, { responseHeaders: { 'strict-transport-security': 'max-age=60' } }),
    );
    const res = await httpsSend(p.port('production'), { ca: first.cert, path: '/hello?x=1' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/hello?x=1');
    expect(body.headers['x-forwarded-proto']).toBe('https');
    expect(res.headers['strict-transport-security']).toBe('max-age=60');
    expect(p.sink.records().at(-1)).toMatchObject({ environment: 'production', version: 'v1', status: 200 });
  });

  it('picks up a renewed certificate without dropping open connections', async () => {
    const up = await fx.upstream('v1');
    const p = await tlsPlane(up.url, tlsEdge(first));
    const port = p.port('production');
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    fx.defer(async () => agent.destroy());
    const second = await makeCert(tmp.dir, 'second');
    const ca = [first.cert, second.cert];
    const before = await httpsSend(port, { ca, agent });
    expect(before.status).toBe(200);

    await installCert(tmp.dir, second);
    let fresh = before;
    await within(
      (async () => {
        while (fresh.fingerprint === before.fingerprint) {
          await new Promise((r) => setTimeout(r, 20));
          fresh = await httpsSend(port, { ca });
        }
      })(),
      20_000,
      'the renewed certificate on new connections',
    );
    expect(fresh.status).toBe(200);

    // The connection opened before the renewal is still open and still serves.
    const again = await httpsSend(port, { ca, agent });
    expect(again.status).toBe(200);
    expect(again.localPort).toBe(before.localPort);
    expect(again.fingerprint).toBe(before.fingerprint);
  });

  it('keeps serving the old certificate when the new pair does not match, and logs which file', async () => {
    const up = await fx.upstream('v1');
    const { logger, lines } = collectingLogger();
    const p = await tlsPlane(up.url, tlsEdge(first), { logger });
    const port = p.port('production');
    const other = await makeCert(tmp.dir, 'other');
    // A renewal that replaced only the key: it belongs to another certificate.
    await installCert(tmp.dir, { cert: first.cert, key: other.key });
    const failed = () => lines.find((l) => String(l.msg).includes('still serving the previous certificate'));
    await waitFor(() => failed() !== undefined, 'the rejected renewal to be logged');
    expect(String(failed()?.msg)).toContain(`the key in ${first.keyFile} does not belong to the certificate`);
    expect(failed()?.level).toBe(50);
    const res = await httpsSend(port, { ca: first.cert });
    expect(res.status).toBe(200);

    // Once the matching pair lands, it is used.
    await installCert(tmp.dir, other);
    let seen = '';
    await within(
      (async () => {
        for (;;) {
          seen = (await httpsSend(port, { ca: [first.cert, other.cert] })).fingerprint;
          if (seen !== res.fingerprint) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
      20_000,
      'the fixed renewal',
    );
    expect(seen).not.toBe(res.fingerprint);
  });

  it('refuses to open a listener whose certificate or key is missing, naming the file', async () => {
    const up = await fx.upstream('v1');
    const p = fx.plane();
    const missing = path.join(tmp.dir, 'nope.pem');
    const apply = p.plane.apply({
      environments: [
        route('production', [pool('v1', 100, [backend('i1', 'v1', up.url)])], {
          edge: { tls: { certFile: missing, keyFile: first.keyFile } },
        }),
      ],
    });
    await expect(apply).rejects.toBeInstanceOf(ApplyError);
    await expect(apply).rejects.toThrow(
      `environment production: the TLS certificate file ${missing} does not exist: check the path`,
    );
    expect((await p.plane.addresses()).has('production')).toBe(false);

    const badKey = p.plane.apply({
      environments: [
        route('production', [pool('v1', 100, [backend('i1', 'v1', up.url)])], {
          edge: { tls: { certFile: first.certFile, keyFile: first.certFile } },
        }),
      ],
    });
    await expect(badKey).rejects.toThrow(`${first.certFile} holds no usable PEM private key`);
  });

  it('redirects plain HTTP to HTTPS with a 308 keeping host, path and query', async () => {
    const up = await fx.upstream('v1');
    const redirectPort = await freePort();
    const p = await tlsPlane(
      up.url,
      tlsEdge(first, {
        tls: { certFile: first.certFile, keyFile: first.keyFile, redirectHttp: `127.0.0.1:${redirectPort}` },
      }),
    );
    const httpsPort = p.port('production');
    const res = await send(redirectPort, {
      method: 'POST',
      path: '/orders/42?expand=items&x=%20y',
      headers: { host: `shop.example.com:${redirectPort}` },
      body: 'ignored',
    });
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe(`https://shop.example.com:${httpsPort}/orders/42?expand=items&x=%20y`);
    const noPort = await send(redirectPort, { path: '/', headers: { host: 'localhost' } });
    expect(noPort.headers.location).toBe(`https://localhost:${httpsPort}/`);
    expect(up.requests).toBe(0);
    // Following it reaches the service.
    const followed = await httpsSend(httpsPort, { ca: first.cert, path: '/orders/42?expand=items' });
    expect(followed.status).toBe(200);
  });

  it('carries WebSockets over TLS', async () => {
    const up = await fx.upstream('ws-backend');
    const wss = new WebSocketServer({ server: up.server });
    fx.defer(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (ws, req) => {
      ws.on('message', (m) => ws.send(`echo ${m.toString()} via ${req.headers['x-forwarded-proto']}`));
    });
    const p = await tlsPlane(up.url, tlsEdge(first));
    const ws = new WebSocket(`wss://localhost:${p.port('production')}/socket`, { ca: first.cert });
    fx.defer(async () => ws.terminate());
    await within(
      new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)),
      20_000,
      'open',
    );
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
    ws.send('ping');
    expect(await within(reply, 20_000, 'the echo')).toBe('echo ping via https');
  });

  it('switches a listener between HTTP and HTTPS on the same port', async () => {
    const up = await fx.upstream('v1');
    const port = await freePort();
    const p = fx.plane();
    const apply = (edge?: EdgeSettings) =>
      p.plane.apply({
        environments: [
          route('production', [pool('v1', 100, [backend('i1', 'v1', up.url)])], {
            listen: `127.0.0.1:${port}`,
            ...(edge ? { edge } : {}),
          }),
        ],
      });
    await apply();
    expect((await send(port)).status).toBe(200);
    await apply(tlsEdge(first));
    expect((await httpsSend(port, { ca: first.cert })).status).toBe(200);
    await apply();
    expect((await send(port)).status).toBe(200);
  });
});
