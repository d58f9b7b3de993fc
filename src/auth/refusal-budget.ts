// How many unauthenticated requests a client address may have refused (401) per minute before its
// further unauthenticated requests are answered 429 without being looked at: token guessing, and
// floods of token-less requests, are slowed to a trickle. Requests with valid credentials always
// pass. Counted in fixed one-minute windows; memory is bounded by MAX_COUNTED_CLIENTS (beyond it,
// the newest clients share one count, which errs on the side of refusing them).

import { DEFAULT_REFUSAL_LIMIT } from '../config/defaults.ts';

export const REFUSAL_WINDOW_MS = 60_000;
export const MAX_COUNTED_CLIENTS = 10_000;
const OVERFLOW = '*';

export class RefusalBudget {
  readonly limit: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #counts = new Map<string, number>();

  constructor(limit = DEFAULT_REFUSAL_LIMIT, opts: { windowMs?: number; maxClients?: number } = {}) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new Error(`invalid refusal limit ${limit}: expected a whole number of at least 1`);
    }
    this.limit = limit;
    this.#windowMs = opts.windowMs ?? REFUSAL_WINDOW_MS;
    this.#maxClients = opts.maxClients ?? MAX_COUNTED_CLIENTS;
  }

  /** Seconds until `client` may be refused again (0: its budget is not used up), at `now` (ms). */
  exhausted(client: string, now: number): number {
    this.#roll(now);
    if ((this.#counts.get(this.#key(client)) ?? 0) < this.limit) return 0;
    return Math.max(1, Math.ceil((this.#windowStart + this.#windowMs - now) / 1000));
  }

  /** Counts one refused request of `client` at `now`. */
  refused(client: string, now: number): void {
    this.#roll(now);
    const key = this.#key(client);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  #key(client: string): string {
    return this.#counts.has(client) || this.#counts.size < this.#maxClients ? client : OVERFLOW;
  }

  #roll(now: number): void {
    if (now - this.#windowStart < this.#windowMs) return;
    this.#windowStart = now;
    this.#counts = new Map();
  }
}
