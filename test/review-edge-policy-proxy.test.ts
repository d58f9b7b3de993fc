// Adversarial review of the hardened proxy on real loopback sockets: the proxy's own answers (429,
// 413, 503 with no instance) carry the environment's security headers like proxied ones do, once
// each; a spoofed X-Forwarded-For buys no fresh bucket without trusted proxies; the redirect
// listener's Location cannot be steered to another host by a junk Host header.
import { describe, expect, it } from 'vitest';
import { hostWithoutPort } from '../src/proxy/redirect-listener.ts';
import type { EdgeSettings } from '../src/proxy/types.ts';
import { backend, pool, route, send, useProxyFixture } from './helpers/proxy.ts';

const fx = useProxyFixture();

const headers = {
  'strict-transport-security': 'max-age=15552000',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
};

describe('review: the proxy’s own answers', () => {
  it('429, 413 and 503 carry the security headers (once: a repeat would read "a, b") and 429 an honest Retry-After', async () => {
    const up = await fx.upstream('v1');
    const edge: EdgeSettings = {
      responseHeaders: headers,
      rateLimit: { perSecond: 0.25, burst: 2 },
      maxBodyBytes: 10,
    };
    const p = fx.plane();
    await p.plane.apply({
      environments: [
        route('production', [pool('v1', 100, [backend('i1', 'v1', up.url)])], { edge }),
        route('staging', [], { edge: { responseHeaders: headers } }),
      ],
    });
    const port = p.port('production');
    const tooLarge = await send(port, { method: 'POST', body: 'x'.repeat(11) });
    expect(tooLarge.status).toBe(413);
    // Spoofed X-Forwarded-For is not believed without trusted proxies: same bucket.
    const second = await send(port, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(second.status).toBe(200);
    const limited = await send(port, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(limited.status).toBe(429);
    // 0.25 tokens a second: the next token is 4 s away.
    expect(limited.headers['retry-after']).toBe('4');
    const none = await send(p.port('staging'));
    expect(none.status).toBe(503);
    for (const res of [tooLarge, limited, none]) {
      for (const [name, value] of Object.entries(headers)) expect(res.headers[name], name).toBe(value);
    }
  });
});

describe('review: the HTTPS redirect’s Host', () => {
  it.each([
    ['example.com:8080', 'example.com'],
    ['[::1]:80', '[::1]'],
    ['evil.com@good.com', undefined],
    ['good.com:80@evil.com', undefined],
    ['good.com/evil.com', undefined],
    ['good.com\\evil.com', undefined],
    ['good.com:', undefined],
    ['good.com:abc', undefined],
    ['', undefined],
  ])('%j → %j', (header, host) => {
    expect(hostWithoutPort(header)).toBe(host);
  });
});
