// Routes of several services in one data plane: keyed by service/environment, records naming the
// service, and listeners shared by host name (Host header, SNI, ACME HTTP-01 answers).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.ts';
import { buildHostTable, hostOfHeader, lookupHost } from '../src/proxy/host-table.ts';
import { withEdgeConfig } from '../src/proxy/index.ts';
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
import { firstBody, rawExchange } from './helpers/raw-http.ts';

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
    expect([...(await p.plane.addresses()).keys()].sort()).toEqual(['api/production', 'web/production']);
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

describe('host table', () => {
  const table = buildHostTable([
    { hosts: ['api.example.com', '*.example.com'], value: 'a' },
    { hosts: ['*.eu.example.com', 'EU.example.com.'], value: 'b' },
  ]);
  it.each([
    ['api.example.com', 'a'],
    ['eu.example.com', 'b'],
    ['x.eu.example.com', 'b'],
    ['x.y.eu.example.com', 'b'],
    ['x.example.com', 'a'],
    ['example.com', undefined],
    ['com', undefined],
    ['api.example.org', undefined],
  ])('%s → %s', (host, owner) => {
    expect(lookupHost(table, host)).toBe(owner);
  });

  it.each([
    ['Example.COM:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['', undefined],
    [undefined, undefined],
  ])('Host %s is %s', (header, host) => {
    expect(hostOfHeader(header)).toBe(host);
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
    expect(new Set([...(await p.plane.addresses()).values()].map((a) => a.port))).toEqual(new Set([port]));
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

  it('refuses an Upgrade for an unknown host with the same 404, then closes', async () => {
    const { port, p } = await sharedListener([
      { hosts: ['api.example.com'] },
      { hosts: ['web.example.com'] },
    ]);
    const head =
      'GET /ws HTTP/1.1\r\nHost: other.example.net\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
    const answer = await rawExchange(port, head);
    expect(answer.statuses).toEqual([404]);
    expect(JSON.parse(firstBody(answer.text)).error.code).toBe('UNKNOWN_HOST');
    expect(p.sink.records()).toMatchObject([{ environment: '', status: 404, error: 'unknown_host' }]);
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
    expect((await p.plane.addresses()).size).toBe(0);
  });
});

describe('hosts from gantry.yaml', () => {
  it('reach the data plane with every apply, so a reload moves a host', async () => {
    const [stagingUp, productionUp] = (await fx.upstreams('staging', 'production')) as [
      TestUpstream,
      TestUpstream,
    ];
    const port = await refusedPort();
    const yaml = (productionHosts: string) => `service: shop
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:${port}, hosts: [staging.example.com] }
  production: { listen: 127.0.0.1:${port}, hosts: [${productionHosts}] }
`;
    let loaded = parseConfig(yaml('shop.example.com'), 'gantry.yaml');
    const p = fx.plane();
    const plane = withEdgeConfig(p.plane, () => loaded);
    const desired = {
      environments: [
        route('staging', [pool('v1', 100, [backend('s1', 'v1', stagingUp.url)])], {
          listen: `127.0.0.1:${port}`,
        }),
        route('production', [pool('v1', 100, [backend('p1', 'v1', productionUp.url)])], {
          listen: `127.0.0.1:${port}`,
        }),
      ],
    };
    await plane.apply(desired);
    const nameOf = async (host: string) => {
      const res = await send(port, { headers: { host } });
      return res.status === 200 ? JSON.parse(res.body).name : res.status;
    };
    expect([await nameOf('staging.example.com'), await nameOf('shop.example.com')]).toEqual([
      'staging',
      'production',
    ]);
    loaded = parseConfig(yaml('"*.example.com"'), 'gantry.yaml');
    await plane.apply(desired);
    expect([await nameOf('staging.example.com'), await nameOf('shop.example.com')]).toEqual([
      'staging',
      'production',
    ]);
    expect(await nameOf('www.example.com')).toBe('production');
  });
});
