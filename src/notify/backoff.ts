// When to try a failed delivery again: exponential backoff from the first delay to the longest,
// a receiver's Retry-After when it asked for one, and a final failure once the next try would come
// after the give-up time.
import {
  DEFAULT_GIVE_UP_AFTER_MS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_JITTER,
  DEFAULT_RETRY_MAX_MS,
} from './defaults.ts';

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Counted from the delivery's creation. */
  giveUpAfterMs: number;
  /** Share (0–1) by which a delay may be shortened at random. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialMs: DEFAULT_RETRY_INITIAL_MS,
  maxMs: DEFAULT_RETRY_MAX_MS,
  giveUpAfterMs: DEFAULT_GIVE_UP_AFTER_MS,
  jitter: DEFAULT_RETRY_JITTER,
};

/** Delay after the `attempts`-th failed attempt (1 → initialMs, 2 → twice that…). */
export function backoffDelay(attempts: number, policy: RetryPolicy, random = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  const base = Math.min(policy.initialMs * 2 ** exponent, policy.maxMs);
  return Math.round(base * (1 - policy.jitter * random()));
}

export type RetryDecision = { retryAt: number } | { giveUp: string };

export function decideRetry(
  q: { attempts: number; createdAt: number; now: number; retryAfterMs?: number | undefined },
  policy: RetryPolicy,
  random = Math.random,
): RetryDecision {
  const delay = Math.max(backoffDelay(q.attempts, policy, random), q.retryAfterMs ?? 0);
  const retryAt = q.now + delay;
  const deadline = q.createdAt + policy.giveUpAfterMs;
  if (retryAt > deadline) {
    const span = formatSpan(policy.giveUpAfterMs);
    return { giveUp: `gave up after ${q.attempts} attempt${q.attempts === 1 ? '' : 's'} over ${span}` };
  }
  return { retryAt };
}

/** 600 → `0.6 s`, 90_000 → `1.5 min`, 86_400_000 → `24 h`. */
function formatSpan(ms: number): string {
  const round = (v: number) => String(Number(v.toFixed(1)));
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}
