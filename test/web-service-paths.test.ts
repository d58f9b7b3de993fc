// The dashboard's paths on a server with several services (web/src/service-paths.ts): which API
// paths it nests under /api/v1/services/SERVICE (the same as the server's dispatch refuses without
// one, for every documented route), and how a page's path names its service and moves to another.
import { describe, expect, it } from 'vitest';
import { routes } from '../src/api/route-table.ts';
import { pickService } from '../src/api/service-dispatch.ts';
import { GantryError } from '../src/lib/errors.ts';
import { apiPath, prefixedHref, splitPath, switchHref } from '../web/src/service-paths.ts';

describe('apiPath', () => {
  const apiRoutes = routes.filter((r) => r.path.startsWith('/api/v1/'));

  it('nests exactly the API routes the server needs a service for (every documented route)', () => {
    expect(apiRoutes.length).toBeGreaterThan(40);
    const disagree = apiRoutes
      .map((r) => r.path.replace(/:(\w+)/g, 'x').replace(/\*$/, 'x'))
      .filter((path) => {
        const needsService = pickService(path, ['api', 'web']) instanceof GantryError;
        return needsService !== (apiPath(path, 'api') !== path);
      });
    expect(disagree).toEqual([]);
  });

  it('asks the nested path of the service, query included, which the server takes for the old path', () => {
    const nested = apiPath('/api/v1/releases?environment=production&limit=200', 'web');
    expect(nested).toBe('/api/v1/services/web/releases?environment=production&limit=200');
    expect(pickService(nested, ['api', 'web'])).toEqual({
      service: 'web',
      url: '/api/v1/releases?environment=production&limit=200',
    });
    expect(apiPath('/api/v1/logs/stream?q=a%2Fb', 'my service')).toBe(
      '/api/v1/services/my%20service/logs/stream?q=a%2Fb',
    );
  });

  it('leaves global paths, already nested paths, and every path when no service is shown', () => {
    for (const path of ['/api/v1/session', '/api/v1/services', '/api/v1/tokens', '/api/v1/audit?limit=5'])
      expect(apiPath(path, 'api')).toBe(path);
    expect(apiPath('/api/v1/services/web/status', 'api')).toBe('/api/v1/services/web/status');
    expect(apiPath('/api/v1/status', undefined)).toBe('/api/v1/status');
  });
});

describe('dashboard paths', () => {
  it('a prefix names the service; the rest is the page', () => {
    expect(splitPath('/services/api/releases/rel_1')).toEqual({ service: 'api', path: '/releases/rel_1' });
    expect(splitPath('/services/api')).toEqual({ service: 'api', path: '/' });
    expect(splitPath('/services/api/')).toEqual({ service: 'api', path: '/' });
    expect(splitPath('/services')).toEqual({ service: undefined, path: '/services' });
    expect(splitPath('/releases')).toEqual({ service: undefined, path: '/releases' });
  });

  it("prefixes a service's pages, not the global ones nor those naming a service", () => {
    expect(prefixedHref('/', 'api')).toBe('/services/api');
    expect(prefixedHref('/?x=1', 'api')).toBe('/services/api?x=1');
    expect(prefixedHref('/logs?environment=production', 'api')).toBe(
      '/services/api/logs?environment=production',
    );
    expect(prefixedHref('/services', 'api')).toBe('/services');
    expect(prefixedHref('/login?next=%2F', 'api')).toBe('/login?next=%2F');
    expect(prefixedHref('/services/web/alarms', 'api')).toBe('/services/web/alarms');
    expect(prefixedHref('/alarms', undefined)).toBe('/alarms');
  });

  it('switching service keeps the page, or the nearest one the other service has', () => {
    const envs = ['production'];
    expect(switchHref('/services/api/releases', '?environment=production', 'web', envs)).toBe(
      '/services/web/releases?environment=production',
    );
    expect(switchHref('/services/api/releases', '?environment=staging', 'web', envs)).toBe(
      '/services/web/releases',
    );
    expect(switchHref('/services/api/releases/rel_1', '', 'web', envs)).toBe('/services/web/releases');
    expect(switchHref('/services/api/incidents/inc_1', '', 'web', envs)).toBe('/services/web/incidents');
    expect(switchHref('/services/api/environments/production', '?range=6h', 'web', envs)).toBe(
      '/services/web/environments/production?range=6h',
    );
    expect(switchHref('/services/api/environments/staging', '', 'web', envs)).toBe('/services/web');
    expect(switchHref('/services', '', 'web', envs)).toBe('/services/web');
    expect(switchHref('/services/api', '', 'web', envs)).toBe('/services/web');
  });
});
