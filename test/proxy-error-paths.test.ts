// Every way a proxied request can fail gives its upstream connection back (issue 10, item 1: one
// failure that did not once wedged an environment after 128 requests). The backend's pool is cut
// to 2 connections, so a single failure path that keeps one would stall the normal requests sent
// after hundreds of failing ones.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { backend, pool, route, send, useProxyFixture, waitFor } from './helpers/proxy.ts';
import { rawExchange } from './helpers/raw-http.ts';

const fx = useProxyFixture();

const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\n';

/** Writes `bytes`, then cuts the connection after `ms` (or at once when the first bytes come back). */
function abandon(port: number, bytes: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const cut = () => socket.destroy();
    const timer = setTimeout(cut, ms);
    socket.on('data', cut);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('failing requests', () => {
  it('leave every upstream connection free: normal requests are served after hundreds of them', async () => {
    const up = await fx.upstream('app', (req, res) => {
      req.resume();
      if (req.url === '/reset') req.socket.destroy();
      else if (req.url === '/partial') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('part');
        setTimeout(() => res.socket?.destroy(), 5);
      } else if (req.url === '/hold' || req.url === '/slow') {
        // Never answered: the client leaves, or the proxy's headers timeout fires.
      } else req.on('end', () => res.end('ok'));
    });
    up.server.on('upgrade', (req, socket: Socket) => {
      socket.on('error', () => {});
      if (req.url === '/tunnel')
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      else if (req.url === '/plain') socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno');
      else socket.destroy();
    });
    const p = fx.plane({ upstream: { connections: 2, headersTimeoutMs: 100 } });
    await p.plane.apply({
      environments: [
        route('staging', [pool('v1', 100, [backend('i1', 'v1', up.url)])], { edge: { maxBodyBytes: 1024 } }),
      ],
    });
    const port = p.port('staging');
    const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: app.test\r\n${extra}\r\n`;
    const chunked = `POST /upload HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${'x'.repeat(2048)}\r\n0\r\n\r\n`;
    const expectStatus = async (bytes: string, status: number) => {
      const res = await rawExchange(port, bytes, 5_000);
      expect(res.statuses[0]).toBe(status);
    };
    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      await expectStatus(get('/reset', 'Connection: close\r\n'), 502);
      await abandon(port, get('/partial'), 5_000);
      await abandon(port, get('/hold'), 20);
      await expectStatus(chunked, 413);
      await expectStatus(get('/plain', UPGRADE), 200);
      await abandon(port, get('/tunnel', UPGRADE), 5_000);
      await expectStatus(get('/upgrade-reset', UPGRADE), 502);
      await expectStatus('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400);
      if (round % 6 === 0) await expectStatus(get('/slow', 'Connection: close\r\n'), 504);
    }
    const normal = await Promise.all(
      Array.from({ length: 10 }, () => send(port, { path: '/fine', timeoutMs: 5_000 })),
    );
    expect(normal.map((r) => r.status)).toEqual(Array(10).fill(200));
    await waitFor(async () => (await p.plane.inFlight()).size === 0, 'no request in flight', 5_000);
    const failing = p.sink.records().filter((r) => r.status !== 200 && r.status !== 101);
    expect(failing.length).toBeGreaterThanOrEqual(rounds * 5);
    // Nothing the proxy refused itself is the version's error.
    expect(
      p.sink
        .records()
        .filter((r) => r.error === 'malformed_request' || r.error === 'body_too_large')
        .every((r) => r.version === ''),
    ).toBe(true);
  });
});
