// The data plane: makes a desired routing table come true. apply() does everything fallible
// (validation, opening listeners, reading certificates) before touching live state, and an
// environment whose listener cannot open keeps its previous listener and table. The one exception
// is a listener that must change what a running server cannot (HTTP ↔ HTTPS, header limit) on the
// same port: the old one stops accepting first, so the new one can bind. Routes that name hosts
// may share a listen address: one listener then serves them all (host-routing.ts).
import { hostNameProblem, normalizeHostName } from '../config/host-names.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { AcmeChallenges } from './acme-challenge.ts';
import { BackendRegistry, parseBackendUrl, type UpstreamOptions } from './backend-registry.ts';
import { validateEdgeSettings } from './edge.ts';
import type { ForwardContext } from './forward-context.ts';
import { buildListenerRoutes } from './host-routing.ts';
import { formatListenAddress, type ListenAddress, parseListenAddress } from './listen-address.ts';
import {
  boundAddress,
  closeListener,
  commitRoutes,
  currentTable,
  describeRoutes,
  edgeOf,
  type ListenError,
  type Listener,
  type ListenerOptions,
  loadListenerTls,
  openListener,
  shapeOf,
  updateListener,
} from './listener.ts';
import { routeKeyOf } from './route-key.ts';
import { buildRoutingTable } from './routing-table.ts';
import { DEFAULT_TLS_WATCH_INTERVAL_MS } from './tls-material.ts';
import type { Backend, DataPlane, DesiredState, EnvironmentRoute, MetricsSink } from './types.ts';

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = {
  connections: 128,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
};
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
export const DEFAULT_CLOSE_GRACE_MS = 30_000;
const MAX_ATTEMPTS = 3;

export interface DataPlaneOptions {
  sink: MetricsSink;
  logger?: Logger;
  /** Retry connection failures of body-less idempotent requests on another backend (default true). */
  retryConnectFailures?: boolean;
  /** Retry-After of the 503 sent when an environment has no backend (default 1). */
  retryAfterSeconds?: number;
  upstream?: Partial<UpstreamOptions>;
  /** How long a closing listener waits for running requests before cutting them (default 30 s). */
  closeGraceMs?: number;
  /** How long a closing listener keeps idle keep-alive connections open first (default 0; see closeListener). */
  closeLingerMs?: number;
  /** How often TLS certificate and key files are checked for changes (default 2 s). */
  tlsWatchIntervalMs?: number;
  /** Bind listeners with SO_REUSEPORT, so other data plane processes can share their ports (default false). */
  reusePort?: boolean;
}

/** Thrown by apply() when some listeners could not open; every other environment was applied. */
export class ApplyError extends Error {
  readonly failures: ListenError[];
  constructor(failures: ListenError[]) {
    super(failures.map((f) => f.message).join('; '));
    this.name = 'ApplyError';
    this.failures = failures;
  }
}

interface Plan {
  /** The routes sharing this listener (one, unless each names hosts). */
  routes: EnvironmentRoute[];
  addr: ListenAddress;
  requested: string;
  reuse?: Listener;
  /** A listener on the same address whose shape differs: it stops accepting before the new one binds. */
  replaces?: Listener;
}

export function createDataPlane(opts: DataPlaneOptions): DataPlane {
  const logger = opts.logger ?? silentLogger;
  const closeGraceMs = opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const registry = new BackendRegistry({ ...DEFAULT_UPSTREAM_OPTIONS, ...opts.upstream });
  /** By route key; routes sharing an address map to the same listener. */
  const listeners = new Map<string, Listener>();
  let challenges: AcmeChallenges;
  const listenerOptions: ListenerOptions = {
    logger,
    tlsWatchIntervalMs: opts.tlsWatchIntervalMs ?? DEFAULT_TLS_WATCH_INTERVAL_MS,
    challenges: () => challenges,
    reusePort: opts.reusePort ?? false,
  };
  const closing = new Set<Promise<void>>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const ctx: ForwardContext = {
    registry,
    sink: opts.sink,
    logger,
    retryConnectFailures: opts.retryConnectFailures ?? true,
    maxAttempts: MAX_ATTEMPTS,
    retryAfter: String(opts.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS),
    currentTable: (key) => {
      const l = listeners.get(key);
      return l ? currentTable(l, key) : undefined;
    },
  };

  const retire = (l: Listener) => {
    if (l.closing) return;
    logger.info({ environment: describeRoutes(l.routes), listen: l.requested }, 'proxy listener closing');
    const p = closeListener(l, closeGraceMs, opts.closeLingerMs ?? 0);
    closing.add(p);
    p.then(() => closing.delete(p));
  };

  async function applyNow(desired: DesiredState): Promise<void> {
    if (closed) throw new Error('the data plane is closed; create a new one to route traffic again');
    const plans = planListeners(desired, new Set(listeners.values()));
    const answers = desired.acmeChallenges;
    challenges = answers === undefined ? undefined : new Map(Object.entries(answers));
    const failures: ListenError[] = [];
    const opened = await Promise.allSettled(
      plans.map(async (p) => {
        if (p.reuse) {
          // A failed edge update leaves the listener as it was; its tables are still brought up to date.
          await updateListener(p.reuse, p.routes, listenerOptions).catch((err: ListenError) => {
            failures.push(err);
          });
          return p.reuse;
        }
        const certificates = loadListenerTls(p.routes);
        if (p.replaces) {
          retire(p.replaces);
          await new Promise((resolve) => setImmediate(resolve));
        }
        return openListener(ctx, p.routes, p.addr, listenerOptions, certificates);
      }),
    );
    const next = new Map<string, Listener>();
    const routesOf = new Map<Listener, EnvironmentRoute[]>();
    plans.forEach((p, i) => {
      const r = opened[i] as PromiseSettledResult<Listener>;
      if (r.status !== 'fulfilled') return;
      for (const route of p.routes) next.set(routeKeyOf(route), r.value);
      routesOf.set(r.value, p.routes);
      if (!p.reuse)
        logger.info({ environment: describeRoutes(p.routes), listen: p.requested }, 'proxy listener open');
    });
    // A route whose new listener failed keeps its previous one, unless a plan reused or replaced it.
    const claimed = new Set(plans.flatMap((p) => [p.reuse, p.replaces]));
    plans.forEach((p, i) => {
      const r = opened[i] as PromiseSettledResult<Listener>;
      if (r.status === 'fulfilled') return;
      failures.push(r.reason as ListenError);
      for (const route of p.routes) {
        const key = routeKeyOf(route);
        const previous = listeners.get(key);
        if (!previous || claimed.has(previous) || next.has(key)) continue;
        next.set(key, previous);
        const kept = previous.routes.find((old) => routeKeyOf(old) === key) as EnvironmentRoute;
        routesOf.set(previous, [...(routesOf.get(previous) ?? []), kept]);
      }
    });
    const states = registry.sync([...routesOf.values()].flat().flatMap(allBackends));
    for (const [l, routes] of routesOf) {
      const tables = routes.map((route) => ({
        hosts: route.hosts,
        table: buildRoutingTable(route, states, edgeOf(l, route)),
      }));
      commitRoutes(l, routes, buildListenerRoutes(tables));
    }
    for (const l of listeners.values()) if (!routesOf.has(l)) retire(l);
    listeners.clear();
    for (const [key, l] of next) listeners.set(key, l);
    if (failures.length > 0) throw new ApplyError(failures);
  }

  return {
    apply(desired) {
      const run = queue.then(() => applyNow(desired));
      queue = run.catch(() => {});
      return run;
    },
    drain: (ids, timeoutMs) => registry.drain(ids, timeoutMs),
    inFlight: async () => registry.inFlight(),
    async addresses() {
      const m = new Map<string, { host: string; port: number }>();
      for (const [key, l] of listeners) {
        const a = boundAddress(l);
        if (a) m.set(key, a);
      }
      return m;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      for (const l of new Set(listeners.values())) retire(l);
      listeners.clear();
      await Promise.all(closing);
      await registry.close(false);
    },
  };
}

/**
 * Validates the desired state, groups routes by listen address (several only when each names
 * hosts) and decides, per address, which listener to keep or open.
 */
function planListeners(desired: DesiredState, current: Set<Listener>): Plan[] {
  const plans: Plan[] = [];
  const byAddress = new Map<string, Plan>();
  const keys = new Set<string>();
  for (const route of desired.environments) {
    const key = routeKeyOf(route);
    if (keys.has(key)) throw new Error(`environment ${key} appears twice in the routing table`);
    keys.add(key);
    const addr = parseListenAddress(route.environment, route.listen);
    for (const b of allBackends(route)) parseBackendUrl(b);
    validateEdgeSettings(route.environment, route.edge);
    validateHosts(key, route.hosts);
    const redirect = route.edge?.tls?.redirectHttp;
    if (redirect !== undefined) parseListenAddress(route.environment, redirect);
    const requested = formatListenAddress(addr);
    const shared = addr.port === 0 ? undefined : byAddress.get(requested);
    if (shared) {
      checkSharing(shared.routes, route);
      shared.routes.push(route);
      continue;
    }
    const plan: Plan = { routes: [route], addr, requested };
    byAddress.set(requested, plan);
    plans.push(plan);
  }
  const claimed = new Set<Listener>();
  for (const p of plans) {
    const shape = shapeOf(p.routes[0] as EnvironmentRoute);
    const keysOfPlan = new Set(p.routes.map(routeKeyOf));
    for (const l of current) {
      if (claimed.has(l) || l.requested !== p.requested) continue;
      // On port 0 each listener is its own: only a route's own listener is kept.
      if (p.addr.port === 0 && !l.routes.some((r) => keysOfPlan.has(routeKeyOf(r)))) continue;
      if (l.shape === shape) p.reuse = l;
      else if (p.addr.port !== 0) p.replaces = l;
      else continue;
      claimed.add(l);
      break;
    }
  }
  return plans;
}

/** Routes may share an address only when each names hosts, no host twice, and their listener agrees. */
function checkSharing(sharing: readonly EnvironmentRoute[], route: EnvironmentRoute): void {
  const key = routeKeyOf(route);
  const first = sharing[0] as EnvironmentRoute;
  const without = [...sharing, route].find((r) => r.hosts === undefined || r.hosts.length === 0);
  if (without) {
    throw new Error(
      `environments ${describeRoutes(sharing)} and ${key} both listen on ${route.listen}: give each its own port, or name each one's hosts (${routeKeyOf(without)} names none)`,
    );
  }
  for (const other of sharing) {
    const names = new Set((other.hosts ?? []).map(normalizeHostName));
    const twice = (route.hosts ?? []).find((h) => names.has(normalizeHostName(h)));
    if (twice !== undefined) {
      throw new Error(
        `environments ${routeKeyOf(other)} and ${key} both serve the host ${normalizeHostName(twice)} on ${route.listen}: a host belongs to one environment per address`,
      );
    }
  }
  if (
    shapeOf(route) !== shapeOf(first) ||
    (route.edge?.tls?.redirectHttp ?? '') !== (first.edge?.tls?.redirectHttp ?? '')
  ) {
    throw new Error(
      `environments ${routeKeyOf(first)} and ${key} share ${route.listen} but differ in TLS, tls.redirect_http or limits.max_header_size: environments on one address must agree on them`,
    );
  }
}

function validateHosts(key: string, hosts: readonly string[] | undefined): void {
  for (const name of hosts ?? []) {
    const problem = hostNameProblem(name);
    if (problem) throw new Error(`environment ${key}: hosts: ${problem}`);
  }
}

function allBackends(route: EnvironmentRoute): Backend[] {
  return route.pools.flatMap((p) => p.backends);
}
