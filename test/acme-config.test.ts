// `tls.acme` and `hosts` in gantry.yaml: defaults, and the refusals that say what to change
// (ACME needs hosts and a plain listener, excludes certificate files, cannot issue wildcards).
import { describe, expect, it } from 'vitest';
import { acmeTargets } from '../src/app/acme.ts';
import { parseConfig } from '../src/config/load.ts';
import { LETS_ENCRYPT_DIRECTORY } from '../src/config/schema-tls.ts';
import { edgeSettingsOf } from '../src/proxy/edge-config.ts';

const BASE = `service: shop
run: { command: node server.js }
environments:
  production:
    listen: 0.0.0.0:443
`;

function parse(extra: string) {
  return parseConfig(BASE + extra, '/srv/shop/gantry.yaml');
}

function errorsOf(extra: string): string {
  try {
    parse(extra);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('tls.acme', () => {
  it("defaults the directory to Let's Encrypt production and keeps the hosts", () => {
    const env = parse(`    hosts: [shop.example.com, www.shop.example.com]
    tls: { acme: { email: ops@example.com }, redirect_http: 0.0.0.0:80 }
`).config.environments.production;
    expect(env?.hosts).toEqual(['shop.example.com', 'www.shop.example.com']);
    expect(env?.tls).toEqual({
      acme: { email: 'ops@example.com', directory: LETS_ENCRYPT_DIRECTORY },
      redirect_http: '0.0.0.0:80',
    });
  });

  it('takes another directory and a CA file for it', () => {
    const env = parse(`    hosts: [shop.example.com]
    tls:
      acme: { email: ops@example.com, directory: "https://ca.internal/acme/directory", ca_file: ca.pem }
      redirect_http: 0.0.0.0:80
`).config.environments.production;
    expect(env?.tls?.acme).toEqual({
      email: 'ops@example.com',
      directory: 'https://ca.internal/acme/directory',
      ca_file: 'ca.pem',
    });
  });

  it.each([
    [
      'no hosts',
      `    tls: { acme: { email: ops@example.com }, redirect_http: 0.0.0.0:80 }\n`,
      'environments.production.tls.acme: ACME needs the names to certify: list them in `hosts`',
    ],
    [
      'certificate files beside it',
      `    hosts: [a.example.com]\n    tls: { cert: c.pem, key: k.pem, acme: { email: ops@example.com }, redirect_http: 0.0.0.0:80 }\n`,
      '`acme` and `cert`/`key` exclude each other',
    ],
    [
      'a wildcard host',
      `    hosts: [a.example.com, "*.example.org"]\n    tls: { acme: { email: ops@example.com }, redirect_http: 0.0.0.0:80 }\n`,
      "environments.production.hosts[1]: '*.example.org' is a wildcard",
    ],
    [
      'no plain listener',
      `    hosts: [a.example.com]\n    tls: { acme: { email: ops@example.com } }\n`,
      'set `redirect_http`, usually 0.0.0.0:80',
    ],
    [
      'a directory over plain HTTP',
      `    hosts: [a.example.com]\n    tls: { acme: { email: ops@example.com, directory: "http://ca/dir" }, redirect_http: 0.0.0.0:80 }\n`,
      'environments.production.tls.acme.directory: expected an https URL of an ACME directory',
    ],
    [
      'no email',
      `    hosts: [a.example.com]\n    tls: { acme: {}, redirect_http: 0.0.0.0:80 }\n`,
      'environments.production.tls.acme.email',
    ],
    [
      'neither files nor acme',
      `    tls: { redirect_http: 0.0.0.0:80 }\n`,
      'expected `cert` and `key` (certificate files), or `acme: { email }` to obtain one',
    ],
    ['a key without its certificate', `    tls: { key: k.pem }\n`, 'missing required key: cert'],
  ])('refuses %s', (_name, extra, message) => {
    expect(errorsOf(extra)).toContain(message);
  });

  it('gives the data plane the certificate ACME obtained, with the redirect listener', () => {
    const env = parse(`    hosts: [shop.example.com]
    tls: { acme: { email: ops@example.com }, redirect_http: 0.0.0.0:80 }
`).config.environments.production;
    if (!env) throw new Error('production is missing');
    const pem = { hosts: ['shop.example.com'], cert: 'CERT', key: 'KEY' };
    const acme = {
      challenges: () => ({}),
      certificate: (name: string) => (name === 'production' ? pem : undefined),
    };
    expect(edgeSettingsOf(env, '/srv/shop', acme).tls).toEqual({
      certificates: [pem],
      redirectHttp: '0.0.0.0:80',
    });
    expect(edgeSettingsOf(env, '/srv/shop').tls).toBeUndefined();
  });

  it('names the CA file that cannot be read, at start and on reload', () => {
    const loaded = parse(`    hosts: [shop.example.com]
    tls:
      acme: { email: ops@example.com, directory: "https://ca.internal/dir", ca_file: missing-ca.pem }
      redirect_http: 0.0.0.0:80
`);
    expect(() => acmeTargets(loaded)).toThrow(
      '/srv/shop/gantry.yaml: environments.production.tls.acme.ca_file: cannot read /srv/shop/missing-ca.pem (ENOENT)',
    );
  });
});
