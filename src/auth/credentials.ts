// What a request presents: a bearer token (CLI, CI, Prometheus) or the dashboard's session cookie.
// The cookie is HttpOnly (no script reads it) and SameSite=Strict, so EventSource streams carry it
// without the token ever living in the page. SameSite does not stop a page of the same *site* (a
// sibling subdomain, another port of the same host: the services Gantry runs) from posting a form
// with it, so a change made with the cookie must also come from the dashboard's own origin.
import type { IncomingHttpHeaders } from 'node:http';

export const SESSION_COOKIE = 'gantry_session';

export type Presented =
  | { kind: 'bearer'; secret: string }
  | { kind: 'cookie'; secret: string }
  | { kind: 'none' }
  | { kind: 'malformed'; message: string };

export function presentedCredentials(headers: IncomingHttpHeaders): Presented {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!m?.[1]) {
      return {
        kind: 'malformed',
        message: 'the Authorization header is not `Bearer <token>`',
      };
    }
    return { kind: 'bearer', secret: m[1] };
  }
  const session = readCookie(headers.cookie, SESSION_COOKIE);
  if (session) return { kind: 'cookie', secret: session };
  return { kind: 'none' };
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The Set-Cookie value of a new session; `secure` when the dashboard is served over HTTPS. */
export function sessionCookie(value: string, expiresAt: string, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  return cookie(value, maxAge, secure);
}

export function clearedSessionCookie(secure: boolean): string {
  return cookie('', 0, secure);
}

function cookie(value: string, maxAge: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * Why a request that changes something, carrying the session cookie, did not come from a page of
 * this server (undefined when it did, or when no browser sent it). Browsers say where a request
 * comes from in Sec-Fetch-Site, older ones in Origin; a page elsewhere can set neither, nor
 * X-Forwarded-Host (a custom header needs a CORS preflight, which this server never grants).
 */
export function crossSiteReason(headers: IncomingHttpHeaders): string | undefined {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') {
    return site === 'same-origin' || site === 'none' ? undefined : `it was sent by a ${site} page`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const own = [headers.host, first(headers['x-forwarded-host'])];
  if (own.some((host) => host !== undefined && sameHost(origin, host))) return undefined;
  return `it was sent by a page of ${origin}, not of this server`;
}

/** Is `origin` (scheme://host[:port]) at `host` (a Host header), default ports aside? */
function sameHost(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    return new URL(`${from.protocol}//${host}`).host === from.host;
  } catch {
    return false;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

/** Was the dashboard reached over HTTPS (here, or at a proxy that terminates TLS in front)? */
export function reachedOverHttps(protocol: string, headers: IncomingHttpHeaders): boolean {
  return protocol === 'https' || first(headers['x-forwarded-proto'])?.toLowerCase() === 'https';
}
