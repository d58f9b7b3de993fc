// Upgrade (WebSocket) requests go through forwardRequest like any other (the same checks, limits,
// headers, backend choice, retries and record), answered through a ServerResponse bound to the
// raw client socket. Only a 101 from the backend turns the connection into a tunnel, piped both
// ways until either side closes; the backend counts as in flight meanwhile, so drain() waits for
// open WebSockets. Any other answer reaches the client as a plain response and the connection
// closes after it: what the client sent behind the request is never forwarded, neither as tunnel
// bytes nor as requests of its own (they would have passed the edge unchecked).
import { type IncomingHttpHeaders, type IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type EdgeRefusal, LINGER_MS } from './edge-refusals.ts';
import type { ForwardContext } from './forward-context.ts';
import { forwardRequest } from './http-forwarder.ts';
import { recordRequest } from './record-request.ts';
import type { RouteOwner } from './route-key.ts';
import type { RoutingTable } from './routing-table.ts';
import type { MetricsSink } from './types.ts';

export function forwardUpgrade(
  ctx: ForwardContext,
  table: RoutingTable,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): void {
  client.on('error', () => client.destroy());
  const socket = client as Socket & { _httpMessage?: ServerResponse | null };
  // An Upgrade pipelined behind a request still being answered waits for that answer to go out
  // (node:http detaches it from the socket when it finishes): the socket carries one at a time.
  const previous = socket._httpMessage;
  if (previous && !previous.writableFinished) {
    previous.once('finish', () => forwardUpgrade(ctx, table, req, client, head));
    return;
  }
  if (previous) previous.detachSocket(socket);
  const res = new ServerResponse(req);
  res.assignSocket(socket);
  res.shouldKeepAlive = false;
  // node:http's server passes its sockets' 'drain' on to their response; this one is ours to pass.
  const onDrain = () => res.emit('drain');
  socket.on('drain', onDrain);
  res.once('finish', () => {
    socket.off('drain', onDrain);
    res.detachSocket(socket);
    closeAfterAnswer(socket);
  });
  forwardRequest(ctx, table, req, res, false, {
    protocol: req.headers.upgrade ?? '',
    tunnel(headers, upstream, requestId, done) {
      socket.off('drain', onDrain);
      res.detachSocket(socket);
      openTunnel(client, upstream, switchingProtocolsHead(headers, requestId), head, done);
    },
  });
}

/** Refuses an Upgrade request no route was chosen for (an unknown host): the answer, then close. */
export function refuseUpgrade(
  sink: MetricsSink,
  owner: RouteOwner,
  req: IncomingMessage,
  client: Duplex,
  refusal: EdgeRefusal,
): void {
  const start = performance.now();
  const at = Date.now();
  client.on('error', () => client.destroy());
  const socket = client as Socket & { _httpMessage?: ServerResponse | null };
  const previous = socket._httpMessage;
  if (previous && !previous.writableFinished) {
    previous.once('finish', () => refuseUpgrade(sink, owner, req, client, refusal));
    return;
  }
  const r = refusal.response;
  client.write(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${r.body.length}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n`,
  );
  client.write(r.body);
  closeAfterAnswer(socket);
  recordRequest(sink, owner, undefined, req.method ?? '', r.status, start, at, r.kind);
}

/**
 * Ends the client's connection once its answer is out. What the client sent behind the request is
 * read and dropped meanwhile (bounded by LINGER_MS): closing with unread data would make the
 * kernel reset the connection, and the client could lose the answer.
 */
function closeAfterAnswer(socket: Socket): void {
  socket.end();
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
  socket.resume();
}

/**
 * Carries bytes both ways until either side is done. Like nginx, the tunnel ends when either side
 * ends or closes: what is already on its way is flushed to the other side, then both connections
 * close. Without this, a client gone quietly (FIN) kept the tunnel, and its backend in flight, for
 * as long as the backend kept its side open. LINGER_MS bounds a peer that does not read what is left.
 */
function openTunnel(client: Duplex, upstream: Duplex, responseHead: string, head: Buffer, done: () => void) {
  let open = 2;
  let cut: NodeJS.Timeout | undefined;
  const finish = () => {
    if (cut !== undefined) return;
    cut = setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, LINGER_MS);
    cut.unref();
    for (const side of [client, upstream]) side.end(() => side.destroy());
  };
  const closedOne = () => {
    finish();
    if (--open > 0) return;
    clearTimeout(cut);
    done();
  };
  upstream.on('error', () => upstream.destroy());
  client.once('end', finish);
  upstream.once('end', finish);
  client.once('close', closedOne);
  upstream.once('close', closedOne);
  client.write(responseHead, 'latin1');
  // Bytes the client sent right behind its request head belong to the new protocol.
  if (head.length > 0) upstream.write(head);
  upstream.pipe(client);
  client.pipe(upstream);
}

/** The backend's 101 as the client gets it: its headers (Connection and Upgrade included) and the request id. */
function switchingProtocolsHead(headers: IncomingHttpHeaders, requestId: string): string {
  let s = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) s += `${name}: ${v}\r\n`;
  }
  if (headers['x-request-id'] === undefined) s += `x-request-id: ${requestId}\r\n`;
  return `${s}\r\n`;
}
