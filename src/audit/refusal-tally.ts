// Anonymous requests must not be able to grow the append-only audit log without bound. A request
// refused before anyone was known is recorded compactly (who and what only: no query, body or
// message, the path cut to MAX_ANONYMOUS_ACTION characters); once its address has used up its
// refusal budget (auth/refusal-budget.ts) its further requests, answered 429, are only counted, and
// one row per address and minute says how many there were. A flood of any size thus adds at most
// (budget + 1) small rows per address and minute, and MAX_TALLIED_SOURCES bounds the addresses
// tallied at once (beyond it they share one row).
import type { Logger } from '../lib/log.ts';
import { ANONYMOUS, type AuditEvent } from './log.ts';

export const MAX_ANONYMOUS_ACTION = 200;
export const TALLY_WINDOW_MS = 60_000;
export const MAX_TALLIED_SOURCES = 10_000;
/** How many distinct actions a tally row names. */
const NAMED_ACTIONS = 5;
const OVERFLOW = 'other addresses';

interface Tally {
  count: number;
  from: number;
  to: number;
  actions: Set<string>;
}

export interface RefusalTallyDeps {
  record: (e: AuditEvent) => Promise<unknown>;
  logger: Logger;
  now?: () => number;
  windowMs?: number;
  maxSources?: number;
}

/** `POST /api/v1/x…`: an action as an anonymous request may name it, bounded. */
export function compactAction(action: string): string {
  return action.length > MAX_ANONYMOUS_ACTION ? `${action.slice(0, MAX_ANONYMOUS_ACTION)}…` : action;
}

export class RefusalTally {
  readonly #deps: RefusalTallyDeps;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #maxSources: number;
  #tallies = new Map<string, Tally>();
  #windowStart: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: RefusalTallyDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#windowMs = deps.windowMs ?? TALLY_WINDOW_MS;
    this.#maxSources = deps.maxSources ?? MAX_TALLIED_SOURCES;
  }

  /** Counts one rate-limited anonymous request; its row is written when the minute ends. */
  count(address: string, action: string): void {
    const now = this.#now();
    if (this.#windowStart !== undefined && now - this.#windowStart >= this.#windowMs) void this.flush();
    this.#windowStart ??= now;
    const key = this.#tallies.has(address) || this.#tallies.size < this.#maxSources ? address : OVERFLOW;
    let t = this.#tallies.get(key);
    if (!t) {
      t = { count: 0, from: now, to: now, actions: new Set() };
      this.#tallies.set(key, t);
    }
    t.count++;
    t.to = now;
    if (t.actions.size < NAMED_ACTIONS) t.actions.add(compactAction(action));
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#windowMs);
      this.#timer.unref();
    }
  }

  /** Writes one row per tallied address and starts a new window. */
  async flush(): Promise<void> {
    const tallies = this.#tallies;
    this.#tallies = new Map();
    this.#windowStart = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [address, t] of tallies) {
      await this.#deps
        .record({
          actor: { ...ANONYMOUS, address },
          address: address === OVERFLOW ? null : address,
          action: 'api.refused',
          status: 429,
          error: 'RATE_LIMITED',
          details: {
            count: t.count,
            from: new Date(t.from).toISOString(),
            to: new Date(t.to).toISOString(),
            actions: [...t.actions],
          },
        })
        .catch((err: unknown) =>
          this.#deps.logger.error({ err }, 'could not write the audit tally of refused requests'),
        );
    }
  }
}
