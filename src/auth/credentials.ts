// What a request presents: a bearer token (CLI, CI, Prometheus) or the dashboard's session cookie.
// The cookie is HttpOnly (no script reads it) and SameSite=Strict (no other site's page sends it),
// so EventSource streams carry it without the token ever living in the page.
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
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return [
    `${SESSION_COOKIE}=`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    'Max-Age=0',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
