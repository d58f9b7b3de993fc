// Routes of several services in one data plane: keyed by service/environment, records naming the
// service, and listeners shared by host name (Host header, SNI, ACME HTTP-01 answers).
import { describe, expect, it } from 'vitest';
import { routeKey } from '../src/proxy/route-key.ts';
import { backend, pool, route, send, useProxyFixture } from './helpers/proxy.ts';

const fx = useProxyFixture();

describe('route keys', () => {
  it('name a route service/environment, or by its environment alone without a service', () => {
    expect(routeKey('api', 'production')).toBe('api/production');
    expect(routeKey(undefined, 'production')).toBe('production');
  });

  it('let two services each have a production environment, and records name the service', async () => {
    const [api, web] = await fx.upstreams('api', 'web');
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
