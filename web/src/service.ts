// Which service the dashboard shows on a server with several: the page's path names it
// (/services/api/releases is the releases page of service api), so that a link says which service
// it is about, and the back button goes back to the service shown before. That service's data is
// asked for under /api/v1/services/api/…; what is about no service (the session, the list of
// services, tokens, the audit log) keeps its usual path. On a server with one service no path
// names a service, and the dashboard talks to the API's usual paths. This holds the state (the
// services, the one shown, the one remembered); service-paths.ts has the paths themselves.
import { GLOBAL_PAGES, prefixedHref, splitPath, switchHref } from './service-paths.ts';

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

/** A dashboard href (path and query) as one of `service`'s pages, unless it names one already. */
export const serviceHref = (href: string, service = chosenService()): string => prefixedHref(href, service);

/**
 * Where a page the address bar names should be instead, on a server with several services: `/`
 * is the overview of all of them, a service's page naming none is the chosen service's.
 */
export function canonicalHref(pathname: string, search: string): string | undefined {
  if (!multiService() || currentService() || GLOBAL_PAGES.test(pathname)) return undefined;
  return pathname === '/' ? `/services${search}` : serviceHref(pathname + search);
}

/** The page shown now, on service `to` (service-paths.ts switchHref). */
export function hrefOn(to: string): string {
  const envs = known.find((s) => s.name === to)?.environments ?? [];
  return switchHref(window.location.pathname, window.location.search, to, envs);
}
