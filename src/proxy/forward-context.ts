// What the forwarders share: the data plane's context for every request, and the contract between
// an Upgrade request and the exchange that forwards it.
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import type { BackendRegistry } from './backend-registry.ts';
import type { RoutingTable } from './routing-table.ts';
import type { MetricsSink } from './types.ts';

export interface ForwardContext {
  registry: BackendRegistry;
  sink: MetricsSink;
  logger: Logger;
  retryConnectFailures: boolean;
  /** Attempts per request in all, the first included. */
  maxAttempts: number;
  retryAfter: string;
  /** The route's table now, by route key, for retries (the request's own table may be out of date). */
  currentTable: (key: string) => RoutingTable | undefined;
}

/** An Upgrade request (WebSocket…): what to ask the backend for, and what to do once it agrees. */
export interface UpgradeRequest {
  /** The Upgrade header's value, sent to the backend. */
  protocol: string;
  /**
   * Called once the backend answered 101, with its response headers and connection; `done` is to
   * be called when both sides have closed (the backend counts as in flight until then).
   */
  tunnel(headers: IncomingHttpHeaders, upstream: Duplex, requestId: string, done: () => void): void;
}
