// One node:http listener of an environment. Requests read the listener's current routing table at
// arrival, so swapping `table` is atomic for new requests and invisible to running ones.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ForwardContext, forwardRequest } from './http-forwarder.ts';
import { formatListenAddress, type ListenAddress } from './listen-address.ts';
import type { RoutingTable } from './routing-table.ts';
import type { EnvironmentRoute } from './types.ts';
import { forwardUpgrade } from './upgrade-forwarder.ts';

// Above the idle timeouts of common load balancers and clients (60 s), so the proxy is not the
// side that closes a connection a client is about to reuse.
export const CLIENT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
export const CLIENT_HEADERS_TIMEOUT_MS = 66_000;
const IDLE_SWEEP_MS = 200;

export interface Listener {
  environment: string;
  /** The address as asked, `host:port` (port may be 0). */
  readonly requested: string;
  route: EnvironmentRoute;
  /** Null until the first apply() that opened the listener commits its table. */
  table: RoutingTable | null;
  readonly server: Server;
  readonly upgraded: Set<Duplex>;
  /** Requests that arrived between listen() and the first table; commitTable serves them. */
  readonly waiting: Array<() => void>;
  closing: Promise<void> | null;
}

export async function openListener(
  ctx: ForwardContext,
  environment: string,
  route: EnvironmentRoute,
  addr: ListenAddress,
): Promise<Listener> {
  const server = createServer({
    keepAliveTimeout: CLIENT_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: CLIENT_HEADERS_TIMEOUT_MS,
    noDelay: true,
    optimizeEmptyRequests: true,
  });
  const listener: Listener = {
    environment,
    requested: formatListenAddress(addr),
    route,
    table: null,
    server,
    upgraded: new Set(),
    waiting: [],
    closing: null,
  };
  const waiting = listener.waiting;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const table = listener.table;
    if (listener.closing) res.shouldKeepAlive = false;
    if (table) forwardRequest(ctx, table, req, res);
    else waiting.push(() => forwardRequest(ctx, listener.table as RoutingTable, req, res));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    listener.upgraded.add(socket);
    socket.once('close', () => listener.upgraded.delete(socket));
    const table = listener.table;
    if (table) forwardUpgrade(ctx, table, req, socket, head);
    else waiting.push(() => forwardUpgrade(ctx, listener.table as RoutingTable, req, socket, head));
  });
  await listen(server, environment, addr);
  return listener;
}

/** Installs a listener's routing table; the first call also serves requests that waited for it. */
export function commitTable(listener: Listener, route: EnvironmentRoute, table: RoutingTable): void {
  listener.route = route;
  listener.environment = route.environment;
  listener.table = table;
  for (const serve of listener.waiting.splice(0)) serve();
}

export function boundAddress(listener: Listener): { host: string; port: number } | undefined {
  const a = listener.server.address();
  return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
}

/**
 * Stops accepting connections, lets running requests finish (idle keep-alive connections are
 * closed as they become idle), and cuts whatever is left after `graceMs`.
 */
export function closeListener(listener: Listener, graceMs: number): Promise<void> {
  listener.closing ??= new Promise<void>((resolve) => {
    const { server } = listener;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      for (const s of listener.upgraded) s.destroy();
    }, graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    if (listener.upgraded.size === 0) server.closeIdleConnections();
  });
  return listener.closing;
}

function listen(server: Server, environment: string, addr: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(environment, addr, err));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: addr.host, port: addr.port });
  });
}

export class ListenError extends Error {
  readonly environment: string;
  readonly listen: string;
  readonly code: string | undefined;
  constructor(environment: string, listen: string, code: string | undefined, message: string) {
    super(message);
    this.name = 'ListenError';
    this.environment = environment;
    this.listen = listen;
    this.code = code;
  }
}

function listenError(environment: string, addr: ListenAddress, err: NodeJS.ErrnoException): ListenError {
  const where = formatListenAddress(addr);
  const why =
    err.code === 'EADDRINUSE'
      ? 'the address is already in use (EADDRINUSE): stop the process using it or choose another port'
      : err.code === 'EACCES'
        ? 'permission denied (EACCES): ports below 1024 need privileges; choose a port above 1023'
        : err.code === 'EADDRNOTAVAIL'
          ? 'the address is not available on this machine (EADDRNOTAVAIL): check the host part'
          : `${err.code ?? err.message}`;
  return new ListenError(
    environment,
    where,
    err.code,
    `environment ${environment}: cannot listen on ${where}: ${why} (environments.${environment}.listen in gantry.yaml)`,
  );
}
