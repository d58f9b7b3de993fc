// One proxied HTTP request, up to the exchange with a backend (proxy-exchange.ts): a malformed
// request and the edge's limits are refused before a backend is chosen, and an environment without
// a ready backend gets its 503. An Upgrade request goes the same way and becomes a tunnel only when
// the backend answers 101; any other answer reaches the client as a plain response
// (upgrade-forwarder.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkEdge, refuseRequest } from './edge-refusals.ts';
import { noBackendResponse, sendProxyError } from './error-responses.ts';
import type { ForwardContext, UpgradeRequest } from './forward-context.ts';
import { buildUpstreamHeaders } from './forward-headers.ts';
import { ProxyExchange } from './proxy-exchange.ts';
import { recordRequest } from './record-request.ts';
import { checkRequestHead, malformedResponse } from './request-check.ts';
import { chooseBackend, type RoutingTable } from './routing-table.ts';

export function forwardRequest(
  ctx: ForwardContext,
  table: RoutingTable,
  req: IncomingMessage,
  res: ServerResponse,
  expectsContinue = false,
  upgrade?: UpgradeRequest,
): void {
  const start = performance.now();
  const at = Date.now();
  const edge = table.edge;
  const defect = checkRequestHead(req, upgrade !== undefined);
  if (defect) {
    const refusal = { response: malformedResponse(defect) };
    refuseRequest(ctx.sink, table, req, res, refusal, start, at, edge.headers);
    return;
  }
  if (edge.limiter !== null || edge.maxBody >= 0) {
    const refusal = checkEdge(edge, table.environment, req, start);
    if (refusal) {
      refuseRequest(ctx.sink, table, req, res, refusal, start, at, edge.headers);
      return;
    }
  }
  if (expectsContinue) res.writeContinue();
  const head = buildUpstreamHeaders(req);
  const backend = chooseBackend(table, req);
  if (!backend) {
    const e = noBackendResponse(table.environment);
    sendProxyError(res, e, head.requestId, ctx.retryAfter, edge.headers);
    recordRequest(ctx.sink, table, undefined, req.method ?? '', e.status, start, at, e.kind);
    return;
  }
  const { headers, requestId } = head;
  new ProxyExchange({ ctx, table, req, res, headers, requestId, start, at, upgrade }).dispatch(backend);
}
