// Traffic split: pools by weight, sticky assignment, round robin in a pool, atomic pool swaps.
import { describe, expect, it } from 'vitest';
import { backend, pool, route, send, type TestUpstream, useProxyFixture } from './helpers/proxy.ts';

const { upstreams, plane, keepAliveAgent } = useProxyFixture();

/** Sends `total` requests, `concurrency` at a time, and counts answers per upstream name. */
async function spread(
  port: number,
  total: number,
  concurrency: number,
  headers: () => Record<string, string> = () => ({}),
): Promise<Map<string, number>> {
  const agent = keepAliveAgent(concurrency);
  const counts = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      const res = await send(port, { agent, headers: headers() });
      const name = res.status === 200 ? JSON.parse(res.body).name : `status ${res.status}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

describe('traffic split', () => {
  it('splits by pool weight (10 % canary over 2,000 requests, ±3 %)', async () => {
    const [stable, canary] = await upstreams('stable', 'canary');
    const p = plane();
    await p.plane.apply({
      environments: [
        route('production', [
          pool('v1', 90, [backend('s1', 'v1', (stable as TestUpstream).url)]),
          pool('v2', 10, [backend('c1', 'v2', (canary as TestUpstream).url)]),
        ]),
      ],
    });
    const counts = await spread(p.port('production'), 2000, 16);
    expect((counts.get('stable') ?? 0) + (counts.get('canary') ?? 0)).toBe(2000);
    const share = (counts.get('canary') ?? 0) / 2000;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
  });

  it('keeps one client on one pool with a sticky cookie, and splits clients by weight', async () => {
    const [stable, canary] = await upstreams('stable', 'canary');
    const p = plane();
    const pools = [
      pool('v1', 75, [backend('s1', 'v1', (stable as TestUpstream).url)]),
      pool('v2', 25, [backend('c1', 'v2', (canary as TestUpstream).url)]),
    ];
    await p.plane.apply({ environments: [route('production', pools, { sticky: { cookie: 'uid' } })] });
    const port = p.port('production');
    const agent = keepAliveAgent(4);
    let canaryClients = 0;
    for (let client = 0; client < 400; client++) {
      const cookie = `theme=dark; uid=user-${client}`;
      const names = new Set<string>();
      for (let i = 0; i < 3; i++) {
        names.add(JSON.parse((await send(port, { agent, headers: { cookie } })).body).name);
      }
      expect(names.size).toBe(1);
      if (names.has('canary')) canaryClients++;
    }
    expect(canaryClients / 400).toBeGreaterThan(0.17);
    expect(canaryClients / 400).toBeLessThan(0.33);
  });

  it('keeps sticky clients of the canary on it when its weight grows', async () => {
    const [stable, canary] = await upstreams('stable', 'canary');
    const p = plane();
    const at = (w: number) =>
      route(
        'production',
        [
          pool('v1', 100 - w, [backend('s1', 'v1', (stable as TestUpstream).url)]),
          pool('v2', w, [backend('c1', 'v2', (canary as TestUpstream).url)]),
        ],
        { sticky: { header: 'X-User' } },
      );
    await p.plane.apply({ environments: [at(10)] });
    const port = p.port('production');
    const onCanary = async () => {
      const ids: string[] = [];
      for (let u = 0; u < 200; u++) {
        const res = await send(port, { headers: { 'x-user': `u${u}` } });
        if (JSON.parse(res.body).name === 'canary') ids.push(`u${u}`);
      }
      return ids;
    };
    const first = await onCanary();
    await p.plane.apply({ environments: [at(50)] });
    const later = await onCanary();
    expect(first.length).toBeGreaterThan(0);
    for (const id of first) expect(later).toContain(id);
  });

  it('alternates between the backends of a pool', async () => {
    const [a, b] = await upstreams('a', 'b');
    const p = plane();
    await p.plane.apply({
      environments: [
        route('staging', [
          pool('v1', 100, [
            backend('a', 'v1', (a as TestUpstream).url),
            backend('b', 'v1', (b as TestUpstream).url),
          ]),
        ]),
      ],
    });
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push(JSON.parse((await send(p.port('staging'))).body).name);
    expect(names.filter((n) => n === 'a').length).toBe(3);
    expect(names.filter((n) => n === 'b').length).toBe(3);
  });

  it('swaps pools atomically under load: no failure, and every request sent after the swap reaches the new pool', async () => {
    const [old, fresh] = await upstreams('old', 'new');
    const p = plane();
    const on = (u: TestUpstream, v: string) => ({
      environments: [route('production', [pool(v, 100, [backend(`${u.name}-1`, v, u.url)])])],
    });
    await p.plane.apply(on(old as TestUpstream, 'v1'));
    const port = p.port('production');
    const agent = keepAliveAgent(32);
    let sent = 0;
    let swappedAt = Number.POSITIVE_INFINITY;
    const failures: string[] = [];
    const lateOld: number[] = [];
    const worker = async () => {
      while (sent < 4000) {
        const n = ++sent;
        if (n === 1500) {
          await p.plane.apply(on(fresh as TestUpstream, 'v2'));
          swappedAt = sent;
        }
        const startedAfterSwap = n > swappedAt;
        try {
          const res = await send(port, { agent });
          if (res.status !== 200) failures.push(`status ${res.status}`);
          else if (startedAfterSwap && JSON.parse(res.body).name !== 'new') lateOld.push(n);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    expect(failures).toEqual([]);
    expect(lateOld).toEqual([]);
    expect((fresh as TestUpstream).requests).toBeGreaterThan(2000);
    expect(p.sink.records().length).toBe(4000);
    expect((await p.plane.inFlight()).size).toBe(0);
  });
});
