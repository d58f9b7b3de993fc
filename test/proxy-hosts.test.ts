// Routes of several services in one data plane: keyed by service/environment, records naming the
// service, and listeners shared by host name (Host header, SNI, ACME HTTP-01 answers).
import { describe, expect, it } from 'vitest';
import { routeKey } from '../src/proxy/route-key.ts';
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

const fx = useProxyFixture();

describe('route keys', () => {
  it('name a route service/environment, or by its environment alone without a service', () => {
    expect(routeKey('api', 'production')).toBe('api/production');
    expect(routeKey(undefined, 'production')).toBe('production');
  });

  it('let two services each have a production environment, and records name the service', async () => {
    const [api, web] = (await fx.upstreams('api', 'web')) as [TestUpstream, TestUpstream];
    const p = fx.plane();
    await p.plane.apply({
      environments: [
        route('production', [pool('v1', 100, [backend('a1', 'v1', api.url)])], { service: 'api' }),
        route('production', [pool('v7', 100, [backend('w1', 'v7', web.url)])], { service: 'web' }),
      ],
    });
    expect([...p.plane.addresses().keys()].sort()).toEqual(['api/production', 'web/production']);
    expect(JSON.parse((await send(p.port('web/production'))).body).name).toBe('web');
    expect(JSON.parse((await send(p.port('api/production'))).body).name).toBe('api');
    const records = p.sink.records().map((r) => [r.service, r.environment, r.version]);
    expect(records).toEqual([
      ['web', 'production', 'v7'],
      ['api', 'production', 'v1'],
    ]);
  });

  it('keeps records of a route without a service free of a service field', async () => {
    const up = await fx.upstream('a');
    const p = await fx.planeTo(up.url);
    await send(p.port('staging'));
    expect(p.sink.records()[0]).not.toHaveProperty('service');
  });
});

async function sharedListener(extra: Array<Partial<EnvironmentRoute>>) {
  const ups = await fx.upstreams(...extra.map((_, i) => `u${i}`));
  const port = await refusedPort();
  const p = fx.plane();
  const routes = extra.map((e, i) =>
    route(`e${i}`, [pool('v1', 100, [backend(`i${i}`, 'v1', (ups[i] as TestUpstream).url)])], {
      listen: `127.0.0.1:${port}`,
      ...e,
    }),
  );
  await p.plane.apply({ environments: routes });
  const nameOf = async (host: string) => {
    const res = await send(port, { headers: { host } });
    return res.status === 200 ? JSON.parse(res.body).name : res.status;
  };
  return { p, port, routes, nameOf };
}

describe('host routing', () => {
  it('chooses an exact name first, then the longest matching wildcard, by the Host header', async () => {
    const { nameOf, p, port } = await sharedListener([
      { hosts: ['api.example.com'] },
      { hosts: ['*.example.com'] },
      { hosts: ['*.eu.example.com', 'Admin.Example.org'] },
    ]);
    expect(await nameOf('api.example.com')).toBe('u0');
    expect(await nameOf('API.example.com:8080')).toBe('u0');
    expect(await nameOf('www.example.com')).toBe('u1');
    expect(await nameOf('a.b.example.com')).toBe('u1');
    expect(await nameOf('shop.eu.example.com')).toBe('u2');
    expect(await nameOf('admin.example.org.')).toBe('u2');
    // A wildcard covers names below it, not the name itself.
    expect(await nameOf('example.com')).toBe(404);
    expect(new Set([...p.plane.addresses().values()].map((a) => a.port))).toEqual(new Set([port]));
  });

  it('answers an unknown host with 404 naming it, recorded as an edge refusal of no environment', async () => {
    const { port, p } = await sharedListener([
      { hosts: ['api.example.com'] },
      { hosts: ['web.example.com'] },
    ]);
    const res = await send(port, { headers: { host: 'other.example.net' } });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error).toMatchObject({
      code: 'UNKNOWN_HOST',
      message: 'no environment serves the host other.example.net on this address',
    });
    expect(p.sink.records()).toMatchObject([
      { environment: '', version: '', instance: '', status: 404, error: 'unknown_host' },
    ]);
  });

  it('routes a single route that names hosts by host too', async () => {
    const { nameOf } = await sharedListener([{ hosts: ['api.example.com'] }]);
    expect(await nameOf('api.example.com')).toBe('u0');
    expect(await nameOf('127.0.0.1')).toBe(404);
  });

  it("keeps each route's own limits and headers on a shared listener", async () => {
    const { port } = await sharedListener([
      { hosts: ['small.example.com'], edge: { maxBodyBytes: 10, responseHeaders: { 'x-route': 'small' } } },
      { hosts: ['big.example.com'], edge: { responseHeaders: { 'x-route': 'big' } } },
    ]);
    const body = 'x'.repeat(100);
    const small = await send(port, { method: 'POST', body, headers: { host: 'small.example.com' } });
    const big = await send(port, { method: 'POST', body, headers: { host: 'big.example.com' } });
    expect([small.status, small.headers['x-route']]).toEqual([413, 'small']);
    expect([big.status, big.headers['x-route']]).toEqual([200, 'big']);
  });

  it('moves a host from one route to another with the next apply, on the same socket', async () => {
    const { p, port, routes, nameOf } = await sharedListener([
      { hosts: ['a.example.com'] },
      { hosts: ['b.example.com'] },
    ]);
    const [first, second] = routes as [EnvironmentRoute, EnvironmentRoute];
    await p.plane.apply({
      environments: [
        { ...first, hosts: ['b.example.com'] },
        { ...second, hosts: ['a.example.com'] },
      ],
    });
    expect(p.port('e0')).toBe(port);
    expect(await nameOf('a.example.com')).toBe('u1');
    expect(await nameOf('b.example.com')).toBe('u0');
  });

  it('refuses routes sharing an address without hosts, or naming one host twice', async () => {
    const port = await refusedPort();
    const p = fx.plane();
    const at = (env: string, hosts?: string[]) =>
      route(env, [], { listen: `127.0.0.1:${port}`, ...(hosts ? { hosts } : {}) });
    await expect(p.plane.apply({ environments: [at('a', ['a.example.com']), at('b')] })).rejects.toThrow(
      `environments a and b both listen on 127.0.0.1:${port}: give each its own port, or name each one's hosts (b names none)`,
    );
    await expect(
      p.plane.apply({ environments: [at('a', ['x.example.com']), at('b', ['X.example.com'])] }),
    ).rejects.toThrow(`environments a and b both serve the host x.example.com on 127.0.0.1:${port}`);
    await expect(p.plane.apply({ environments: [at('a', ['a.*.example.com'])] })).rejects.toThrow(
      'a wildcard may only be a whole first label',
    );
    expect(p.plane.addresses().size).toBe(0);
  });
});
