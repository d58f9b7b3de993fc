// `hosts:` in gantry.yaml: environments naming hosts share a listen address (and its redirect
// listener), names are lower-cased, and the listener check works over claims from several files.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.ts';
import { findListenerConflicts, type ListenerClaim } from '../src/config/listener-claims.ts';

describe('hosts in gantry.yaml', () => {
  it('lets environments naming hosts share an address and its redirect listener', () => {
    const { config } = parseConfig(
      `service: shop
run: { command: node server.js }
environments:
  staging:
    listen: 0.0.0.0:8443
    hosts: [Staging.Example.com.]
    tls: { cert: c.pem, key: k.pem, redirect_http: 0.0.0.0:8080 }
  production:
    listen: 0.0.0.0:8443
    hosts: [shop.example.com, "*.shop.example.com"]
    tls: { cert: c.pem, key: k.pem, redirect_http: 0.0.0.0:8080 }
`,
      'gantry.yaml',
    );
    expect(config.environments.staging?.hosts).toEqual(['staging.example.com']);
    expect(config.environments.production?.hosts).toEqual(['shop.example.com', '*.shop.example.com']);
  });
});

describe('listener conflicts across files', () => {
  const claim = (c: Partial<ListenerClaim> & Pick<ListenerClaim, 'file' | 'service'>): ListenerClaim => ({
    environment: 'production',
    listen: '0.0.0.0:443',
    hosts: undefined,
    line: 4,
    ...c,
  });

  it('names both owners with file and line when one of them names no hosts', () => {
    const api = claim({ file: 'services/api.yaml', service: 'api', hosts: ['api.example.com'] });
    const web = claim({ file: 'services/web.yaml', service: 'web', line: 9 });
    const [conflict, ...rest] = findListenerConflicts([api, web]);
    expect(rest).toEqual([]);
    expect(conflict?.claim).toBe(web);
    expect(conflict?.other).toBe(api);
    expect(conflict?.message).toBe(
      "environment production of service api (services/api.yaml:4) and environment production of service web (services/web.yaml:9) both listen on 0.0.0.0:443: give each its own port, or name each one's hosts (production names none)",
    );
  });

  it('reports each host two services both serve on one address, and nothing for distinct hosts', () => {
    const claims = [
      claim({ file: 'a.yaml', service: 'api', hosts: ['api.example.com', '*.example.com'] }),
      claim({ file: 'b.yaml', service: 'web', hosts: ['www.example.com'] }),
      claim({ file: 'c.yaml', service: 'admin', hosts: ['API.example.com', '*.example.com'], line: 7 }),
    ];
    const conflicts = findListenerConflicts(claims);
    expect(conflicts.map((c) => [c.claim.service, c.other.service, c.host])).toEqual([
      ['admin', 'api', 'api.example.com'],
      ['admin', 'api', '*.example.com'],
    ]);
    expect(conflicts[0]?.message).toBe(
      'environment production of service api (a.yaml:4) and environment production of service admin (c.yaml:7) both serve the host api.example.com on 0.0.0.0:443: a host belongs to one environment per address',
    );
  });

  it('asks for the same address text when two addresses overlap, and ignores other ports and port 0', () => {
    const conflicts = findListenerConflicts([
      claim({ file: 'a.yaml', service: 'api', hosts: ['a.example.com'] }),
      claim({ file: 'b.yaml', service: 'web', hosts: ['b.example.com'], listen: '127.0.0.1:443' }),
      claim({ file: 'c.yaml', service: 'x', listen: '0.0.0.0:8443' }),
      claim({ file: 'd.yaml', service: 'y', listen: '127.0.0.1:0' }),
      claim({ file: 'e.yaml', service: 'z', listen: '127.0.0.1:0' }),
    ]);
    expect(conflicts.map((c) => c.message)).toEqual([
      'environment production of service api (a.yaml:4) and environment production of service web (b.yaml:4) listen on overlapping addresses (0.0.0.0:443 and 127.0.0.1:443): to share a listener, write the same address in both',
    ]);
  });
});
