// Upstream failures and draining: retries of connection failures, 502/504, resets, client aborts.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { DataPlaneOptions } from '../src/proxy/data-plane.ts';
import {
  backend,
  pool,
  refusedPort,
  route,
  send,
  useProxyFixture,
  waitFor,
  within,
} from './helpers/proxy.ts';

const { upstream, plane } = useProxyFixture();

/** A data plane whose staging environment has one backend, `instance` of v1, on an upstream that
 * holds each request until release() is called. */
async function slowBackend(instance: string, opts: Partial<DataPlaneOptions> = {}) {
  const held: Array<() => void> = [];
  const up = await upstream('slow', (_req, res) => {
    held.push(() => res.end('done'));
  });
  const p = plane(opts);
  await p.plane.apply({
    environments: [route('staging', [pool('v1', 100, [backend(instance, 'v1', up.url)])])],
  });
  const release = () => {
    for (const f of held.splice(0)) f();
  };
  return { p, held, release };
}

/** A GET to a slowBackend of instance `old`, once it is held there. */
async function heldRequest() {
  const slow = await slowBackend('old');
  const pending = send(slow.p.port('staging'));
  await waitFor(() => slow.held.length === 1, 'the request to reach the backend');
  return { ...slow, pending };
}

describe('retries', () => {
  it('retries a GET on another backend when the first refuses connections', async () => {
    const good = await upstream('good');
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const p = plane();
    await p.plane.apply({
      environments: [
        route('staging', [pool('v1', 100, [backend('dead', 'v1', dead), backend('good', 'v1', good.url)])]),
      ],
    });
    for (let i = 0; i < 6; i++) {
      const res = await send(p.port('staging'));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).name).toBe('good');
    }
    expect(p.sink.records().every((r) => r.instance === 'good' && r.status === 200)).toBe(true);
    expect((await p.plane.inFlight()).size).toBe(0);
  });

  it('answers 502 once every backend refused, with one record', async () => {
    const dead = await Promise.all([refusedPort(), refusedPort()]);
    const p = plane();
    await p.plane.apply({
      environments: [
        route('staging', [
          pool(
            'v1',
            100,
            dead.map((port, i) => backend(`d${i}`, 'v1', `http://127.0.0.1:${port}`)),
          ),
        ]),
      ],
    });
    const res = await send(p.port('staging'));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error.code).toBe('BAD_GATEWAY');
    expect(p.sink.records()).toMatchObject([{ status: 502, error: 'upstream_connect' }]);
    expect((await p.plane.inFlight()).size).toBe(0);
  });

  it('does not retry a POST: 502 BAD_GATEWAY without internal addresses', async () => {
    const good = await upstream('good');
    const deadPort = await refusedPort();
    const p = plane();
    await p.plane.apply({
      environments: [
        route('staging', [pool('v1', 100, [backend('dead', 'v1', `http://127.0.0.1:${deadPort}`)])]),
      ],
    });
    const res = await send(p.port('staging'), { method: 'POST', body: '{"order":1}' });
    expect(res.status).toBe(502);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('BAD_GATEWAY');
    expect(res.body).not.toContain('127.0.0.1');
    expect(res.body).not.toContain(String(deadPort));
    expect(good.requests).toBe(0);
    expect(p.sink.records()).toMatchObject([{ status: 502, instance: 'dead', error: 'upstream_connect' }]);
  });

  it('does not retry when the backend resets mid-response: the client sees the error', async () => {
    const second = await upstream('second');
    const breaking = await upstream('breaking', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const p = plane();
    await p.plane.apply({
      environments: [
        route('staging', [
          pool('v1', 100, [backend('b', 'v1', breaking.url), backend('s', 'v1', second.url)]),
        ]),
      ],
    });
    const outcome = await within(
      new Promise<string>((resolve) => {
        const req = request(
          { host: '127.0.0.1', port: p.port('staging'), path: '/', agent: false },
          (res) => {
            res.on('data', () => {});
            res.on('end', () => resolve('complete'));
            res.on('aborted', () => resolve('aborted'));
            res.on('error', () => resolve('aborted'));
          },
        );
        req.on('error', () => resolve('aborted'));
        req.end();
      }),
      20_000,
      'truncated response',
    );
    expect(outcome).toBe('aborted');
    expect(breaking.requests + second.requests).toBe(1);
    await waitFor(() => p.sink.records().length === 1, 'a record');
    expect(p.sink.records()[0]).toMatchObject({ status: 200, error: 'upstream_reset' });
    expect((await p.plane.inFlight()).size).toBe(0);
  });

  it('answers 504 GATEWAY_TIMEOUT when the backend does not answer in time', async () => {
    const { p, release } = await slowBackend('s', { upstream: { headersTimeoutMs: 300 } });
    const res = await send(p.port('staging'));
    release();
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body).error.code).toBe('GATEWAY_TIMEOUT');
    expect(p.sink.records()).toMatchObject([{ status: 504, error: 'upstream_timeout' }]);
  });
});

describe('drain and in-flight counting', () => {
  it('waits for a slow in-flight request and returns 0', async () => {
    const { p, pending, release } = await heldRequest();
    expect((await p.plane.inFlight()).get('old')).toBe(1);
    await p.plane.apply({ environments: [route('staging', [pool('v2', 100, [])])] });
    let drained: number | undefined;
    const draining = p.plane.drain(['old'], 20_000).then((n) => {
      drained = n;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBeUndefined();
    release();
    await within(draining, 20_000, 'drain');
    expect(drained).toBe(0);
    expect((await pending).status).toBe(200);
    expect((await p.plane.inFlight()).size).toBe(0);
  });

  it('gives up after the timeout and returns how many are still in flight', async () => {
    const { p, pending, release } = await heldRequest();
    expect(await p.plane.drain(['old'], 100)).toBe(1);
    release();
    await pending;
    expect(await p.plane.drain(['old'], 100)).toBe(0);
  });

  it('counts a request the client abandons exactly once, as client_abort', async () => {
    const { p, held, release } = await slowBackend('s');
    const req = request({ host: '127.0.0.1', port: p.port('staging'), path: '/', agent: false });
    req.on('error', () => {});
    req.end();
    await waitFor(() => held.length === 1, 'the request to reach the backend');
    expect((await p.plane.inFlight()).get('s')).toBe(1);
    req.destroy();
    await waitFor(async () => (await p.plane.inFlight()).size === 0, 'in-flight count to drop');
    release();
    await waitFor(() => p.sink.records().length === 1, 'a record');
    await new Promise((r) => setTimeout(r, 50));
    expect(p.sink.records()).toMatchObject([{ status: 499, error: 'client_abort', instance: 's' }]);
  });
});
