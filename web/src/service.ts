// Which service the dashboard shows on a server with several: the page's path names it
// (/services/api/releases is the releases page of service api), so that a link says which service
// it is about, and the back button goes back to the service shown before. That service's data is
// asked for under /api/v1/services/api/…; what is about no service (the session, the list of
// services, tokens, the audit log) keeps its usual path. On a server with one service no path
// names a service, and the dashboard talks to the API's usual paths.

export interface ServiceSummary {
  name: string;
  environments: string[];
  /** The version each environment serves now (null before a first release). */
  current: Record<string, string | null>;
}

let known: ServiceSummary[] = [];
const listeners: Array<(services: ServiceSummary[]) => void> = [];

/** The services of the server, as GET /api/v1/services last listed them. */
export const services = (): ServiceSummary[] => known;
export const multiService = (): boolean => known.length > 1;

export function setServices(list: ServiceSummary[]): void {
  known = list;
  for (const fn of listeners) fn(list);
}
export const onServicesChange = (fn: (services: ServiceSummary[]) => void) => listeners.push(fn);

const PREFIX = /^\/services\/([^/]+)(\/.*)?$/;

/** The service a dashboard path names (if any) and the page's own path. */
export function splitPath(pathname: string): { service: string | undefined; path: string } {
  const m = PREFIX.exec(pathname);
  if (!m) return { service: undefined, path: pathname };
  return { service: decodeURIComponent(m[1] as string), path: m[2] || '/' };
}

/** The service the address bar names. */
export const currentService = (): string | undefined => splitPath(window.location.pathname).service;

const REMEMBERED = 'gantry.service';

/** Notes the service shown, for the next visit that names none. */
export function remember(service: string): void {
  try {
    localStorage.setItem(REMEMBERED, service);
  } catch {}
}

/**
 * The service that pages naming none are about: the one in the address bar, else (on a server with
 * several) the one shown last, or the first.
 */
export function chosenService(): string | undefined {
  const named = currentService();
  if (named || !multiService()) return named;
  let last: string | null = null;
  try {
    last = localStorage.getItem(REMEMBERED);
  } catch {}
  return known.some((s) => s.name === last) ? (last as string) : known[0]?.name;
}

/** Dashboard pages that are about no service: they are never prefixed. */
const GLOBAL_PAGES = /^\/(services|login)(\?|$)/;

/** A dashboard href (path and query) on `service`'s pages. */
export function serviceHref(href: string, service = chosenService()): string {
  if (!service || !href.startsWith('/') || GLOBAL_PAGES.test(href) || PREFIX.test(href.split('?')[0] ?? ''))
    return href;
  const prefix = `/services/${encodeURIComponent(service)}`;
  return href === '/' ? prefix : href.startsWith('/?') ? `${prefix}${href.slice(1)}` : `${prefix}${href}`;
}

/**
 * Where a page the address bar names should be instead, on a server with several services: `/`
 * is the overview of all of them, a service's page naming none is the chosen service's.
 */
export function canonicalHref(pathname: string, search: string): string | undefined {
  if (!multiService() || currentService() || GLOBAL_PAGES.test(pathname)) return undefined;
  return pathname === '/' ? `/services${search}` : serviceHref(pathname + search);
}

/** API paths about no service: the same whichever service is shown (as the server dispatches). */
export const GLOBAL_API =
  /^\/api\/v1\/(openapi\.json|schemas?(\/.*)?|services|config\/reload|session|tokens(\/.*)?|audit(\/.*)?|ack\/[^/]+|secrets\/rotate-key)$/;

/** An API path (with its query) as asked about `service`: /api/v1/services/SERVICE/… when needed. */
export function apiPath(path: string, service: string | undefined): string {
  const pathname = path.split('?')[0] ?? '';
  const nested = pathname.startsWith('/api/v1/services/');
  if (!service || nested || !pathname.startsWith('/api/v1/') || GLOBAL_API.test(pathname)) return path;
  return `/api/v1/services/${encodeURIComponent(service)}${path.slice('/api/v1'.length)}`;
}

/**
 * The same page on another service: a list or overview stays itself, one release or incident
 * (another service's ids) becomes its list, an environment the other service lacks its overview.
 * The query (a filter on an environment, a time range) stays when the other service has that
 * environment.
 */
export function switchHref(pathname: string, search: string, to: string): string {
  const envs = known.find((s) => s.name === to)?.environments ?? [];
  const { service, path } = splitPath(pathname);
  const query = new URLSearchParams(search);
  const env = query.get('environment');
  const keep = env === null || envs.includes(env) ? search : '';
  if (!service && GLOBAL_PAGES.test(path)) return serviceHref('/', to);
  const envPage = /^\/environments\/([^/]+)$/.exec(path);
  if (envPage) {
    return envs.includes(decodeURIComponent(envPage[1] as string))
      ? serviceHref(path + keep, to)
      : serviceHref('/', to);
  }
  const detail = /^\/(releases|incidents)\/[^/]+$/.exec(path);
  return serviceHref(detail ? `/${detail[1]}` : path + keep, to);
}
