// Per-client token buckets: a client starts with `burst` tokens, gets `perSecond` back each second
// (never more than `burst`), and each request takes one. Memory stays bounded: a bucket that has
// refilled to full behaves exactly like no bucket, so such buckets are swept away; and beyond
// `maxClients` the oldest buckets are dropped (their clients start again with a full bucket,
// which errs on the side of letting traffic through).

export const DEFAULT_MAX_CLIENTS = 100_000;
const SWEEP_EVERY_MS = 10_000;
/** When full, make room for a tenth more clients at once, so the drop is not paid per request. */
const ROOM_FRACTION = 0.1;

interface Bucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export class RateLimiter {
  readonly perSecond: number;
  readonly burst: number;
  readonly #perMs: number;
  readonly #maxClients: number;
  readonly #buckets = new Map<string, Bucket>();
  #sweptAt = 0;

  constructor(limit: RateLimit, maxClients = DEFAULT_MAX_CLIENTS) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new Error(
        `invalid rate limit ${limit.perSecond}/s with burst ${limit.burst}: both must be positive`,
      );
    }
    this.perSecond = limit.perSecond;
    this.burst = limit.burst;
    this.#perMs = limit.perSecond / 1000;
    this.#maxClients = Math.max(1, maxClients);
  }

  /**
   * Takes a token for `client` at `now` (a performance.now() reading). Returns 0 when the request
   * may pass, otherwise the whole seconds until the client has a token again (at least 1).
   */
  take(client: string, now: number): number {
    if (now - this.#sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
    const b = this.#buckets.get(client);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxClients) this.#makeRoom(now);
      this.#buckets.set(client, { tokens: this.burst - 1, at: now });
      return 0;
    }
    const tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.#perMs);
    b.at = now;
    if (tokens >= 1) {
      b.tokens = tokens - 1;
      return 0;
    }
    b.tokens = tokens;
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
  }

  /** Clients currently holding a bucket. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Drops every bucket that has refilled to full by `now`. */
  sweep(now: number): void {
    this.#sweptAt = now;
    for (const [client, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#perMs >= this.burst) this.#buckets.delete(client);
    }
  }

  #makeRoom(now: number): void {
    this.sweep(now);
    const target = Math.floor(this.#maxClients * (1 - ROOM_FRACTION));
    if (this.#buckets.size <= target) return;
    // A Map iterates in insertion order: the first keys are the oldest buckets.
    let excess = this.#buckets.size - target;
    for (const client of this.#buckets.keys()) {
      if (excess-- <= 0) break;
      this.#buckets.delete(client);
    }
  }
}
