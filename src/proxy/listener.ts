// One listener of an environment: node:http, or node:https when the environment has TLS (with
// its certificate watched, and an optional plain listener redirecting to it). Requests read the
// listener's current routing table at arrival, so swapping `table` is atomic for new requests and
// invisible to running ones; the table carries the compiled edge (limits, headers) with it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import { compileEdge, type Edge } from './edge.ts';
import { answerClientError } from './edge-refusals.ts';
import type { ForwardContext } from './forward-context.ts';
import { forwardRequest } from './http-forwarder.ts';
import { formatListenAddress, type ListenAddress, parseListenAddress } from './listen-address.ts';
import { ListenError, listenOn } from './listener-socket.ts';
import { closeRedirectListener, openRedirectListener, type RedirectListener } from './redirect-listener.ts';
import type { RoutingTable } from './routing-table.ts';
import {
  loadTlsMaterial,
  TlsFileError,
  type TlsFiles,
  type TlsMaterial,
  type TlsWatch,
  warnIfExpired,
  watchTlsFiles,
} from './tls-material.ts';
import type { EnvironmentRoute } from './types.ts';
import { forwardUpgrade } from './upgrade-forwarder.ts';

export { ListenError } from './listener-socket.ts';

// Above the idle timeouts of common load balancers and clients (60 s), so the proxy is not the
// side that closes a connection a client is about to reuse.
export const CLIENT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
export const CLIENT_HEADERS_TIMEOUT_MS = 66_000;
/** Node's own limit, used when an environment sets none. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const IDLE_SWEEP_MS = 200;

export interface ListenerOptions {
  logger: Logger;
  tlsWatchIntervalMs: number;
  /** Bind with SO_REUSEPORT (the data plane's workers and handover share ports this way). */
  reusePort: boolean;
}

export interface Listener {
  environment: string;
  /** The address as asked, `host:port` (port may be 0). */
  readonly requested: string;
  /** What a running server cannot change: its scheme and header limit (see shapeOf). */
  readonly shape: string;
  route: EnvironmentRoute;
  /** Null until the first apply() that opened the listener commits its table. */
  table: RoutingTable | null;
  edge: Edge;
  readonly server: Server | HttpsServer;
  tls: { files: TlsFiles; watch: TlsWatch } | null;
  redirect: RedirectListener | null;
  readonly upgraded: Set<Duplex>;
  /** Requests that arrived between listen() and the first table; commitTable serves them. */
  readonly waiting: Array<() => void>;
  closing: Promise<void> | null;
}

/** A listener can be reused for a route only when this matches; otherwise it is replaced. */
export function shapeOf(route: EnvironmentRoute): string {
  const edge = route.edge;
  return `${edge?.tls ? 'https' : 'http'} ${edge?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES}`;
}

/** The certificate and key a new listener for `route` will serve; throws a ListenError naming the file. */
export function loadListenerTls(route: EnvironmentRoute): TlsMaterial | undefined {
  const files = route.edge?.tls;
  return files ? loadTls(route.environment, route.listen, files) : undefined;
}

/** Opens a listener for `route`, serving HTTPS with `material` (from loadListenerTls) when it has TLS. */
export async function openListener(
  ctx: ForwardContext,
  route: EnvironmentRoute,
  addr: ListenAddress,
  opts: ListenerOptions,
  material: TlsMaterial | undefined,
): Promise<Listener> {
  const environment = route.environment;
  const tlsFiles = route.edge?.tls;
  const maxHeaderBytes = route.edge?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const common = {
    keepAliveTimeout: CLIENT_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: CLIENT_HEADERS_TIMEOUT_MS,
    noDelay: true,
    optimizeEmptyRequests: true,
    maxHeaderSize: maxHeaderBytes,
  };
  const server = material
    ? createHttpsServer({ ...common, cert: material.cert, key: material.key })
    : createServer(common);
  const listener: Listener = {
    environment,
    requested: formatListenAddress(addr),
    shape: shapeOf(route),
    route,
    table: null,
    edge: compileEdge(route.edge),
    server,
    tls: null,
    redirect: null,
    upgraded: new Set(),
    waiting: [],
    closing: null,
  };
  const waiting = listener.waiting;
  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const table = listener.table;
    if (listener.closing) res.shouldKeepAlive = false;
    if (table) forwardRequest(ctx, table, req, res, expectsContinue);
    else waiting.push(() => forwardRequest(ctx, listener.table as RoutingTable, req, res, expectsContinue));
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, false));
  // Answering `Expect: 100-continue` ourselves lets a refused body (413, 429) never be sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(ctx.sink, listener.environment, err, socket, maxHeaderBytes),
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    listener.upgraded.add(socket);
    socket.once('close', () => listener.upgraded.delete(socket));
    const table = listener.table;
    if (table) forwardUpgrade(ctx, table, req, socket, head);
    else waiting.push(() => forwardUpgrade(ctx, listener.table as RoutingTable, req, socket, head));
  });
  await listenOn(server, environment, addr, 'listen', opts.reusePort);
  try {
    await setRedirect(listener, route, opts);
  } catch (err) {
    server.close();
    throw err;
  }
  if (tlsFiles && material) {
    listener.tls = { files: tlsFiles, watch: watchTls(listener, tlsFiles, opts) };
    warnIfExpired(opts.logger, environment, tlsFiles.certFile, material);
  }
  return listener;
}

/**
 * Brings a reused listener's edge in line with `route`: new certificate files are loaded and a
 * moved redirect listener opened before anything changes, so a failure leaves the listener as it
 * was (and throws a ListenError).
 */
export async function updateListener(listener: Listener, route: EnvironmentRoute, opts: ListenerOptions) {
  const before = listener.edge.settings;
  const next = route.edge;
  const files = next?.tls;
  const filesChanged =
    files !== undefined &&
    (files.certFile !== listener.tls?.files.certFile || files.keyFile !== listener.tls?.files.keyFile);
  const material = filesChanged ? loadTls(route.environment, route.listen, files) : undefined;
  if ((before?.tls?.redirectHttp ?? '') !== (next?.tls?.redirectHttp ?? ''))
    await setRedirect(listener, route, opts);
  if (files && material) {
    (listener.server as HttpsServer).setSecureContext({ cert: material.cert, key: material.key });
    listener.tls?.watch.stop();
    listener.tls = { files, watch: watchTls(listener, files, opts) };
    opts.logger.info(
      { environment: route.environment, subject: material.subject },
      'TLS certificate files changed',
    );
  }
  listener.edge = compileEdge(next, listener.edge);
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
 * Stops accepting connections at once (the port is free again right away), lets running requests
 * finish (idle keep-alive connections are closed as they become idle), and cuts whatever is left
 * after `graceMs`. With `lingerMs`, idle keep-alive connections stay open that long first, and
 * every request on them is answered with `Connection: close`: a client then leaves after a
 * response instead of racing a close with its next request (a handover to another process on the
 * same port).
 */
export function closeListener(listener: Listener, graceMs: number, lingerMs = 0): Promise<void> {
  listener.closing ??= new Promise<void>((resolve) => {
    const { server } = listener;
    listener.tls?.watch.stop();
    const redirect = listener.redirect ? closeRedirectListener(listener.redirect) : Promise.resolve();
    let sweep: NodeJS.Timeout | undefined;
    const startSweeping = () => {
      sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      if (listener.upgraded.size === 0) server.closeIdleConnections();
    };
    const linger = lingerMs > 0 ? setTimeout(startSweeping, lingerMs) : undefined;
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      for (const s of listener.upgraded) s.destroy();
    }, graceMs);
    const closed = () => {
      clearTimeout(linger);
      clearInterval(sweep);
      clearTimeout(deadline);
      redirect.then(() => resolve());
    };
    if (linger) {
      // net's close stops accepting without http's closing of idle connections.
      netServerClose.call(server, closed);
    } else {
      server.close(closed);
      startSweeping();
    }
  });
  return listener.closing;
}

const netServerClose = NetServer.prototype.close;

/** Opens the route's redirect listener (if any) in place of the current one. */
async function setRedirect(
  listener: Listener,
  route: EnvironmentRoute,
  opts: ListenerOptions,
): Promise<void> {
  const wanted = route.edge?.tls?.redirectHttp;
  const old = listener.redirect;
  const addr = wanted ? parseListenAddress(route.environment, wanted) : undefined;
  if (addr && old?.requested === formatListenAddress(addr)) return;
  const httpsPort = () => boundAddress(listener)?.port ?? 443;
  listener.redirect = addr
    ? await openRedirectListener(route.environment, addr, httpsPort, opts.reusePort)
    : null;
  if (old) void closeRedirectListener(old);
}

function loadTls(environment: string, listen: string, files: TlsFiles): TlsMaterial {
  try {
    return loadTlsMaterial(environment, files);
  } catch (err) {
    if (err instanceof TlsFileError) throw new ListenError(environment, listen, 'TLS_FILES', err.message);
    throw err;
  }
}

function watchTls(listener: Listener, files: TlsFiles, opts: ListenerOptions): TlsWatch {
  return watchTlsFiles({
    environment: listener.environment,
    files,
    intervalMs: opts.tlsWatchIntervalMs,
    logger: opts.logger,
    onLoad: (m) => (listener.server as HttpsServer).setSecureContext({ cert: m.cert, key: m.key }),
  });
}
