// TLS listeners shared by routes: the certificate chosen by SNI (exact name, then wildcard, else the
// listener's default), PEM certificates given in the desired state, 421 when Host and SNI belong to
// different routes, and ACME HTTP-01 answers on plain and redirect listeners. Certificates are made
// by openssl for the names each test needs.
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentRoute } from '../src/proxy/types.ts';
import {
  backend,
  pool,
  refusedPort,
  route,
  send,
  type TestUpstream,
  useProxyFixture,
} from './helpers/proxy.ts';
import { makeTempDir, writeSelfSignedCert } from './proxy-hardening-fixtures.ts';

const fx = useProxyFixture();
let tmp: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

interface NamedCert {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** A self-signed P-256 certificate for `names` (DNS subject alternative names), kept as files. */
async function certFor(...names: string[]): Promise<NamedCert> {
  const { certFile, keyFile } = await writeSelfSignedCert(
    path.join(tmp.dir, `${names[0]?.replace('*', 'star')}-${process.hrtime.bigint()}`),
    names[0] ?? '',
    names.map((n) => `DNS:${n}`),
  );
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

interface SniResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The first DNS name of the certificate the server presented. */
  certName: string;
}

/** An HTTPS GET to 127.0.0.1:port asking for `servername` by SNI, with `host` as Host header. */
function httpsGet(port: number, servername: string, host = servername, urlPath = '/'): Promise<SniResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        servername,
        headers: { host },
        rejectUnauthorized: false,
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const certName = (peer.subjectaltname ?? '').split(', ')[0]?.replace('DNS:', '') ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            certName,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function tlsRoutes(specs: Array<Partial<EnvironmentRoute>>, acmeChallenges?: Record<string, string>) {
  const ups = await fx.upstreams(...specs.map((_, i) => `u${i}`));
  const port = await refusedPort();
  const p = fx.plane();
  const routes = specs.map((s, i) =>
    route(`e${i}`, [pool('v1', 100, [backend(`i${i}`, 'v1', (ups[i] as TestUpstream).url)])], {
      listen: `127.0.0.1:${port}`,
      ...s,
    }),
  );
  await p.plane.apply({ environments: routes, ...(acmeChallenges ? { acmeChallenges } : {}) });
  return { p, port, routes };
}

describe('SNI', () => {
  it("presents each route's certificate by SNI: exact name, then wildcard, else the default", async () => {
    const api = await certFor('api.example.com');
    const wild = await certFor('*.example.org');
    const { port } = await tlsRoutes([
      { hosts: ['api.example.com'], edge: { tls: { certFile: api.certFile, keyFile: api.keyFile } } },
      { hosts: ['*.example.org'], edge: { tls: { certFile: wild.certFile, keyFile: wild.keyFile } } },
    ]);
    const a = await httpsGet(port, 'api.example.com');
    expect([a.status, JSON.parse(a.body).name, a.certName]).toEqual([200, 'u0', 'api.example.com']);
    const w = await httpsGet(port, 'shop.example.org');
    expect([w.status, JSON.parse(w.body).name, w.certName]).toEqual([200, 'u1', '*.example.org']);
    // An unknown name gets the first route's certificate, then a 404 for the host.
    const other = await httpsGet(port, 'other.example.net');
    expect([other.status, other.certName]).toEqual([404, 'api.example.com']);
  });

  it('serves PEM certificates given for hosts before the files, and swaps them on the next apply', async () => {
    const files = await certFor('*.example.com');
    const first = await certFor('api.example.com');
    const renewed = await certFor('api.example.com', 'renewed.example.com');
    const tls = (pem: NamedCert) => ({
      certFile: files.certFile,
      keyFile: files.keyFile,
      certificates: [{ hosts: ['api.example.com'], cert: pem.cert, key: pem.key }],
    });
    const { p, port, routes } = await tlsRoutes([{ hosts: ['*.example.com'], edge: { tls: tls(first) } }]);
    expect((await httpsGet(port, 'api.example.com')).certName).toBe('api.example.com');
    expect((await httpsGet(port, 'www.example.com')).certName).toBe('*.example.com');
    await p.plane.apply({
      environments: [{ ...(routes[0] as EnvironmentRoute), edge: { tls: tls(renewed) } }],
    });
    const after = await httpsGet(port, 'api.example.com');
    expect([after.status, after.certName]).toEqual([200, 'api.example.com']);
    expect(p.port('e0')).toBe(port);
  });

  it('refuses a PEM certificate whose key does not belong to it, keeping the listener as it was', async () => {
    const good = await certFor('api.example.com');
    const other = await certFor('other.example.com');
    const certificates = (key: string) => [{ hosts: ['api.example.com'], cert: good.cert, key }];
    const { p, port, routes } = await tlsRoutes([
      { hosts: ['api.example.com'], edge: { tls: { certificates: certificates(good.key) } } },
    ]);
    const broken = {
      ...(routes[0] as EnvironmentRoute),
      edge: { tls: { certificates: certificates(other.key) } },
    };
    await expect(p.plane.apply({ environments: [broken] })).rejects.toThrow(
      'environment e0: the key given with the certificate for api.example.com does not belong to it',
    );
    expect((await httpsGet(port, 'api.example.com')).status).toBe(200);
  });

  it('serves a route added beside a certificate that fails to load with its own headers, and keeps the rest', async () => {
    const a = await certFor('a.example.com');
    const tlsA = { certFile: a.certFile, keyFile: a.keyFile };
    const { p, port, routes } = await tlsRoutes([{ hosts: ['a.example.com'], edge: { tls: tlsA } }]);
    const missing = path.join(tmp.dir, 'missing.pem');
    const added = route('e1', (routes[0] as EnvironmentRoute).pools, {
      listen: `127.0.0.1:${port}`,
      hosts: ['b.example.com'],
      edge: { tls: { certFile: missing, keyFile: missing }, responseHeaders: { 'x-route': 'b' } },
    });
    await expect(p.plane.apply({ environments: [routes[0] as EnvironmentRoute, added] })).rejects.toThrow(
      `the TLS certificate file ${missing} does not exist`,
    );
    expect((await httpsGet(port, 'a.example.com')).certName).toBe('a.example.com');
    const b = await httpsGet(port, 'b.example.com');
    expect([b.status, b.headers['x-route'], b.certName]).toEqual([200, 'b', 'a.example.com']);
  });

  it('answers 421 when the Host belongs to another route than the SNI name of the connection', async () => {
    const api = await certFor('api.example.com', 'web.example.com');
    const tls = { certFile: api.certFile, keyFile: api.keyFile };
    const { port, p } = await tlsRoutes([
      { hosts: ['api.example.com'], edge: { tls } },
      { hosts: ['web.example.com'], edge: { tls } },
    ]);
    const res = await httpsGet(port, 'api.example.com', 'web.example.com');
    expect(res.status).toBe(421);
    expect(JSON.parse(res.body).error.code).toBe('MISDIRECTED_REQUEST');
    expect(p.sink.records()).toMatchObject([{ environment: '', status: 421, error: 'misdirected_request' }]);
  });
});

describe('ACME HTTP-01 answers', () => {
  const challenges = { 'token-1': 'token-1.thumbprint' };

  it('are given on a plain listener before routing, whatever the host; other paths are routed', async () => {
    const { port, p } = await tlsRoutes([{ hosts: ['api.example.com'] }], challenges);
    const hit = await send(port, {
      path: '/.well-known/acme-challenge/token-1',
      headers: { host: 'x.example' },
    });
    expect([hit.status, hit.headers['content-type'], hit.body]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'token-1.thumbprint',
    ]);
    const miss = await send(port, {
      path: '/.well-known/acme-challenge/token-2',
      headers: { host: 'api.example.com' },
    });
    expect(miss.status).toBe(404);
    const routed = await send(port, { path: '/hello', headers: { host: 'api.example.com' } });
    expect(JSON.parse(routed.body)).toMatchObject({ name: 'u0', url: '/hello' });
    expect(p.sink.records().map((r) => r.status)).toEqual([200]);
  });

  it('are given on the HTTP→HTTPS redirect listener, which redirects everything else', async () => {
    const cert = await certFor('api.example.com');
    const redirect = await refusedPort();
    const tls = { certFile: cert.certFile, keyFile: cert.keyFile, redirectHttp: `127.0.0.1:${redirect}` };
    const { port } = await tlsRoutes([{ hosts: ['api.example.com'], edge: { tls } }], challenges);
    const hit = await send(redirect, {
      path: '/.well-known/acme-challenge/token-1',
      headers: { host: 'api.example.com' },
    });
    expect([hit.status, hit.body]).toEqual([200, 'token-1.thumbprint']);
    const miss = await send(redirect, {
      path: '/.well-known/acme-challenge/nope',
      headers: { host: 'api.example.com' },
    });
    expect(miss.status).toBe(404);
    const other = await send(redirect, { path: '/a?b=1', headers: { host: 'api.example.com' } });
    expect([other.status, other.headers.location]).toEqual([308, `https://api.example.com:${port}/a?b=1`]);
  });

  it('are not given when the desired state has none: the path is routed as before', async () => {
    const { port } = await tlsRoutes([{}]);
    const res = await send(port, { path: '/.well-known/acme-challenge/token-1' });
    expect(JSON.parse(res.body)).toMatchObject({ name: 'u0', url: '/.well-known/acme-challenge/token-1' });
  });
});
