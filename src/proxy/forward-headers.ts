// Header rewriting in both directions: hop-by-hop fields removed (RFC 9110 §7.6.1, plus those
// named in Connection), Host kept, X-Forwarded-For appended, X-Forwarded-Proto/-Host set by the
// proxy (never trusted from the client), X-Request-Id kept or generated.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** What to do with a request header, by lower-cased name. */
const SKIP = 1;
const CONNECTION = 2;
const XFF = 3;
const REQUEST_ID = 4;
const HOST = 5;

const REQUEST_RULES = new Map<string, number>(
  Object.entries({
    connection: CONNECTION,
    'keep-alive': SKIP,
    'proxy-connection': SKIP,
    'proxy-authenticate': SKIP,
    'proxy-authorization': SKIP,
    te: SKIP,
    trailer: SKIP,
    'transfer-encoding': SKIP,
    // An Upgrade request's Connection and Upgrade fields are written by undici (its `upgrade` option).
    upgrade: SKIP,
    // Node answers `Expect: 100-continue` itself; undici refuses to send the field.
    expect: SKIP,
    'x-forwarded-for': XFF,
    'x-forwarded-proto': SKIP,
    'x-forwarded-host': SKIP,
    'x-request-id': REQUEST_ID,
    host: HOST,
  }),
);

const RESPONSE_HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-request-id',
]);

const PLAIN_CONNECTION_TOKENS = new Set(['keep-alive', 'close', 'upgrade']);

export interface UpstreamRequestHead {
  /** Flat [name, value, name, value…] list, as undici and Node accept. */
  headers: string[];
  requestId: string;
}

/** Builds the headers sent to a backend. */
export function buildUpstreamHeaders(req: IncomingMessage): UpstreamRequestHead {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let xff: string | undefined;
  let requestId: string | undefined;
  let host: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const rule = REQUEST_RULES.get(name.toLowerCase());
    if (rule === undefined) {
      out.push(name, value);
    } else if (rule === HOST) {
      host ??= value;
      out.push(name, value);
    } else if (rule === XFF) {
      xff = xff === undefined ? value : `${xff}, ${value}`;
    } else if (rule === REQUEST_ID) {
      requestId ??= value;
    } else if (rule === CONNECTION) {
      connection = connection === undefined ? value : `${connection}, ${value}`;
    }
  }
  if (connection !== undefined) dropConnectionNamed(out, connection);
  const client = req.socket.remoteAddress ?? '';
  requestId ??= randomUUID();
  out.push(
    'x-forwarded-for',
    xff === undefined ? client : `${xff}, ${client}`,
    'x-forwarded-proto',
    // What the client spoke to this listener.
    (req.socket as TLSSocket).encrypted === true ? 'https' : 'http',
    'x-request-id',
    requestId,
  );
  if (host !== undefined) out.push('x-forwarded-host', host);
  return { headers: out, requestId };
}

/**
 * Fields of a backend's response that go to the client, as a flat list, with X-Request-Id added,
 * and `extra` ([lower-case name, value…], the edge's security headers) where the backend set none.
 */
export function buildClientHeaders(
  headers: IncomingHttpHeaders,
  requestId: string,
  extra: readonly string[] = [],
): Array<string | string[]> {
  const out: Array<string | string[]> = [];
  const c = headers.connection;
  const connection = Array.isArray(c) ? c.join(',') : c;
  const named = connection && connection !== 'keep-alive' && connection !== 'close' ? connection : undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || RESPONSE_HOP_BY_HOP.has(name)) continue;
    out.push(name, value);
  }
  if (named !== undefined) dropConnectionNamed(out, named);
  out.push('x-request-id', requestId);
  for (let i = 0; i < extra.length; i += 2) {
    const name = extra[i] as string;
    if (headers[name] === undefined) out.push(name, extra[i + 1] as string);
  }
  return out;
}

function dropConnectionNamed(out: Array<string | string[]>, connection: string): void {
  const named = new Set<string>();
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t && !PLAIN_CONNECTION_TOKENS.has(t)) named.add(t);
  }
  if (named.size === 0) return;
  for (let i = out.length - 2; i >= 0; i -= 2) {
    if (named.has((out[i] as string).toLowerCase())) out.splice(i, 2);
  }
}
