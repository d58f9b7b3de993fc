// Data plane basics: routing, header rewriting, keep-alive, 503 without a backend, request records.
import { describe, expect, it } from 'vitest';
import { pool, route, send, useProxyFixture, waitFor } from './helpers/proxy.ts';

const fx = useProxyFixture();

async function setUp() {
  const up = await fx.upstream('a');
  return { up, p: await fx.planeTo(up.url) };
}

describe('data plane routing', () => {
  it('forwards to the backend with Host kept and X-Forwarded-* and X-Request-Id set', async () => {
    const { p } = await setUp();
    const port = p.port('staging');
    const res = await send(port, {
      path: '/hello?x=1',
      headers: { host: 'shop.example.com', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen.name).toBe('a');
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.headers.host).toBe('shop.example.com');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe('shop.example.com');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(seen.headers['x-request-id']);
  });

  it('keeps a client X-Request-Id and returns it', async () => {
    const { p } = await setUp();
    const res = await send(p.port('staging'), { headers: { 'x-request-id': 'req-42' } });
    expect(JSON.parse(res.body).headers['x-request-id']).toBe('req-42');
    expect(res.headers['x-request-id']).toBe('req-42');
  });

  it('removes hop-by-hop headers in both directions', async () => {
    const up = await fx.upstream('hop', (_req, res) => {
      res.setHeader('connection', 'x-upstream-hop');
      res.setHeader('x-upstream-hop', 'secret');
      res.setHeader('x-kept', 'yes');
      res.end(JSON.stringify(_req.headers));
    });
    const p = await fx.planeTo(up.url);
    const res = await send(p.port('staging'), {
      headers: {
        connection: 'keep-alive, x-client-hop',
        'x-client-hop': '1',
        'proxy-authorization': 'Basic x',
        te: 'gzip',
      },
    });
    const seen = JSON.parse(res.body);
    expect(seen['x-client-hop']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('yes');
  });

  it('reuses keep-alive connections to the client and to the backend', async () => {
    const { up, p } = await setUp();
    const agent = fx.keepAliveAgent(1);
    const ports = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await send(p.port('staging'), { agent });
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe('keep-alive');
      ports.add(res.localPort);
    }
    expect(ports.size).toBe(1);
    expect(up.requests).toBe(20);
    expect(up.connections).toBe(1);
  });

  it('answers 503 with Retry-After and a JSON hint when the environment has no backend', async () => {
    const p = fx.plane({ retryAfterSeconds: 3 });
    await p.plane.apply({ environments: [route('production', [pool('v1', 100, [])])] });
    const res = await send(p.port('production'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('NO_READY_INSTANCE');
    expect(body.error.message).toContain('production');
    expect(body.error.hint).toContain('gantry status --env production');
    expect(p.sink.records()).toMatchObject([
      { environment: 'production', version: '', instance: '', status: 503, error: 'no_backend' },
    ]);
  });

  it('hands one record per request to the sink with version, instance, status and latency', async () => {
    const { p } = await setUp();
    const before = Date.now();
    await send(p.port('staging'), { path: '/a' });
    await send(p.port('staging'), { method: 'POST', path: '/b', body: 'x' });
    await waitFor(() => p.sink.records().length === 2, 'two records');
    const [r1, r2] = p.sink.records();
    expect(r1).toMatchObject({
      environment: 'staging',
      version: 'v1',
      instance: 'i1',
      method: 'GET',
      status: 200,
    });
    expect(r2).toMatchObject({ method: 'POST', status: 200 });
    expect(r1?.error).toBeUndefined();
    expect(r1?.latencyMs).toBeGreaterThan(0);
    expect(r1?.at).toBeGreaterThanOrEqual(before);
    expect(p.sink.counts()).toEqual([
      { environment: 'staging', version: 'v1', statusClass: '2xx', count: 2 },
    ]);
    expect((await p.plane.inFlight()).size).toBe(0);
  });

  it('passes the backend status and body through unchanged', async () => {
    const up = await fx.upstream('teapot', (_req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
      res.end('short and stout');
    });
    const p = await fx.planeTo(up.url);
    const res = await send(p.port('staging'));
    expect(res.status).toBe(418);
    expect(res.body).toBe('short and stout');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    await waitFor(() => p.sink.records().length === 1, 'a record');
    expect(p.sink.counts()[0]?.statusClass).toBe('4xx');
  });
});
