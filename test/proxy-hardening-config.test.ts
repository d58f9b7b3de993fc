// The edge keys of gantry.yaml (security_headers, limits, rate_limit.trusted_proxies, tls): parsed
// with defaults, refused with file:line:column and a path, turned into the data plane's settings;
// and which of their changes a reload applies live.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coldChanges } from '../src/app/reload.ts';
import { parseConfig } from '../src/config/load.ts';
import type { EnvironmentConfig } from '../src/config/types.ts';
import { edgeSettingsOf, securityHeaderValues } from '../src/proxy/edge-config.ts';

const BASE = `service: shop
run: { command: node server.js }
environments:
  production:
    listen: 127.0.0.1:8080
`;

function parse(extra: string) {
  return parseConfig(BASE + extra, '/srv/shop/gantry.yaml');
}

/** The production environment of BASE plus `extra`. */
function production(extra: string): EnvironmentConfig {
  const env = parse(extra).config.environments.production;
  if (!env) throw new Error('production is missing');
  return env;
}

function errorsOf(extra: string): string[] {
  try {
    parse(extra);
  } catch (err) {
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the config to be refused');
}

describe('edge keys of an environment', () => {
  it('leaves them unset when absent; the proxy then applies the documented defaults', () => {
    const env = production('');
    expect(env.security_headers).toBeUndefined();
    expect(env.limits).toBeUndefined();
    const edge = edgeSettingsOf(env, '/srv/shop');
    expect(edge).toEqual({
      responseHeaders: {
        'x-frame-options': 'SAMEORIGIN',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
      },
      maxBodyBytes: 10 * 1024 * 1024,
      maxHeaderBytes: 16 * 1024,
    });
  });

  it('reads every key, resolves certificate paths against the config directory', () => {
    const env =
      production(`    tls: { cert: tls/cert.pem, key: /etc/keys/key.pem, redirect_http: 127.0.0.1:8079 }
    rate_limit: { per_client: 100/s, burst: 200, trusted_proxies: [10.0.0.0/8, "::1"] }
    security_headers:
      hsts: 365d
      hsts_include_subdomains: true
      hsts_preload: true
      frame_options: false
      referrer_policy: no-referrer
      content_security_policy: "default-src 'self'"
      extra: { X-Robots-Tag: noindex }
    limits: { max_body: 2MB, max_header_size: 32KB }
`);
    expect(env.rate_limit).toEqual({ per_client: 100, burst: 200, trusted_proxies: ['10.0.0.0/8', '::1'] });
    expect(env.limits).toEqual({ max_body: 2 * 1024 * 1024, max_header_size: 32 * 1024 });
    expect(edgeSettingsOf(env, '/srv/shop')).toEqual({
      tls: {
        certFile: path.resolve('/srv/shop/tls/cert.pem'),
        keyFile: '/etc/keys/key.pem',
        redirectHttp: '127.0.0.1:8079',
      },
      responseHeaders: {
        'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'self'",
        'x-robots-tag': 'noindex',
      },
      rateLimit: { perSecond: 100, burst: 200, trustedProxies: ['10.0.0.0/8', '::1'] },
      maxBodyBytes: 2 * 1024 * 1024,
      maxHeaderBytes: 32 * 1024,
    });
  });

  it('sends HSTS over plain HTTP only when asked to', () => {
    const h = production('    security_headers: { hsts: 1d }\n').security_headers;
    if (!h) throw new Error('security_headers is missing');
    expect(securityHeaderValues(h, false)['strict-transport-security']).toBeUndefined();
    expect(securityHeaderValues(h, true)['strict-transport-security']).toBe('max-age=86400');
    expect(securityHeaderValues({ ...h, hsts_on_http: true }, false)['strict-transport-security']).toBe(
      'max-age=86400',
    );
    expect(securityHeaderValues({ ...h, hsts: false }, true)['strict-transport-security']).toBeUndefined();
  });

  it.each([
    [
      '    security_headers: { hsts: forever }\n',
      '/srv/shop/gantry.yaml:6:31 environments.production.security_headers.hsts: expected a duration like 500ms, 10s, 5m, 1h or 1d',
    ],
    [
      '    security_headers: { frame_options: ALLOW }\n',
      '/srv/shop/gantry.yaml:6:40 environments.production.security_headers.frame_options: expected DENY, SAMEORIGIN or false',
    ],
    [
      '    security_headers: { hsts_preload: true }\n',
      '/srv/shop/gantry.yaml:6:39 environments.production.security_headers.hsts_preload: HSTS preload needs `hsts` of at least 365d and `hsts_include_subdomains: true`',
    ],
    [
      '    security_headers: { extra: { X-Frame-Options: DENY } }\n',
      "/srv/shop/gantry.yaml:6:34 environments.production.security_headers.extra.X-Frame-Options: 'X-Frame-Options' cannot be set here: use `frame_options`",
    ],
    [
      '    security_headers: { extra: { Connection: close } }\n',
      "/srv/shop/gantry.yaml:6:34 environments.production.security_headers.extra.Connection: 'Connection' cannot be set here: it is hop-by-hop",
    ],
    [
      '    limits: { max_header_size: 100B }\n',
      '/srv/shop/gantry.yaml:6:32 environments.production.limits.max_header_size: expected a size from 1KB to 1MB, like 16KB',
    ],
    [
      '    limits: { max_body: lots }\n',
      '/srv/shop/gantry.yaml:6:25 environments.production.limits.max_body: expected a size like 512MB or 2GB',
    ],
    [
      '    rate_limit: { per_client: 5/s, trusted_proxies: [10.0.0.0/40] }\n',
      '/srv/shop/gantry.yaml:6:54 environments.production.rate_limit.trusted_proxies[0]: expected an IP address or CIDR range, like 10.0.0.0/8, 192.168.1.10 or fd00::/8',
    ],
    [
      '    limits: { max_bdy: 1MB }\n',
      "/srv/shop/gantry.yaml:6:15 environments.production.limits.max_bdy: unknown key 'max_bdy' (did you mean 'max_body'?)",
    ],
  ])('refuses %j', (extra, message) => {
    expect(errorsOf(extra)).toContain(message);
  });
});

describe('reload of edge keys', () => {
  it('applies tls, rate_limit, security_headers and limits live; other environment keys need a restart', () => {
    const a = parse('').config;
    const edge = parse(`    tls: { cert: c.pem, key: k.pem }
    rate_limit: { per_client: 5/s }
    security_headers: { hsts: false }
    limits: { max_body: 1MB }
`).config;
    expect(coldChanges(a, edge)).toEqual([]);
    const moved = parseConfig(BASE.replace('8080', '8081'), '/srv/shop/gantry.yaml').config;
    expect(coldChanges(a, moved)).toEqual(['environments.production']);
  });
});
