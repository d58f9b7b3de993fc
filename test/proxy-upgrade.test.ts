// Upgrade requests (issue 10, item 2): the connection becomes a tunnel only once the backend
// answered 101. A backend that answers 200 once turned it into a raw tunnel anyway, and requests
// pipelined behind the Upgrade skipped max_body, the rate limit, X-Forwarded-For, request ids and
// metrics. Every request here is written as raw bytes on a socket.
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { backend, pool, refusedPort, route, useProxyFixture, waitFor, within } from './helpers/proxy.ts';
import { firstBody, rawExchange } from './helpers/raw-http.ts';

const fx = useProxyFixture();

const upgradeHead = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;

/** A data plane whose staging environment has one backend i1 (v1) at `url`, with a 16-byte max_body. */
async function planeWithLimits(url: string) {
  const p = fx.plane();
  await p.plane.apply({
    environments: [
      route('staging', [pool('v1', 100, [backend('i1', 'v1', url)])], {
        edge: { maxBodyBytes: 16, rateLimit: { perSecond: 1, burst: 2 } },
      }),
    ],
  });
  return p;
}

interface SeenRequest {
  line: string;
  headers: Record<string, string>;
}

/**
 * A backend that declines every Upgrade with a 200 and goes on reading requests on the same
 * connection, as many servers do (node:http stops reading after an Upgrade request, which would
 * hide what the proxy lets through). Requests with a Content-Length body only.
 */
async function decliningBackend() {
  const seen: SeenRequest[] = [];
  const server = createNetServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [line = '', ...fields] = buffered.toString('latin1', 0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const f of fields) {
          const i = f.indexOf(':');
          headers[f.slice(0, i).trim().toLowerCase()] = f.slice(i + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.subarray(end + 4 + length);
        seen.push({ line, headers });
        const body = JSON.stringify({ line, headers });
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fx.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('an Upgrade the backend does not accept', () => {
  it('is answered as a plain response, and requests pipelined behind it never reach the backend', async () => {
    const up = await decliningBackend();
    const p = await planeWithLimits(up.url);
    const smuggled =
      'POST /smuggled HTTP/1.1\r\nHost: app.test\r\nContent-Length: 64\r\n\r\n' +
      'x'.repeat(64) +
      'GET /second HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n';
    const res = await rawExchange(p.port('staging'), upgradeHead('/socket') + smuggled);
    expect(up.seen.map((r) => r.line)).toEqual(['GET /socket HTTP/1.1']);
    expect(res.statuses).toEqual([200]);
    expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(res.text).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    expect(JSON.parse(firstBody(res.text)).line).toBe('GET /socket HTTP/1.1');
    const headers = up.seen[0]?.headers ?? {};
    expect(headers).toMatchObject({ upgrade: 'websocket', 'x-forwarded-for': '127.0.0.1' });
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.sink.records()).toMatchObject([{ status: 200, version: 'v1', instance: 'i1', method: 'GET' }]);
    expect((await p.plane.inFlight()).size).toBe(0);
  });

  it('passes a large answer at the pace the client reads it', async () => {
    const size = 8 * 1024 * 1024;
    const up = await fx.upstream('big', (_req, res) => res.end(Buffer.alloc(size, 97)));
    const p = await fx.planeTo(up.url);
    const socket = connect(p.port('staging'), '127.0.0.1', () => socket.write(upgradeHead('/socket')));
    socket.pause();
    // The client reads nothing for a while: the proxy must wait for it, then go on.
    await new Promise((r) => setTimeout(r, 300));
    let received = 0;
    let head = '';
    socket.on('data', (c: Buffer) => {
      if (head === '') head = c.toString('latin1', 0, 12);
      received += c.length;
    });
    socket.resume();
    await within(new Promise((r) => socket.once('close', r)), 20_000, 'the whole answer');
    expect(head).toBe('HTTP/1.1 200');
    expect(received).toBeGreaterThan(size);
    expect(p.sink.records()).toMatchObject([{ status: 200, version: 'v1' }]);
  });

  it('is refused at the edge like any request past the rate limit (429)', async () => {
    const up = await fx.upstream('app');
    const p = await planeWithLimits(up.url);
    const port = p.port('staging');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push(...(await rawExchange(port, upgradeHead('/socket'))).statuses);
    expect(statuses).toEqual([200, 200, 429]);
    expect(up.requests).toBe(2);
  });

  it('answers 502 when the backend refuses the connection, and frees the backend', async () => {
    const p = await fx.planeTo(`http://127.0.0.1:${await refusedPort()}`);
    const res = await rawExchange(p.port('staging'), upgradeHead('/socket'));
    expect(res.statuses).toEqual([502]);
    expect(JSON.parse(firstBody(res.text)).error.code).toBe('BAD_GATEWAY');
    expect(p.sink.records()).toMatchObject([{ status: 502, error: 'upstream_connect' }]);
    expect((await p.plane.inFlight()).size).toBe(0);
  });
});

describe('an Upgrade the backend accepts (101)', () => {
  it('becomes a tunnel carrying the bytes sent right behind the request, in flight until closed', async () => {
    const up = await fx.upstream('echo');
    let forwardedFor: unknown;
    up.server.on('upgrade', (req, socket: Socket, head: Buffer) => {
      forwardedFor = req.headers['x-forwarded-for'];
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    const p = await fx.planeTo(up.url);
    const socket = connect(p.port('staging'), '127.0.0.1', () =>
      socket.write(`${upgradeHead('/socket')}early`),
    );
    fx.defer(async () => void socket.destroy());
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    await waitFor(() => text.endsWith('\r\n\r\nearly'), 'the 101 and the echo of the early bytes');
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(text).toMatch(/\r\nupgrade: websocket\r\n/i);
    expect(text).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    expect(forwardedFor).toBe('127.0.0.1');
    socket.write('later');
    await waitFor(() => text.endsWith('later'), 'the echo of later bytes');
    expect((await p.plane.inFlight()).get('i1')).toBe(1);
    socket.end();
    expect(await p.plane.drain(['i1'], 10_000)).toBe(0);
    expect(p.sink.records()).toMatchObject([{ status: 101, version: 'v1', instance: 'i1' }]);
  });

  it('ends when the client leaves, even if the backend keeps its side open', async () => {
    const up = await fx.upstream('quiet');
    let backendGotEnd = false;
    up.server.on('upgrade', (_req, socket: Socket) => {
      // Accepts, then neither reads nor closes: a backend that ignores the client's FIN.
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      socket.on('error', () => {});
      socket.on('end', () => {
        backendGotEnd = true;
      });
    });
    const p = await fx.planeTo(up.url);
    const socket = connect(p.port('staging'), '127.0.0.1', () => socket.write(upgradeHead('/socket')));
    await within(new Promise((r) => socket.once('data', r)), 10_000, 'the 101');
    expect((await p.plane.inFlight()).get('i1')).toBe(1);
    socket.end();
    expect(await p.plane.drain(['i1'], 3_000)).toBe(0);
    await waitFor(() => backendGotEnd, 'the proxy to close its connection to the backend', 3_000);
  });

  it('waits, when pipelined behind a request still being answered, for that answer to go out', async () => {
    const up = await fx.upstream('slow', (_req, res) => {
      setTimeout(() => res.end('first'), 100);
    });
    up.server.on('upgrade', (_req, socket: Socket, head: Buffer) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    const p = await fx.planeTo(up.url);
    const socket = connect(p.port('staging'), '127.0.0.1', () =>
      socket.write(`GET /first HTTP/1.1\r\nHost: app.test\r\n\r\n${upgradeHead('/socket')}hello`),
    );
    fx.defer(async () => void socket.destroy());
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    await waitFor(() => text.endsWith('hello'), 'the answer, the 101 and the echo');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nfirstHTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(p.sink.records().map((r) => r.status)).toEqual([200, 101]);
  });
});
