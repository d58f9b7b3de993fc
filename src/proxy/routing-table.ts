// An environment's routing table, compiled once per apply() so choosing a backend per request is a
// few array reads: pools by weight (random, or sticky by FNV-1a of a cookie/header value), then
// the least busy backend of the pool with a round-robin start.
import type { IncomingMessage } from 'node:http';
import type { BackendState } from './backend-registry.ts';
import { type Edge, NO_EDGE } from './edge.ts';
import { routeKey } from './route-key.ts';
import type { EnvironmentRoute } from './types.ts';

export interface PoolTable {
  version: string;
  /** Upper bound of this pool's share on the cumulative weight line. */
  upTo: number;
  backends: BackendState[];
  next: number;
}

export interface RoutingTable {
  service?: string;
  environment: string;
  /** routeKey(service, environment). */
  key: string;
  /** Only pools that have backends; their weights are rescaled to `totalWeight`. */
  pools: PoolTable[];
  totalWeight: number;
  stickyCookie: string | undefined;
  /** Lower-cased, as Node stores request headers. */
  stickyHeader: string | undefined;
  /** The listener's limits and response headers, swapped together with the pools. */
  edge: Edge;
}

const STICKY_RESOLUTION = 10_000;

export function buildRoutingTable(
  route: EnvironmentRoute,
  states: Map<string, BackendState>,
  edge: Edge = NO_EDGE,
): RoutingTable {
  const withBackends = route.pools.filter((p) => p.backends.length > 0);
  // Weights all zero (or only empty pools weighted) would send nothing anywhere; an even split
  // keeps the ready instances serving instead of answering 503.
  const weighted = withBackends.some((p) => p.weight > 0);
  let upTo = 0;
  const pools: PoolTable[] = [];
  for (const p of withBackends) {
    const weight = weighted ? Math.max(0, p.weight) : 1;
    if (weight === 0) continue;
    upTo += weight;
    const backends = p.backends.map((b) => states.get(b.id)).filter((s) => s !== undefined);
    pools.push({ version: p.version, upTo, backends, next: 0 });
  }
  return {
    ...(route.service === undefined ? {} : { service: route.service }),
    environment: route.environment,
    key: routeKey(route.service, route.environment),
    pools,
    totalWeight: upTo,
    stickyCookie: route.sticky?.cookie,
    stickyHeader: route.sticky?.header?.toLowerCase(),
    edge,
  };
}

/** The backend for a new request, or undefined when the environment has none. */
export function chooseBackend(table: RoutingTable, req: IncomingMessage): BackendState | undefined {
  const pools = table.pools;
  if (pools.length === 0) return undefined;
  if (pools.length === 1) return chooseInPool(pools[0] as PoolTable);
  const key = table.stickyCookie || table.stickyHeader ? readStickyKey(table, req) : undefined;
  const point =
    key === undefined
      ? Math.random() * table.totalWeight
      : ((fnv1a(key) % STICKY_RESOLUTION) / STICKY_RESOLUTION) * table.totalWeight;
  for (const p of pools) if (point < p.upTo) return chooseInPool(p);
  return chooseInPool(pools[pools.length - 1] as PoolTable);
}

/** Another backend for a retry: same pool first, then any pool; never one already tried. */
export function chooseRetryBackend(
  table: RoutingTable,
  tried: readonly BackendState[],
): BackendState | undefined {
  const last = tried[tried.length - 1];
  const own = table.pools.find((p) => last && p.backends.includes(last));
  const fromOwn = own ? leastBusy(own.backends, tried) : undefined;
  if (fromOwn) return fromOwn;
  return leastBusy(
    table.pools.flatMap((p) => p.backends),
    tried,
  );
}

function chooseInPool(p: PoolTable): BackendState | undefined {
  const list = p.backends;
  const n = list.length;
  if (n === 1) return list[0];
  const start = p.next;
  p.next = start + 1 === n ? 0 : start + 1;
  let best = list[start] as BackendState;
  for (let i = 1; i < n; i++) {
    const b = list[(start + i) % n] as BackendState;
    if (b.inFlight < best.inFlight) best = b;
  }
  return best;
}

function leastBusy(
  list: readonly BackendState[],
  exclude: readonly BackendState[],
): BackendState | undefined {
  let best: BackendState | undefined;
  for (const b of list) {
    if (exclude.includes(b)) continue;
    if (!best || b.inFlight < best.inFlight) best = b;
  }
  return best;
}

function readStickyKey(table: RoutingTable, req: IncomingMessage): string | undefined {
  if (table.stickyHeader) {
    const v = req.headers[table.stickyHeader];
    const s = Array.isArray(v) ? v[0] : v;
    if (s) return s;
  }
  if (table.stickyCookie) return readCookie(req.headers.cookie, table.stickyCookie);
  return undefined;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** 32-bit FNV-1a over the UTF-16 code units (identical to the byte form for ASCII keys). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
