// When to renew and when to retry. Renewal starts at two thirds of a certificate's lifetime (day 60
// of Let's Encrypt's 90, as certbot and Caddy do), leaving a month of retries before it expires.
// A failed attempt is retried after an exponential backoff, capped, with jitter so that many
// servers (or environments) that failed together do not all ask the CA again at the same moment.

export const RENEW_AT_FRACTION = 2 / 3;

export interface RetryPolicy {
  /** Delay after the first failure. */
  minMs: number;
  /** Longest delay, however many failures. */
  maxMs: number;
}

/** 1 min, 2, 4 … up to 6 h: about 9 attempts in the first day, then 4 a day. */
export const DEFAULT_RETRY: RetryPolicy = { minMs: 60_000, maxMs: 6 * 3_600_000 };

/** When a certificate valid over [notBefore, notAfter] (epoch ms) is due for renewal. */
export function renewalDueAt(notBefore: number, notAfter: number): number {
  return notBefore + Math.floor((notAfter - notBefore) * RENEW_AT_FRACTION);
}

/**
 * The wait before the next attempt after `failures` consecutive failed ones (1 or more): the
 * backoff min·2^(failures-1), capped at max, scaled by a random factor in [0.5, 1) ("equal jitter").
 */
export function retryDelay(
  failures: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const backoff = Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, failures - 1));
  return Math.round(backoff * (0.5 + random() / 2));
}
