// Exponential restart delays for a crashing instance: initialMs, doubling up to maxMs, back to
// initialMs once a run has lasted resetAfterMs (it was healthy for a while, so this is a new crash).

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, resetAfterMs: 10_000 };

export class Backoff {
  readonly opts: BackoffOptions;
  #next: number;

  constructor(opts: BackoffOptions = DEFAULT_BACKOFF) {
    validateBackoff(opts);
    this.opts = opts;
    this.#next = opts.initialMs;
  }

  /** The delay before the next restart, given how long the run that just ended lasted. */
  nextDelay(ranMs: number): number {
    if (ranMs >= this.opts.resetAfterMs) this.#next = this.opts.initialMs;
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, this.opts.maxMs);
    return delay;
  }

  reset(): void {
    this.#next = this.opts.initialMs;
  }
}

function validateBackoff(o: BackoffOptions): void {
  const ok =
    Number.isFinite(o.initialMs) &&
    Number.isFinite(o.maxMs) &&
    Number.isFinite(o.resetAfterMs) &&
    o.initialMs > 0 &&
    o.maxMs >= o.initialMs &&
    o.resetAfterMs >= 0;
  if (!ok) {
    throw new RangeError(
      `invalid restart backoff ${JSON.stringify(o)}: need 0 < initialMs <= maxMs and resetAfterMs >= 0`,
    );
  }
}
