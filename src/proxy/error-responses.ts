// Responses the proxy produces itself (503 no backend, 502/504 upstream failures) and how an
// upstream error is classified. Bodies follow the API's error shape and never name an address.
import type { ServerResponse } from 'node:http';

export type ProxyErrorKind = 'no_backend' | 'upstream_connect' | 'upstream_timeout' | 'upstream_reset';
/** Requests refused at the edge, before any backend is involved (edge-refusals.ts). */
export type EdgeRefusalKind =
  | 'rate_limited'
  | 'body_too_large'
  | 'header_too_large'
  | 'malformed_request'
  | 'unknown_host'
  | 'misdirected_request';

export interface ProxyErrorResponse {
  status: number;
  kind: ProxyErrorKind | EdgeRefusalKind;
  body: Buffer;
}

export interface UpstreamFailure {
  kind: Exclude<ProxyErrorKind, 'no_backend'>;
  status: 502 | 504;
  /** The connection to the backend failed before the request could be sent: safe to retry. */
  beforeSend: boolean;
}

const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/**
 * `sent` tells whether undici had started writing the request on a connection; an error before
 * that is a connection failure whatever its code.
 */
export function classifyUpstreamError(err: unknown, sent: boolean): UpstreamFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'upstream_timeout', status: 504, beforeSend: !sent };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'upstream_timeout', status: 504, beforeSend: false };
  }
  if (!sent && typeof code === 'string' && CONNECT_ERROR_CODES.has(code)) {
    return { kind: 'upstream_connect', status: 502, beforeSend: true };
  }
  return { kind: 'upstream_reset', status: 502, beforeSend: false };
}

export function noBackendResponse(environment: string): ProxyErrorResponse {
  return {
    status: 503,
    kind: 'no_backend',
    body: errorBody(
      'NO_READY_INSTANCE',
      `environment ${environment} has no ready instance to serve this request`,
      `Check \`gantry status --env ${environment}\`: instances may be starting, failing their readiness probe, or stopped.`,
    ),
  };
}

export function upstreamErrorResponse(environment: string, f: UpstreamFailure): ProxyErrorResponse {
  const hint = `Check \`gantry status --env ${environment}\` and \`gantry logs --env ${environment}\`.`;
  if (f.kind === 'upstream_timeout') {
    return {
      status: 504,
      kind: f.kind,
      body: errorBody('GATEWAY_TIMEOUT', `an instance of ${environment} did not answer in time`, hint),
    };
  }
  const message =
    f.kind === 'upstream_connect'
      ? `no instance of ${environment} accepted the connection`
      : `the instance of ${environment} closed the connection before answering`;
  return { status: 502, kind: f.kind, body: errorBody('BAD_GATEWAY', message, hint) };
}

export function errorBody(code: string, message: string, hint: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code, message, hint } }));
}

/** `extra`: the edge's security headers ([lower-case name, value…]), owed to the proxy's own answers too. */
export function sendProxyError(
  res: ServerResponse,
  e: ProxyErrorResponse,
  requestId: string,
  retryAfter: string | undefined,
  extra: readonly string[] = [],
): void {
  const headers = [
    'content-type',
    'application/json',
    'content-length',
    String(e.body.length),
    'cache-control',
    'no-store',
    'x-request-id',
    requestId,
  ];
  if (retryAfter !== undefined) headers.push('retry-after', retryAfter);
  for (const h of extra) headers.push(h);
  res.writeHead(e.status, headers);
  res.end(e.body);
}
