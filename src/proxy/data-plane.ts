// The data plane: makes a desired routing table come true. apply() does everything fallible
// (validation, opening listeners, reading certificates) before touching live state, and an
// environment whose listener cannot open keeps its previous listener and table. The one exception
// is a listener that must change what a running server cannot (HTTP ↔ HTTPS, header limit) on the
// same port: the old one stops accepting first, so the new one can bind.
import { type Logger, silentLogger } from '../lib/log.ts';
import { BackendRegistry, parseBackendUrl, type UpstreamOptions } from './backend-registry.ts';
import { validateEdgeSettings } from './edge.ts';
import type { ForwardContext } from './forward-context.ts';
import { formatListenAddress, type ListenAddress, parseListenAddress } from './listen-address.ts';
import {
  boundAddress,
  closeListener,
  commitTable,
  type ListenError,
  type Listener,
  type ListenerOptions,
  loadListenerTls,
  openListener,
  shapeOf,
  updateListener,
} from './listener.ts';
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
  route: EnvironmentRoute;
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
  const listeners = new Map<string, Listener>();
  const listenerOptions: ListenerOptions = {
    logger,
    tlsWatchIntervalMs: opts.tlsWatchIntervalMs ?? DEFAULT_TLS_WATCH_INTERVAL_MS,
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
    currentTable: (environment) => listeners.get(environment)?.table ?? undefined,
  };

  const retire = (l: Listener) => {
    if (l.closing) return;
    logger.info({ environment: l.environment, listen: l.requested }, 'proxy listener closing');
    const p = closeListener(l, closeGraceMs, opts.closeLingerMs ?? 0);
    closing.add(p);
    p.then(() => closing.delete(p));
  };

  async function applyNow(desired: DesiredState): Promise<void> {
    if (closed) throw new Error('the data plane is closed; create a new one to route traffic again');
    const plans = planListeners(desired, listeners);
    const failures: ListenError[] = [];
    const opened = await Promise.allSettled(
      plans.map(async (p) => {
        if (p.reuse) {
          // A failed edge update leaves the listener as it was; its table is still brought up to date.
          await updateListener(p.reuse, p.route, listenerOptions).catch((err: ListenError) => {
            failures.push(err);
          });
          return p.reuse;
        }
        const material = loadListenerTls(p.route);
        if (p.replaces) {
          retire(p.replaces);
          await new Promise((resolve) => setImmediate(resolve));
        }
        return openListener(ctx, p.route, p.addr, listenerOptions, material);
      }),
    );
    const next = new Map<string, Listener>();
    const routeOf = new Map<string, EnvironmentRoute>();
    // Listeners reused or replaced by a plan are never kept as "previous" of a failed one.
    const claimed = new Set(plans.flatMap((p) => [p.reuse, p.replaces]));
    plans.forEach((p, i) => {
      const env = p.route.environment;
      const r = opened[i] as PromiseSettledResult<Listener>;
      if (r.status === 'fulfilled') {
        next.set(env, r.value);
        routeOf.set(env, p.route);
        if (!p.reuse) logger.info({ environment: env, listen: p.requested }, 'proxy listener open');
        return;
      }
      failures.push(r.reason as ListenError);
      const previous = listeners.get(env);
      if (previous && !claimed.has(previous)) {
        next.set(env, previous);
        routeOf.set(env, previous.route);
      }
    });
    const states = registry.sync([...routeOf.values()].flatMap(allBackends));
    for (const [env, l] of next) {
      const route = routeOf.get(env) as EnvironmentRoute;
      commitTable(l, route, buildRoutingTable(route, states, l.edge));
    }
    const live = new Set(next.values());
    for (const l of listeners.values()) if (!live.has(l)) retire(l);
    listeners.clear();
    for (const [environment, l] of next) listeners.set(environment, l);
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
      for (const [environment, l] of listeners) {
        const a = boundAddress(l);
        if (a) m.set(environment, a);
      }
      return m;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      for (const l of listeners.values()) retire(l);
      listeners.clear();
      await Promise.all(closing);
      await registry.close(false);
    },
  };
}

/** Validates the desired state and decides, per environment, which listener to keep or open. */
function planListeners(desired: DesiredState, current: Map<string, Listener>): Plan[] {
  const plans: Plan[] = [];
  const byAddress = new Map<string, string>();
  for (const route of desired.environments) {
    if (plans.some((p) => p.route.environment === route.environment)) {
      throw new Error(`environment ${route.environment} appears twice in the routing table`);
    }
    const addr = parseListenAddress(route.environment, route.listen);
    for (const b of allBackends(route)) parseBackendUrl(b);
    validateEdgeSettings(route.environment, route.edge);
    const redirect = route.edge?.tls?.redirectHttp;
    if (redirect !== undefined) parseListenAddress(route.environment, redirect);
    const requested = formatListenAddress(addr);
    const other = byAddress.get(requested);
    if (other !== undefined && addr.port !== 0) {
      throw new Error(
        `environments ${other} and ${route.environment} both listen on ${route.listen}: give each its own port`,
      );
    }
    byAddress.set(requested, route.environment);
    plans.push({ route, addr, requested });
  }
  const claimed = new Set<Listener>();
  for (const p of plans) {
    const own = current.get(p.route.environment);
    if (own && own.requested === p.requested && !claimed.has(own) && own.shape === shapeOf(p.route)) {
      p.reuse = own;
    }
  }
  for (const p of plans) {
    if (p.reuse) {
      claimed.add(p.reuse);
      continue;
    }
    if (p.addr.port === 0) continue;
    // An address handed from one environment to another (a rename, or two swapping ports) keeps
    // its socket: opening a second one on it would fail with EADDRINUSE.
    for (const l of current.values()) {
      if (claimed.has(l) || l.requested !== p.requested || plans.some((q) => q.reuse === l)) continue;
      if (l.shape === shapeOf(p.route)) p.reuse = l;
      else p.replaces = l;
      claimed.add(l);
      break;
    }
  }
  return plans;
}

function allBackends(route: EnvironmentRoute): Backend[] {
  return route.pools.flatMap((p) => p.backends);
}
