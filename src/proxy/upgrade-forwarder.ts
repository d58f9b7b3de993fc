// Upgrade (WebSocket) passthrough: the backend is chosen like any request, the request head is
// rewritten and written on a raw connection, then both sockets are piped until either side closes.
// The exchange counts as in flight for its whole life, so drain() waits for open WebSockets.
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BackendState } from './backend-registry.ts';
import { rateLimited } from './edge-refusals.ts';
import { noBackendResponse, type ProxyErrorResponse, upstreamErrorResponse } from './error-responses.ts';
import { buildUpstreamHeaders } from './forward-headers.ts';
import type { ForwardContext } from './http-forwarder.ts';
import { recordRequest } from './record-request.ts';
import { chooseBackend, type RoutingTable } from './routing-table.ts';

export function forwardUpgrade(
  ctx: ForwardContext,
  table: RoutingTable,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): void {
  const start = performance.now();
  const at = Date.now();
  const { headers, requestId } = buildUpstreamHeaders(req, true);
  const method = req.method ?? 'GET';
  let recorded = false;
  const recordOnce = (backend: BackendState | undefined, status: number, error: string | undefined) => {
    if (recorded) return;
    recorded = true;
    // For an upgrade, latency is the time to the backend's answer, not the socket's lifetime.
    recordRequest(ctx.sink, table.environment, backend, method, status, start, at, error);
  };
  client.on('error', () => client.destroy());

  const limiter = table.edge.limiter;
  const wait = limiter === null ? 0 : limiter.take(table.edge.clientOf(req), start);
  if (wait > 0) {
    const refusal = rateLimited(table.environment, wait);
    writeRawError(client, refusal.response, requestId, refusal.retryAfter);
    recordOnce(undefined, refusal.response.status, refusal.response.kind);
    return;
  }

  const backend = chooseBackend(table, req);
  if (!backend) {
    const e = noBackendResponse(table.environment);
    writeRawError(client, e, requestId, ctx.retryAfter);
    recordOnce(undefined, e.status, e.kind);
    return;
  }

  ctx.registry.acquire(backend);
  // Nothing reads the client socket until it is piped; paused, it keeps early bytes buffered.
  client.pause();
  const upstream: Socket = connect({ host: backend.host, port: backend.port });
  upstream.setNoDelay(true);
  let connected = false;
  let answered = false;
  let closed = 0;
  const closedOne = () => {
    if (++closed === 2) ctx.registry.release(backend);
  };

  upstream.on('error', (err: NodeJS.ErrnoException) => {
    ctx.logger.warn(
      { environment: table.environment, instance: backend.id, version: backend.version, code: err.code },
      'upstream upgrade connection failed',
    );
  });
  upstream.on('close', (hadError: boolean) => {
    if (!answered) {
      answered = true;
      const kind = connected ? 'upstream_reset' : 'upstream_connect';
      const e = upstreamErrorResponse(table.environment, { kind, status: 502, beforeSend: !connected });
      if (!client.destroyed) writeRawError(client, e, requestId, undefined);
      recordOnce(backend, e.status, e.kind);
    } else if (hadError) {
      client.destroy();
    } else {
      client.end();
    }
    closedOne();
  });
  client.on('close', () => {
    if (!answered) {
      answered = true;
      recordOnce(backend, 499, 'client_abort');
    }
    upstream.destroy();
    closedOne();
  });

  upstream.once('connect', () => {
    connected = true;
    upstream.write(formatRequestHead(method, req.url ?? '/', headers));
    if (head.length > 0) upstream.write(head);
    upstream.once('data', (chunk: Buffer) => {
      answered = true;
      recordOnce(backend, parseStatus(chunk), undefined);
    });
    upstream.pipe(client);
    client.pipe(upstream);
  });
}

function formatRequestHead(method: string, url: string, headers: string[]): string {
  let s = `${method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${s}\r\n`;
}

/** Status code of an HTTP/1.x response head ("HTTP/1.1 101 …"), 0 when unreadable. */
function parseStatus(chunk: Buffer): number {
  if (chunk.length < 12 || chunk.toString('latin1', 0, 5) !== 'HTTP/') return 0;
  const status = Number(chunk.toString('latin1', 9, 12));
  return Number.isInteger(status) ? status : 0;
}

function writeRawError(
  client: Duplex,
  e: ProxyErrorResponse,
  requestId: string,
  retryAfter: string | undefined,
): void {
  const reason = STATUS_CODES[e.status] ?? 'Error';
  const extra = retryAfter === undefined ? '' : `Retry-After: ${retryAfter}\r\n`;
  client.end(
    `HTTP/1.1 ${e.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${e.body.length}\r\n` +
      `Cache-Control: no-store\r\nX-Request-Id: ${requestId}\r\n${extra}Connection: close\r\n\r\n${e.body.toString()}`,
  );
}
