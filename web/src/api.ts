// The dashboard's only way to the server: the HTTP API under /api/v1 (/api/v1/openapi.json). Paths
// about a service are asked about the one the page shows (/api/v1/services/SERVICE/… when it names one).
import type { ApiErrorBody } from '../../src/api/types.ts';
import { navigate } from './router.ts';
import { currentService } from './service.ts';
import { apiPath } from './service-paths.ts';
import { setCurrentUser } from './session.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The URL of an API path about the service the page shows (for EventSource, as for fetch). */
export const apiUrl = (path: string): string => apiPath(path, currentService());

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The Gantry server cannot be reached; check that it is running.');
  }
  const text = await res.text();
  // The session ended (expired, logged out elsewhere, token revoked): log in again, then come back.
  if (res.status === 401) goToLogin();
  if (!res.ok) {
    let parsed: ApiErrorBody | undefined;
    try {
      parsed = JSON.parse(text) as ApiErrorBody;
    } catch {}
    const e = parsed?.error;
    const message = e
      ? `${e.message}${e.hint ? ` — ${e.hint}` : ''}`
      : `${method} ${path}: HTTP ${res.status}`;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, message);
  }
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? JSON.parse(text) : text) as T;
}

export const getJson = <T>(path: string) => send<T>('GET', path);
export const getText = (path: string) => send<string>('GET', path);
export const postJson = <T>(path: string, body: unknown = {}) => send<T>('POST', path, body);

/** A query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function goToLogin(): void {
  setCurrentUser(undefined);
  const { pathname, search } = window.location;
  if (pathname === '/login') return;
  navigate(`/login?next=${encodeURIComponent(pathname + search)}`, true);
}
