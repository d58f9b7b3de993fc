// Requests refused at the edge, before a backend is chosen: 429 when the client has no token left,
// 413 when the declared body is over the limit (or, streamed, grows over it), 431 when the request
// head is too large (Node's parser reports it as a client error), 400/501 when it is malformed
// (request-check.ts). They are recorded with version '' so they never count against a version,
// nor in canary analysis.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { formatSize } from '../config/units.ts';
import type { Edge } from './edge.ts';
import { errorBody, type ProxyErrorResponse, sendProxyError } from './error-responses.ts';
import { recordRequest } from './record-request.ts';
import type { RouteOwner } from './route-key.ts';
import type { MetricsSink } from './types.ts';

/** How long a refused request's remaining body is read and dropped before its connection is cut. */
export const LINGER_MS = 5_000;

export interface EdgeRefusal {
  response: ProxyErrorResponse;
  retryAfter?: string;
}

/** The refusal of `req` at this edge, or undefined to let it through. */
export function checkEdge(
  edge: Edge,
  environment: string,
  req: IncomingMessage,
  now: number,
): EdgeRefusal | undefined {
  if (edge.limiter !== null) {
    const wait = edge.limiter.take(edge.clientOf(req), now);
    if (wait > 0) return rateLimited(environment, wait);
  }
  if (edge.maxBody >= 0) {
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > edge.maxBody) {
      return { response: bodyTooLargeResponse(environment, edge.maxBody) };
    }
  }
  return undefined;
}

export function rateLimited(environment: string, waitSeconds: number): EdgeRefusal {
  return {
    response: {
      status: 429,
      kind: 'rate_limited',
      body: errorBody(
        'RATE_LIMITED',
        `too many requests from this client to ${environment}`,
        `Wait ${waitSeconds} s (Retry-After) before sending more.`,
      ),
    },
    retryAfter: String(waitSeconds),
  };
}

export function bodyTooLargeResponse(environment: string, limit: number): ProxyErrorResponse {
  return {
    status: 413,
    kind: 'body_too_large',
    body: errorBody(
      'BODY_TOO_LARGE',
      `the request body is larger than the ${formatSize(limit)} ${environment} accepts`,
      `Send a smaller body, or raise environments.${environment}.limits.max_body in gantry.yaml.`,
    ),
  };
}

/** Sends a refusal and records it; a body left unread is drained (bounded) so the answer arrives. */
export function refuseRequest(
  sink: MetricsSink,
  owner: RouteOwner,
  req: IncomingMessage,
  res: ServerResponse,
  refusal: EdgeRefusal,
  start: number,
  at: number,
  headers: readonly string[] = [],
): void {
  const kind = refusal.response.kind;
  // A malformed request's own id is not echoed, and its connection is not reused: where its body
  // ends may be unclear.
  const id = kind === 'malformed_request' ? undefined : req.headers['x-request-id'];
  const requestId = typeof id === 'string' && id !== '' ? id : randomUUID();
  if (kind === 'body_too_large') lingerOnBody(req);
  if (kind === 'malformed_request') res.shouldKeepAlive = false;
  sendProxyError(res, refusal.response, requestId, refusal.retryAfter, headers);
  const r = refusal.response;
  recordRequest(sink, owner, undefined, req.method ?? '', r.status, start, at, r.kind);
}

/**
 * Reads and drops what is left of a refused body for a while, keeping the connection: closing it
 * with unread data would make the kernel reset it, and the client could lose the answer.
 */
export function lingerOnBody(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket;
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  const stop = () => {
    clearTimeout(cut);
    req.off('end', stop);
    socket.off('close', stop);
  };
  req.once('end', stop);
  socket.once('close', stop);
  req.resume();
}

/** The raw 431 (or other parse error) answer on a connection Node's parser gave up on. */
export function answerClientError(
  sink: MetricsSink,
  owner: RouteOwner,
  err: NodeJS.ErrnoException,
  socket: Duplex,
  maxHeaderBytes: number,
): void {
  // Mid-response (pipelining) nothing more can be written without corrupting that response.
  const idle = (socket as Duplex & { _httpMessage?: unknown })._httpMessage == null;
  if (err.code === 'ECONNRESET' || !socket.writable || !idle) {
    socket.destroy();
    return;
  }
  let answer: string;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const environment = owner.environment;
    const body = errorBody(
      'HEADER_TOO_LARGE',
      `the request line and headers are larger than the ${formatSize(maxHeaderBytes)} ${environment} accepts`,
      `Send fewer or smaller headers (cookies often grow), or raise environments.${environment}.limits.max_header_size in gantry.yaml.`,
    );
    answer = rawResponse(431, 'Request Header Fields Too Large', body);
    recordRequest(sink, owner, undefined, '', 431, performance.now(), Date.now(), 'header_too_large');
  } else {
    // The answers Node itself gives when no one listens for client errors.
    const [status, reason] = OTHER_CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
    answer = rawResponse(status, reason, Buffer.alloc(0));
  }
  socket.end(answer, () => socket.destroy());
}

const OTHER_CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
};

function rawResponse(status: number, reason: string, body: Buffer): string {
  const type = body.length > 0 ? 'Content-Type: application/json\r\n' : '';
  return (
    `HTTP/1.1 ${status} ${reason}\r\n${type}Content-Length: ${body.length}\r\n` +
    `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body.toString()}`
  );
}
