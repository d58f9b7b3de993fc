// Backends known to the data plane: their in-flight counts (kept while a request runs, even after
// the backend left the routing table, so drain() can wait for it) and one undici pool per URL.
import type * as undici from 'undici';
import { requireOnUse } from '../lib/require-on-use.ts';
import type { Backend } from './types.ts';

export interface UpstreamOptions {
  /** Most connections kept to one backend; requests beyond it wait in the pool's queue. */
  connections: number;
  connectTimeoutMs: number;
  /** Time allowed for the backend to send response headers (then 504). */
  headersTimeoutMs: number;
  /** Longest silence allowed between two chunks of a response body. */
  bodyTimeoutMs: number;
}

export interface BackendState {
  readonly id: string;
  version: string;
  url: string;
  /** host and port of url, for upgrade passthrough over a raw socket. */
  host: string;
  port: number;
  inFlight: number;
  /** Present in the current routing table of some environment. */
  active: boolean;
  upstream: undici.Pool | null;
}

interface DrainWaiter {
  ids: readonly string[];
  finish: () => void;
}

export class BackendRegistry {
  readonly #states = new Map<string, BackendState>();
  readonly #pools = new Map<string, undici.Pool>();
  readonly #waiters = new Set<DrainWaiter>();
  readonly #options: UpstreamOptions;

  constructor(options: UpstreamOptions) {
    this.#options = options;
  }

  /**
   * Makes `backends` the active set and returns the state of each one. Backends that left it stay
   * known until their last request finishes; their pools close gracefully (undici lets queued and
   * running requests finish first).
   */
  sync(backends: readonly Backend[]): Map<string, BackendState> {
    const urls = new Map(backends.map((b) => [b.url, parseBackendUrl(b)]));
    const next = new Map<string, BackendState>();
    for (const b of backends) {
      let s = this.#states.get(b.id);
      if (!s) {
        s = {
          id: b.id,
          version: b.version,
          url: '',
          host: '',
          port: 0,
          inFlight: 0,
          active: true,
          upstream: null,
        };
        this.#states.set(b.id, s);
      }
      const u = urls.get(b.url);
      if (s.url !== b.url && u) {
        s.url = b.url;
        s.host = u.host;
        s.port = u.port;
        s.upstream = null;
      }
      s.version = b.version;
      s.active = true;
      next.set(b.id, s);
    }
    for (const s of this.#states.values()) {
      if (next.has(s.id)) continue;
      s.active = false;
      if (s.inFlight === 0) this.#states.delete(s.id);
    }
    this.#closeUnusedPools(new Set(urls.keys()));
    return next;
  }

  /** The undici pool of a backend, created on first use. */
  upstreamOf(s: BackendState): undici.Pool {
    if (s.upstream && !s.upstream.closed) return s.upstream;
    let pool = this.#pools.get(s.url);
    if (!pool || pool.closed) {
      const Pool = requireOnUse<typeof undici.Pool>('undici/lib/dispatcher/pool.js');
      pool = new Pool(s.url, {
        connections: this.#options.connections,
        pipelining: 1,
        connectTimeout: this.#options.connectTimeoutMs,
        headersTimeout: this.#options.headersTimeoutMs,
        bodyTimeout: this.#options.bodyTimeoutMs,
      });
      this.#pools.set(s.url, pool);
    }
    s.upstream = pool;
    return pool;
  }

  /**
   * Gives the backend's URL a fresh pool; the old one closes gracefully (its running and queued
   * requests finish). For a pool a failed dispatch may have left with a connection marked busy.
   */
  replaceUpstream(s: BackendState): void {
    const pool = this.#pools.get(s.url);
    if (pool) {
      this.#pools.delete(s.url);
      pool.close().catch(() => {});
    }
    for (const other of this.#states.values()) if (other.url === s.url) other.upstream = null;
    s.upstream = null;
  }

  acquire(s: BackendState): void {
    s.inFlight++;
  }

  release(s: BackendState): void {
    s.inFlight--;
    if (s.inFlight !== 0) return;
    if (!s.active && this.#states.get(s.id) === s) this.#states.delete(s.id);
    for (const w of this.#waiters) if (this.#count(w.ids) === 0) w.finish();
  }

  inFlight(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.#states.values()) if (s.inFlight > 0) m.set(s.id, s.inFlight);
    return m;
  }

  drain(ids: readonly string[], timeoutMs: number): Promise<number> {
    if (this.#count(ids) === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      const waiter: DrainWaiter = {
        ids,
        finish: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(this.#count(ids));
        },
      };
      const timer = setTimeout(waiter.finish, Math.max(0, timeoutMs));
      this.#waiters.add(waiter);
    });
  }

  /** Closes every upstream pool; with `force`, running requests are cut instead of awaited. */
  async close(force: boolean): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => (force ? p.destroy() : p.close()).catch(() => {})));
    for (const w of this.#waiters) w.finish();
  }

  #count(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) n += this.#states.get(id)?.inFlight ?? 0;
    return n;
  }

  #closeUnusedPools(activeUrls: Set<string>): void {
    for (const [url, pool] of this.#pools) {
      if (activeUrls.has(url)) continue;
      this.#pools.delete(url);
      pool.close().catch(() => {});
    }
  }
}

export function parseBackendUrl(b: Backend): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(b.url);
  } catch {
    throw new Error(`backend ${b.id}: invalid URL "${b.url}": expected http://host:port`);
  }
  if (u.protocol !== 'http:') {
    throw new Error(
      `backend ${b.id}: unsupported URL scheme "${u.protocol}": only http:// backends are proxied`,
    );
  }
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : 80 };
}
