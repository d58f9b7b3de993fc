// One listening socket and the routes it serves: node:http, or node:https when its routes have TLS
// (certificates chosen by SNI and watched, and an optional plain listener redirecting to it).
// Routes share a listener when each names hosts (host-routing.ts chooses among them); a route
// without hosts has its listener to itself. Requests read the listener's current routes at
// arrival, so swapping them is atomic for new requests and invisible to running ones; each
// route's table carries its compiled edge (limits, headers) with it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import { type AcmeChallenges, answerAcmeChallenge } from './acme-challenge.ts';
import { compileEdge, type Edge } from './edge.ts';
import { answerClientError, refuseRequest } from './edge-refusals.ts';
import type { ForwardContext } from './forward-context.ts';
import { chooseRoute, type ListenerRoutes } from './host-routing.ts';
import { forwardRequest } from './http-forwarder.ts';
import { formatListenAddress, type ListenAddress, parseListenAddress } from './listen-address.ts';
import {
  certificateSignature,
  contextForServerName,
  describeCertificate,
  type ListenerCertificates,
  loadListenerCertificates,
  watchCertificateFiles,
} from './listener-certificates.ts';
import { ListenError, listenOn } from './listener-socket.ts';
import { closeRedirectListener, openRedirectListener, type RedirectListener } from './redirect-listener.ts';
import { type RouteOwner, routeKeyOf } from './route-key.ts';
import type { RoutingTable } from './routing-table.ts';
import { type TlsWatch, warnIfExpired } from './tls-material.ts';
import type { EnvironmentRoute } from './types.ts';
import { forwardUpgrade, refuseUpgrade } from './upgrade-forwarder.ts';

export { ListenError } from './listener-socket.ts';

// Above the idle timeouts of common load balancers and clients (60 s), so the proxy is not the
// side that closes a connection a client is about to reuse.
export const CLIENT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
export const CLIENT_HEADERS_TIMEOUT_MS = 66_000;
/** Node's own limit, used when an environment sets none. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const IDLE_SWEEP_MS = 200;
/** Whom a refusal is recorded for on a listener shared by routes, before one was chosen. */
const NO_ROUTE: RouteOwner = { environment: '' };

export interface ListenerOptions {
  logger: Logger;
  tlsWatchIntervalMs: number;
  /** The ACME HTTP-01 answers now (acme-challenge.ts). */
  challenges: () => AcmeChallenges;
  /** Bind with SO_REUSEPORT (the data plane's workers and handover share ports this way). */
  reusePort: boolean;
}

export interface Listener {
  /** The address as asked, `host:port` (port may be 0). */
  readonly requested: string;
  /** What a running server cannot change: its scheme and header limit (see shapeOf). */
  readonly shape: string;
  /** The routes it serves, as last applied. */
  routes: EnvironmentRoute[];
  /** Null until the first apply() that opened the listener commits its tables. */
  served: ListenerRoutes | null;
  /** Compiled edges by route key, kept across applies (rate limiter buckets live in them). */
  edges: Map<string, Edge>;
  readonly server: Server | HttpsServer;
  tls: { certificates: ListenerCertificates; watches: TlsWatch[] } | null;
  redirect: RedirectListener | null;
  readonly upgraded: Set<Duplex>;
  /** Requests that arrived between listen() and the first tables; commitRoutes serves them. */
  readonly waiting: Array<() => void>;
  closing: Promise<void> | null;
}

/** A listener can be reused for a route only when this matches; otherwise it is replaced. */
export function shapeOf(route: EnvironmentRoute): string {
  const edge = route.edge;
  return `${edge?.tls ? 'https' : 'http'} ${edge?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES}`;
}

/** What routes name a listener by in logs and errors: `staging`, or `api/production, web/production`. */
export function describeRoutes(routes: readonly EnvironmentRoute[]): string {
  return routes.map(routeKeyOf).join(', ');
}

/** The certificates a new listener for `routes` will serve; throws a ListenError naming the file. */
export function loadListenerTls(routes: readonly EnvironmentRoute[]): ListenerCertificates | undefined {
  const first = routes[0];
  return first?.edge?.tls ? loadCertificates(routes) : undefined;
}

/** Opens a listener for `routes` (sharing `addr`), serving HTTPS with `certificates` when they have TLS. */
export async function openListener(
  ctx: ForwardContext,
  routes: EnvironmentRoute[],
  addr: ListenAddress,
  opts: ListenerOptions,
  certificates: ListenerCertificates | undefined,
): Promise<Listener> {
  const first = routes[0] as EnvironmentRoute;
  const maxHeaderBytes = first.edge?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const common = {
    keepAliveTimeout: CLIENT_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: CLIENT_HEADERS_TIMEOUT_MS,
    noDelay: true,
    optimizeEmptyRequests: true,
    maxHeaderSize: maxHeaderBytes,
  };
  const server = certificates
    ? createHttpsServer({
        ...common,
        cert: certificates.fallback.material.cert,
        key: certificates.fallback.material.key,
        SNICallback: (servername, done) => {
          const current = listener.tls?.certificates;
          done(null, current ? contextForServerName(current, servername) : undefined);
        },
      })
    : createServer(common);
  const listener: Listener = {
    requested: formatListenAddress(addr),
    shape: shapeOf(first),
    routes,
    served: null,
    edges: compileEdges(routes, new Map()),
    server,
    tls: null,
    redirect: null,
    upgraded: new Set(),
    waiting: [],
    closing: null,
  };
  const plain = certificates === undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    if (listener.closing) res.shouldKeepAlive = false;
    const served = listener.served;
    if (served === null) {
      listener.waiting.push(() => onRequest(req, res, expectsContinue));
      return;
    }
    if (plain && answerAcmeChallenge(opts.challenges(), req, res)) return;
    const chosen = chooseRoute(served, req);
    if ('pools' in chosen) forwardRequest(ctx, chosen, req, res, expectsContinue);
    else refuseRequest(ctx.sink, NO_ROUTE, req, res, chosen, performance.now(), Date.now());
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, false));
  // Answering `Expect: 100-continue` ourselves lets a refused body (413, 429) never be sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const only = listener.routes.length === 1 ? listener.routes[0] : undefined;
    answerClientError(ctx.sink, only ?? NO_ROUTE, err, socket, maxHeaderBytes);
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const served = listener.served;
    if (served === null) {
      listener.waiting.push(() => onUpgrade(req, socket, head));
      return;
    }
    const chosen = chooseRoute(served, req);
    if ('pools' in chosen) forwardUpgrade(ctx, chosen, req, socket, head);
    else refuseUpgrade(ctx.sink, NO_ROUTE, req, socket, chosen);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    listener.upgraded.add(socket);
    socket.once('close', () => listener.upgraded.delete(socket));
    onUpgrade(req, socket, head);
  });
  await listenOn(server, first.environment, addr, 'listen', opts.reusePort);
  try {
    await setRedirect(listener, first, opts);
  } catch (err) {
    server.close();
    throw err;
  }
  if (certificates) {
    listener.tls = { certificates, watches: watchCertificates(listener, certificates, opts) };
    for (const c of certificates.all)
      warnIfExpired(opts.logger, c.environment, describeCertificate(c), c.material);
  }
  return listener;
}

/**
 * Brings a reused listener's edges in line with `routes`: changed certificates are loaded and a
 * moved redirect listener opened before anything changes, so a failure leaves the listener as it
 * was (and throws a ListenError). A route new to the listener gets its edge (limits, headers) even
 * then, or it would be served without them.
 */
export async function updateListener(listener: Listener, routes: EnvironmentRoute[], opts: ListenerOptions) {
  const edges = compileEdges(routes, listener.edges);
  try {
    await updateListenerTls(listener, routes, opts);
  } catch (err) {
    for (const [key, edge] of edges) if (!listener.edges.has(key)) listener.edges.set(key, edge);
    throw err;
  }
  listener.edges = edges;
}

async function updateListenerTls(listener: Listener, routes: EnvironmentRoute[], opts: ListenerOptions) {
  const first = routes[0] as EnvironmentRoute;
  const before = listener.routes[0]?.edge?.tls?.redirectHttp ?? '';
  const current = listener.tls?.certificates;
  const wanted = first.edge?.tls ? certificateSignature(routes) : undefined;
  const certificates =
    wanted !== undefined && wanted !== current?.signature ? loadCertificates(routes) : undefined;
  if (before !== (first.edge?.tls?.redirectHttp ?? '')) await setRedirect(listener, first, opts);
  if (certificates) {
    const server = listener.server as HttpsServer;
    server.setSecureContext({
      cert: certificates.fallback.material.cert,
      key: certificates.fallback.material.key,
    });
    for (const w of listener.tls?.watches ?? []) w.stop();
    listener.tls = { certificates, watches: watchCertificates(listener, certificates, opts) };
    opts.logger.info(
      { environment: describeRoutes(routes), subjects: certificates.all.map((c) => c.material.subject) },
      'TLS certificates changed',
    );
  }
}

/** Installs a listener's routes and their tables; the first call also serves requests that waited. */
export function commitRoutes(listener: Listener, routes: EnvironmentRoute[], served: ListenerRoutes): void {
  listener.routes = routes;
  listener.served = served;
  for (const serve of listener.waiting.splice(0)) serve();
}

/** The compiled edge of one of the listener's routes. */
export function edgeOf(listener: Listener, route: EnvironmentRoute): Edge | undefined {
  return listener.edges.get(routeKeyOf(route));
}

export function boundAddress(listener: Listener): { host: string; port: number } | undefined {
  const a = listener.server.address();
  return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
}

/** The table a retry should use: the route's table now. */
export function currentTable(listener: Listener, key: string): RoutingTable | undefined {
  return listener.served?.byKey.get(key);
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
    for (const w of listener.tls?.watches ?? []) w.stop();
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

function compileEdges(routes: readonly EnvironmentRoute[], previous: Map<string, Edge>): Map<string, Edge> {
  const edges = new Map<string, Edge>();
  for (const route of routes) {
    const key = routeKeyOf(route);
    edges.set(key, compileEdge(route.edge, previous.get(key)));
  }
  return edges;
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
    ? await openRedirectListener(route.environment, addr, httpsPort, opts.challenges, opts.reusePort)
    : null;
  if (old) void closeRedirectListener(old);
}

function loadCertificates(routes: readonly EnvironmentRoute[]): ListenerCertificates {
  const first = routes[0] as EnvironmentRoute;
  try {
    return loadListenerCertificates(routes);
  } catch (err) {
    throw new ListenError(first.environment, first.listen, 'TLS_FILES', (err as Error).message);
  }
}

function watchCertificates(listener: Listener, certificates: ListenerCertificates, opts: ListenerOptions) {
  return watchCertificateFiles(certificates, opts, (m) =>
    (listener.server as HttpsServer).setSecureContext({ cert: m.cert, key: m.key }),
  );
}
