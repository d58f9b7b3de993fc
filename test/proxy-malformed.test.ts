// Malformed requests (issue 10, item 1): two Host headers once made a 502 that left one of the
// backend's upstream connections busy for good; after 128 of them the environment hung, and the
// 502s counted as the version's errors. The proxy now refuses them itself, before the upstream
// pool, and serves normally after thousands of them.
import { describe, expect, it } from 'vitest';
import { BackendRegistry } from '../src/proxy/backend-registry.ts';
import { DEFAULT_UPSTREAM_OPTIONS } from '../src/proxy/data-plane.ts';
import { send, useProxyFixture, waitFor, within } from './helpers/proxy.ts';
import { firstBody, inBatches, rawExchange } from './helpers/raw-http.ts';

const fx = useProxyFixture();

const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\n';

/** Requests Node's parser lets through but that cannot be forwarded as they are. */
const MALFORMED: Array<{ name: string; bytes: string; status: number; message: RegExp }> = [
  {
    name: 'two Host headers',
    bytes: 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    status: 400,
    message: /more than one Host header/,
  },
  {
    name: 'two Host headers spelt differently',
    bytes: 'GET /x HTTP/1.1\r\nHost: a\r\nhOST: a\r\n\r\n',
    status: 400,
    message: /more than one Host header/,
  },
  {
    name: 'the request target *',
    bytes: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
    status: 400,
    message: /neither a path/,
  },
  {
    name: 'a body whose transfer codings do not end in chunked',
    bytes: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
    status: 400,
    message: /chunked is not its last transfer coding/,
  },
  {
    name: 'a transfer coding other than chunked',
    bytes: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    status: 501,
    message: /does not implement/,
  },
  {
    name: 'an Upgrade request with two Host headers',
    bytes: `GET /socket HTTP/1.1\r\nHost: a\r\nHost: b\r\n${UPGRADE}\r\n`,
    status: 400,
    message: /more than one Host header/,
  },
  {
    name: 'an Upgrade request with a body',
    bytes: `GET /socket HTTP/1.1\r\nHost: a\r\n${UPGRADE}Content-Length: 3\r\n\r\nabc`,
    status: 400,
    message: /cannot carry a body/,
  },
];

describe('malformed requests', () => {
  for (const c of MALFORMED) {
    it(`answers ${c.status} to ${c.name}, without the backend and without blaming a version`, async () => {
      const up = await fx.upstream('app');
      const p = await fx.planeTo(up.url);
      const res = await rawExchange(p.port('staging'), c.bytes);
      expect(res.statuses).toEqual([c.status]);
      expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
      expect(res.text).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
      const error = JSON.parse(firstBody(res.text)).error;
      expect(error.code).toBe(c.status === 400 ? 'BAD_REQUEST' : 'NOT_IMPLEMENTED');
      expect(error.message).toMatch(c.message);
      expect(error.hint).toBeTruthy();
      expect(up.requests).toBe(0);
      expect(p.sink.records()).toMatchObject([
        { status: c.status, version: '', instance: '', error: 'malformed_request' },
      ]);
    });
  }

  it('serves normally after 10,000 malformed requests (the upstream pool keeps all its connections)', async () => {
    const up = await fx.upstream('app');
    // The default pool: 128 connections, which 128 refused dispatches used to exhaust.
    const p = await fx.planeTo(up.url);
    const port = p.port('staging');
    const count = 10_000;
    const started = Date.now();
    const statuses = new Map<number, number>();
    await inBatches(count, 16, async (i) => {
      const c = MALFORMED[i % MALFORMED.length] as (typeof MALFORMED)[number];
      const res = await rawExchange(port, c.bytes, 5_000);
      for (const s of res.statuses) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    });
    expect(statuses.get(502)).toBeUndefined();
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(count);
    const refusedMs = Date.now() - started;
    for (let i = 0; i < 20; i++) {
      expect((await send(port, { timeoutMs: 5_000 })).status).toBe(200);
    }
    expect(up.requests).toBe(20);
    console.log(
      `after ${count} malformed requests (${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')} in ${refusedMs} ms): 20 of 20 normal requests served 200`,
    );
    expect((await p.plane.inFlight()).size).toBe(0);
    const records = p.sink.records();
    expect(records.filter((r) => r.version === 'v1').every((r) => r.status === 200)).toBe(true);
    expect(records.filter((r) => r.error === 'malformed_request')).toHaveLength(count);
  });

  it('keeps serving well-formed requests on the same keep-alive connection as before', async () => {
    const up = await fx.upstream('app');
    const p = await fx.planeTo(up.url);
    const agent = fx.keepAliveAgent(1);
    const first = await send(p.port('staging'), { agent });
    const second = await send(p.port('staging'), { agent, headers: { 'x-note': 'caf\u00e9 \t ok' } });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.localPort).toBe(first.localPort);
  });
});

describe('a request the upstream client refuses all the same', () => {
  it('costs no connection of the pool once the pool is replaced', async () => {
    const up = await fx.upstream('app');
    const registry = new BackendRegistry({ ...DEFAULT_UPSTREAM_OPTIONS, connections: 2 });
    fx.defer(() => registry.close(true));
    const [state] = registry.sync([{ id: 'i1', version: 'v1', url: up.url }]).values();
    if (!state) throw new Error('no backend state');
    const dispatch = (headers: string[]) =>
      new Promise<number | string>((resolve) => {
        registry.upstreamOf(state).dispatch(
          { path: '/', method: 'GET', headers },
          {
            onRequestStart() {},
            onResponseStart(_c, status) {
              resolve(status);
            },
            onResponseData() {},
            onResponseEnd() {},
            onResponseError(_c, err) {
              const code = (err as { code?: string }).code ?? err.name;
              // What the proxy does on this error (http-forwarder.ts #refuseUnsendable).
              if (code === 'UND_ERR_INVALID_ARG') registry.replaceUpstream(state);
              resolve(code);
            },
          },
        );
      });
    // Each refused dispatch leaves a connection of undici's pool marked busy: two would wedge it.
    for (let i = 0; i < 10; i++) {
      const refused = await within(dispatch(['host', 'a', 'host', 'b']), 5_000, `refused request ${i + 1}`);
      expect(refused).toBe('UND_ERR_INVALID_ARG');
    }
    expect(await within(dispatch(['host', 'a']), 5_000, 'a valid request after 10 refused ones')).toBe(200);
    await waitFor(() => up.requests === 1, 'the backend to count the request');
  });
});
