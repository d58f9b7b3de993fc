// One proxied exchange: a handler object given to undici's dispatch() that writes the backend's
// response straight into the client's ServerResponse (no intermediate stream or promise), retries
// connection failures of body-less idempotent requests on another backend, hands a 101 answer to an
// Upgrade request's tunnel, and records the request exactly once. Every way it ends gives the
// backend back to the registry (drain() counts on it) and leaves undici's connection usable.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { BackendState } from './backend-registry.ts';
import { isBodyTooLarge, limitBody, needsCounting } from './body-limit.ts';
import { bodyTooLargeResponse, lingerOnBody } from './edge-refusals.ts';
import { classifyUpstreamError, sendProxyError, upstreamErrorResponse } from './error-responses.ts';
import type { ForwardContext, UpgradeRequest } from './forward-context.ts';
import { buildClientHeaders } from './forward-headers.ts';
import { recordRequest } from './record-request.ts';
import { unsendableResponse } from './request-check.ts';
import { chooseRetryBackend, type RoutingTable } from './routing-table.ts';

/** What an exchange starts from: the request, where it goes, and when it arrived. */
export interface ExchangeInit {
  ctx: ForwardContext;
  table: RoutingTable;
  req: IncomingMessage;
  res: ServerResponse;
  /** The request's headers as sent upstream (buildUpstreamHeaders) and its id. */
  headers: string[];
  requestId: string;
  /** performance.now() and Date.now() when the request arrived. */
  start: number;
  at: number;
  upgrade: UpgradeRequest | undefined;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
// Status recorded when the client went away before any response header was sent (nginx's 499).
const CLIENT_CLOSED = 499;
// What undici throws while building a request it will not send. Before the request started, such an
// error means the check of request-check.ts let through something undici refuses.
const REFUSED_BY_UNDICI = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

export class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly #ctx: ForwardContext;
  readonly #table: RoutingTable;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #headers: string[];
  readonly #requestId: string;
  readonly #start: number;
  readonly #at: number;
  readonly #hasBody: boolean;
  readonly #body: IncomingMessage | AsyncIterable<Buffer> | null;
  readonly #upgrade: UpgradeRequest | undefined;
  #backend: BackendState | null = null;
  #tried: BackendState[] | null = null;
  #controller: Dispatcher.DispatchController | null = null;
  #sent = false;
  #status = 0;
  /** Body bytes still expected by Content-Length, or -1 when the length is unknown. */
  #remaining = -1;
  #ended = false;
  #done = false;
  #resume: (() => void) | null = null;

  constructor(init: ExchangeInit) {
    const { ctx, table, req, res, upgrade } = init;
    this.#ctx = ctx;
    this.#table = table;
    this.#req = req;
    this.#res = res;
    this.#headers = init.headers;
    this.#requestId = init.requestId;
    this.#start = init.start;
    this.#at = init.at;
    this.#upgrade = upgrade;
    const h = req.headers;
    // An Upgrade request has no body (request-check.ts): what follows its head belongs to the tunnel.
    this.#hasBody =
      upgrade === undefined &&
      (h['transfer-encoding'] !== undefined ||
        (h['content-length'] !== undefined && h['content-length'] !== '0'));
    const maxBody = table.edge.maxBody;
    this.#body = !this.#hasBody ? null : needsCounting(req, maxBody) ? limitBody(req, maxBody) : req;
    res.on('close', () => this.#onClientClose());
  }

  dispatch(backend: BackendState): void {
    const registry = this.#ctx.registry;
    registry.acquire(backend);
    this.#backend = backend;
    this.#sent = false;
    this.#controller = null;
    const req = this.#req;
    try {
      registry.upstreamOf(backend).dispatch(
        {
          path: req.url ?? '/',
          method: req.method as Dispatcher.HttpMethod,
          headers: this.#headers,
          // undici streams async iterables too; its types only list streams and buffers.
          body: this.#body as Dispatcher.DispatchOptions['body'],
          upgrade: this.#upgrade?.protocol,
        },
        this,
      );
    } catch (err) {
      this.onResponseError(null, err as Error);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#sent = true;
    if (this.#done) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.#status = statusCode;
    if (this.#done) return;
    const length = headers['content-length'];
    this.#remaining = length !== undefined && this.#req.method !== 'HEAD' ? Number(length) : -1;
    const out = buildClientHeaders(headers, this.#requestId, this.#table.edge.headers);
    if (statusMessage) this.#res.writeHead(statusCode, statusMessage, out);
    else this.#res.writeHead(statusCode, out);
  }

  /** The backend agreed to switch protocols (101): from now on bytes flow both ways untouched. */
  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    const backend = this.#backend;
    const upgrade = this.#upgrade;
    if (this.#done || !backend || !upgrade) {
      // The client left while the backend answered: nothing is left to connect it to.
      socket.destroy();
      return;
    }
    this.#done = true;
    this.#status = statusCode;
    // For an upgrade, latency is the time to the backend's answer, not the tunnel's lifetime.
    this.#record(backend, statusCode, undefined);
    const registry = this.#ctx.registry;
    upgrade.tunnel(headers, socket, this.#requestId, () => registry.release(backend));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    if (this.#remaining > 0) {
      this.#remaining -= chunk.length;
      if (this.#remaining === 0) {
        // The last chunk goes out with end(): one write instead of two on small responses.
        this.#ended = true;
        this.#res.end(chunk);
        return;
      }
    }
    if (this.#res.write(chunk)) return;
    // The client reads slower than the backend writes: stop reading from the backend until the
    // client catches up, so nothing piles up in memory.
    controller.pause();
    this.#resume ??= () => this.#controller?.resume();
    this.#res.once('drain', this.#resume);
  }

  onResponseEnd(): void {
    if (this.#done) return;
    if (!this.#ended) this.#res.end();
    this.#finish(this.#status, undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#done) return;
    // The whole body already went to the client: whatever broke afterwards did not affect it.
    if (this.#ended) {
      this.#finish(this.#status, undefined);
      return;
    }
    if (isBodyTooLarge(err)) {
      this.#refuseBody();
      return;
    }
    if (!this.#sent && REFUSED_BY_UNDICI.has(errorCode(err))) {
      this.#refuseUnsendable(err);
      return;
    }
    const f = classifyUpstreamError(err, this.#sent);
    const res = this.#res;
    if (res.headersSent) {
      this.#log(err, f.kind);
      // Headers already went out: the client can only learn of the failure by the connection
      // being cut, so it never mistakes a truncated body for a complete one.
      this.#finish(this.#status, f.kind);
      res.destroy();
      return;
    }
    const retry = f.beforeSend ? this.#chooseRetry() : undefined;
    if (retry) {
      this.#ctx.registry.release(this.#backend as BackendState);
      this.dispatch(retry);
      return;
    }
    this.#log(err, f.kind);
    const e = upstreamErrorResponse(this.#table.environment, f);
    // An unread request body would corrupt the next request on this connection.
    if (!this.#req.complete) res.shouldKeepAlive = false;
    sendProxyError(res, e, this.#requestId, undefined, this.#table.edge.headers);
    this.#finish(e.status, e.kind);
  }

  /** The body grew past the limit while streaming: the backend got less than the limit. */
  #refuseBody(): void {
    const res = this.#res;
    if (res.headersSent) {
      // The backend answered before reading it all; the answer cannot be completed honestly.
      this.#finish(this.#status, 'body_too_large');
      res.destroy();
      return;
    }
    this.#ctx.registry.release(this.#backend as BackendState);
    this.#backend = null;
    lingerOnBody(this.#req);
    const e = bodyTooLargeResponse(this.#table.environment, this.#table.edge.maxBody);
    sendProxyError(res, e, this.#requestId, undefined, this.#table.edge.headers);
    this.#finish(e.status, e.kind);
  }

  /**
   * undici refused to build the request (request-check.ts should have caught it). It has then also
   * marked one of the pool's connections busy for good (undici 8 counts the failed dispatch as a
   * busy client), so the pool is replaced before it runs out of connections; and the request is
   * the client's fault, not the version's.
   */
  #refuseUnsendable(err: Error): void {
    const backend = this.#backend as BackendState;
    this.#ctx.logger.error(
      {
        environment: this.#table.environment,
        instance: backend.id,
        code: errorCode(err),
        reason: err.message,
      },
      "a request passed the proxy's checks but the upstream client refused it; its connection pool is replaced",
    );
    this.#ctx.registry.replaceUpstream(backend);
    this.#ctx.registry.release(backend);
    this.#backend = null;
    const res = this.#res;
    res.shouldKeepAlive = false;
    const e = unsendableResponse();
    sendProxyError(res, e, this.#requestId, undefined, this.#table.edge.headers);
    this.#finish(e.status, e.kind);
  }

  #chooseRetry(): BackendState | undefined {
    const ctx = this.#ctx;
    if (!ctx.retryConnectFailures || this.#hasBody || !IDEMPOTENT.has(this.#req.method ?? ''))
      return undefined;
    const tried = this.#tried ?? [];
    this.#tried = tried;
    tried.push(this.#backend as BackendState);
    if (tried.length >= ctx.maxAttempts) return undefined;
    const table = ctx.currentTable(this.#table.key) ?? this.#table;
    return chooseRetryBackend(table, tried);
  }

  #onClientClose(): void {
    if (this.#done) return;
    if (this.#ended) {
      this.#finish(this.#status, undefined);
      return;
    }
    this.#finish(this.#res.headersSent ? this.#status : CLIENT_CLOSED, 'client_abort');
    this.#controller?.abort(new Error('client closed the connection'));
  }

  #finish(status: number, error: string | undefined): void {
    this.#done = true;
    // No backend when the edge refused the request midway: it is not the version's doing.
    const b = this.#backend ?? undefined;
    if (b) this.#ctx.registry.release(b);
    this.#record(b, status, error);
  }

  #record(backend: BackendState | undefined, status: number, error: string | undefined): void {
    const { sink } = this.#ctx;
    recordRequest(sink, this.#table, backend, this.#req.method ?? '', status, this.#start, this.#at, error);
  }

  #log(err: Error, kind: string): void {
    const b = this.#backend;
    this.#ctx.logger.warn(
      {
        environment: this.#table.environment,
        instance: b?.id,
        version: b?.version,
        code: errorCode(err),
        kind,
      },
      'upstream request failed',
    );
  }
}

function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
