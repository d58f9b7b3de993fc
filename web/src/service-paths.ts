// The dashboard's paths on a server with several services, as pure functions of strings: a page
// of service api is /services/api/… (/services/api itself its overview), and the API paths about
// a service are /api/v1/services/api/…, while what is about no service keeps its usual path.

const PREFIX = /^\/services\/([^/]+)(\/.*)?$/;

/** The service a dashboard path names (if any) and the page's own path. */
export function splitPath(pathname: string): { service: string | undefined; path: string } {
  const m = PREFIX.exec(pathname);
  if (!m) return { service: undefined, path: pathname };
  return { service: decodeURIComponent(m[1] as string), path: m[2] || '/' };
}

/** Dashboard pages that are about no service: the overview of all of them, the login. */
export const GLOBAL_PAGES = /^\/(services|login)(\?|$)/;

/** A dashboard href (path and query) as one of `service`'s pages, unless it names one already. */
export function prefixedHref(href: string, service: string | undefined): string {
  if (!service || !href.startsWith('/') || GLOBAL_PAGES.test(href) || PREFIX.test(href.split('?')[0] ?? ''))
    return href;
  const prefix = `/services/${encodeURIComponent(service)}`;
  return href === '/' ? prefix : href.startsWith('/?') ? `${prefix}${href.slice(1)}` : `${prefix}${href}`;
}

/** API paths about no service: the same whichever service is shown (as the server dispatches). */
export const GLOBAL_API =
  /^\/api\/v1\/(openapi\.json|schemas?(\/.*)?|services|config\/reload|session|tokens(\/.*)?|audit(\/.*)?|ack\/[^/]+|secrets\/rotate-key|backups(\/.*)?)$/;

/** An API path (with its query) as asked about `service`: /api/v1/services/SERVICE/… when needed. */
export function apiPath(path: string, service: string | undefined): string {
  const pathname = path.split('?')[0] ?? '';
  const nested = pathname.startsWith('/api/v1/services/');
  if (!service || nested || !pathname.startsWith('/api/v1/') || GLOBAL_API.test(pathname)) return path;
  return `/api/v1/services/${encodeURIComponent(service)}${path.slice('/api/v1'.length)}`;
}

/**
 * The page at `pathname` + `search` on service `to` (whose environments are `envs`): a list or an
 * overview stays itself, one release or incident (another service's ids) becomes its list, an
 * environment `to` lacks becomes its overview, and the overview of all services `to`'s overview.
 * The query (a filter on an environment, a time range) stays unless it names an environment `to`
 * lacks.
 */
export function switchHref(pathname: string, search: string, to: string, envs: readonly string[]): string {
  const { service, path } = splitPath(pathname);
  if (!service && GLOBAL_PAGES.test(path)) return prefixedHref('/', to);
  const env = new URLSearchParams(search).get('environment');
  const query = env === null || envs.includes(env) ? search : '';
  const envPage = /^\/environments\/([^/]+)$/.exec(path);
  if (envPage) {
    const known = envs.includes(decodeURIComponent(envPage[1] as string));
    return prefixedHref(known ? path + query : '/', to);
  }
  const detail = /^\/(releases|incidents)\/[^/]+$/.exec(path);
  return prefixedHref(detail ? `/${detail[1]}` : path + query, to);
}
