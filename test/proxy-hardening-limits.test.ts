// Edge limits and headers of the data plane on real loopback sockets: security headers (the
// backend's own win), per-client rate limiting with 429 + Retry-After, body limits (declared and
// streamed), header limits, and the bounded memory of the rate limiter.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClientResolver } from '../src/proxy/client-address.ts';
import { RateLimiter } from '../src/proxy/rate-limiter.ts';
import type { EdgeSettings } from '../src/proxy/types.ts';
import { backend, pool, route, send, useProxyFixture, within } from './helpers/proxy.ts';

const fx = useProxyFixture();

async function edgePlane(url: string, edge: EdgeSettings) {
  const p = fx.plane();
  await p.plane.apply({
    environments: [route('production', [pool('v1', 100, [backend('i1', 'v1', url)])], { edge })],
  });
  return p;
}

/** A GET from a chosen loopback source address (127.0.0.x are all local on Linux). */
function sendFrom(localAddress: string, port: number, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, localAddress, headers, agent: false, timeout: 20_000 },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end();
    },
  );
}

describe('security headers', () => {
  it('adds them to proxied responses, and a header the backend set wins', async () => {
    const up = await fx.upstream('v1', (req, res) => {
      if (req.url === '/framed') res.setHeader('x-frame-options', 'ALLOW-FROM https://partner.example');
      res.end('ok');
    });
    const p = await edgePlane(up.url, {
      responseHeaders: {
        'x-frame-options': 'SAMEORIGIN',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'X-Served-By': 'gantry',
      },
    });
    const res = await send(p.port('production'));
    expect(res.status).toBe(200);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['x-served-by']).toBe('gantry');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const own = await send(p.port('production'), { path: '/framed' });
    expect(own.headers['x-frame-options']).toBe('ALLOW-FROM https://partner.example');
    expect(own.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the burst, per client, and lets the client back in later', async () => {
    const up = await fx.upstream('v1');
    const p = await edgePlane(up.url, { rateLimit: { perSecond: 2, burst: 3 } });
    const port = p.port('production');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await sendFrom('127.0.0.2', port)).status);
    const refused = await sendFrom('127.0.0.2', port);
    expect(statuses).toEqual([200, 200, 200]);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(up.requests).toBe(3);

    // Another client has its own bucket.
    expect((await sendFrom('127.0.0.3', port)).status).toBe(200);

    // Gantry's own 429 is not the version's: recorded with no version, kind rate_limited.
    const r429 = p.sink.records().filter((r) => r.status === 429);
    expect(r429).toEqual([expect.objectContaining({ version: '', instance: '', error: 'rate_limited' })]);

    // Retry-After is honest: after waiting it, the client is served again.
    await new Promise((r) => setTimeout(r, Number(refused.headers['retry-after']) * 1000));
    expect((await sendFrom('127.0.0.2', port)).status).toBe(200);
  });

  it('keeps the buckets across applies that do not change the limit', async () => {
    const up = await fx.upstream('v1');
    const p = await edgePlane(up.url, { rateLimit: { perSecond: 0.01, burst: 2 } });
    const port = p.port('production');
    expect((await sendFrom('127.0.0.6', port)).status).toBe(200);
    expect((await sendFrom('127.0.0.6', port)).status).toBe(200);
    // Instances come and go (every readiness change is an apply): the client's bucket stays empty.
    const other = await fx.upstream('v2');
    await p.plane.apply({
      environments: [
        route('production', [pool('v2', 100, [backend('i2', 'v2', other.url)])], {
          edge: { rateLimit: { perSecond: 0.01, burst: 2 } },
        }),
      ],
    });
    expect((await sendFrom('127.0.0.6', port)).status).toBe(429);
    // A changed limit starts afresh.
    await p.plane.apply({
      environments: [
        route('production', [pool('v2', 100, [backend('i2', 'v2', other.url)])], {
          edge: { rateLimit: { perSecond: 0.01, burst: 3 } },
        }),
      ],
    });
    expect((await sendFrom('127.0.0.6', port)).status).toBe(200);
  });

  it('names the client by X-Forwarded-For only behind a trusted proxy', async () => {
    const up = await fx.upstream('v1');
    const p = await edgePlane(up.url, {
      rateLimit: { perSecond: 0.01, burst: 1, trustedProxies: ['127.0.0.4/32'] },
    });
    const port = p.port('production');
    // Through the trusted proxy (127.0.0.4), two clients are two buckets.
    expect((await sendFrom('127.0.0.4', port, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);
    expect((await sendFrom('127.0.0.4', port, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
    expect((await sendFrom('127.0.0.4', port, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
    // Anyone else cannot escape its bucket by inventing X-Forwarded-For.
    expect((await sendFrom('127.0.0.5', port, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
    expect((await sendFrom('127.0.0.5', port, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(429);
  });

  it('resolves clients from the right of X-Forwarded-For, skipping trusted hops', () => {
    const clientOf = createClientResolver(['10.0.0.0/8', '::1']);
    const req = (remoteAddress: string, xff?: string) =>
      ({ socket: { remoteAddress }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as IncomingMessage;
    expect(clientOf(req('192.0.2.1', '1.1.1.1'))).toBe('192.0.2.1');
    expect(clientOf(req('10.1.1.1', 'spoofed, 198.51.100.9, 10.2.2.2'))).toBe('198.51.100.9');
    expect(clientOf(req('::ffff:10.1.1.1', '198.51.100.9:4711'))).toBe('198.51.100.9');
    expect(clientOf(req('::1', '10.0.0.1, 10.0.0.2'))).toBe('10.0.0.1');
    expect(clientOf(req('10.1.1.1', 'garbage'))).toBe('10.1.1.1');
    expect(clientOf(req('10.1.1.1'))).toBe('10.1.1.1');
  });

  it('keeps its memory bounded under many clients and forgets idle ones', () => {
    const limiter = new RateLimiter({ perSecond: 10, burst: 5 }, 1_000);
    for (let i = 0; i < 50_000; i++) expect(limiter.take(`client-${i}`, i * 0.001)).toBe(0);
    expect(limiter.size).toBeLessThanOrEqual(1_000);
    // A bucket refilled to full is forgotten at the next sweep.
    limiter.sweep(50 + 1_000);
    expect(limiter.size).toBe(0);
    // Retry-After rounds up to whole seconds.
    const slow = new RateLimiter({ perSecond: 0.25, burst: 1 });
    expect(slow.take('a', 0)).toBe(0);
    expect(slow.take('a', 100)).toBe(4);
    expect(slow.take('a', 3_500)).toBe(1);
    expect(slow.take('a', 4_100)).toBe(0);
  });
});

describe('size limits', () => {
  it('refuses a chunked body past max_body with 413, the backend having received less than the limit', async () => {
    const limit = 64 * 1024;
    let received = 0;
    const up = await fx.upstream('v1', (req, res) => {
      req.on('data', (c: Buffer) => {
        received += c.length;
      });
      req.on('end', () => res.end('read it all'));
      req.on('error', () => {});
    });
    const p = await edgePlane(up.url, { maxBodyBytes: limit });
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const res = await within(
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: p.port('production'), method: 'POST', path: '/upload', agent: false },
          (r) => {
            let body = '';
            r.on('data', (c: Buffer) => {
              body += c.toString();
            });
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        // 1 MiB in 16 KiB chunks, no Content-Length: Transfer-Encoding: chunked.
        let sent = 0;
        const pump = () => {
          while (sent < 64) {
            sent++;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      }),
      20_000,
      'the 413',
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
    expect(received).toBeLessThanOrEqual(limit);
    expect(p.sink.records().at(-1)).toMatchObject({ status: 413, version: '', error: 'body_too_large' });
    // A body within the limit still goes through whole.
    const small = await send(p.port('production'), { method: 'POST', body: Buffer.alloc(limit, 'y') });
    expect(small.status).toBe(200);
  });

  it('refuses a declared Content-Length past max_body before the backend sees the request', async () => {
    const up = await fx.upstream('v1');
    const p = await edgePlane(up.url, { maxBodyBytes: 1024 });
    const res = await send(p.port('production'), { method: 'PUT', body: Buffer.alloc(4096, 'z') });
    expect(res.status).toBe(413);
    expect(up.requests).toBe(0);
  });

  it('refuses an oversized body announced with Expect: 100-continue before the client sends it', async () => {
    const up = await fx.upstream('v1');
    const p = await edgePlane(up.url, { maxBodyBytes: 1024 });
    const head = await within(
      new Promise<string>((resolve, reject) => {
        const s = connect(p.port('production'), '127.0.0.1', () => {
          s.write('PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n');
        });
        s.once('data', (c: Buffer) => {
          resolve(c.toString());
          s.destroy();
        });
        s.on('error', reject);
      }),
      20_000,
      'the answer to the request head',
    );
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(up.requests).toBe(0);
    // Within the limit, the client is told to go on and the body reaches the backend.
    const ok = await send(p.port('production'), {
      method: 'PUT',
      headers: { expect: '100-continue', 'content-length': '5' },
      body: 'hello',
    });
    expect(ok.status).toBe(200);
    expect(up.requests).toBe(1);
  });

  it('answers 431 when the request head is larger than max_header_size', async () => {
    const up = await fx.upstream('v1', (_req, res) => res.end('served'));
    const p = await edgePlane(up.url, { maxHeaderBytes: 4096 });
    const port = p.port('production');
    // On one keep-alive connection: a request within the limit is served, the next one is refused.
    const raw = await within(
      new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(`GET /small HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(2000)}\r\n\r\n`);
        });
        let text = '';
        s.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.endsWith('\r\n\r\nserved')) {
            s.write(`GET /big HTTP/1.1\r\nHost: x\r\nCookie: ${'b'.repeat(8192)}\r\n\r\n`);
          }
        });
        s.on('end', () => resolve(text));
        s.on('error', reject);
      }),
      20_000,
      'the 431',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\n\r\nservedHTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(raw).toContain('"code":"HEADER_TOO_LARGE"');
    expect(up.requests).toBe(1);
    expect(p.sink.records().at(-1)).toMatchObject({ status: 431, version: '', error: 'header_too_large' });
  });
});
