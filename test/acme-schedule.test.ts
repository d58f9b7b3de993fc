// When certificates are renewed and failed orders retried: two thirds into the lifetime, and an
// exponential backoff that is capped and jittered into [0.5, 1) of its value.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, renewalDueAt, retryDelay } from '../src/acme/index.ts';

const DAY = 86_400_000;
/** The largest random() can return: no jitter. */
const almostOne = () => 1 - Number.EPSILON;

describe('renewalDueAt', () => {
  it.each([
    ["Let's Encrypt's 90 days: day 60", 0, 90 * DAY, 60 * DAY],
    ['6 days (short-lived): day 4', 10 * DAY, 16 * DAY, 14 * DAY],
    ['24 s (pebble in the tests): 16 s in', 1_000, 25_000, 17_000],
  ])('%s', (_name, notBefore, notAfter, due) => {
    expect(renewalDueAt(notBefore, notAfter)).toBe(due);
  });
});

describe('retryDelay', () => {
  const policy = { minMs: 1_000, maxMs: 10_000 };

  it.each([
    ['the first failure waits the minimum', 1, 1_000],
    ['each failure doubles it', 3, 4_000],
    ['up to the cap', 5, 10_000],
    ['and no further', 40, 10_000],
  ])('%s (no jitter)', (_name, failures, delay) => {
    expect(retryDelay(failures, policy, almostOne)).toBe(delay);
  });

  it('jitters down to half the backoff, never above it', () => {
    expect(retryDelay(3, policy, () => 0)).toBe(2_000);
    const delays = Array.from({ length: 200 }, () => retryDelay(3, policy));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4_000);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('by default starts at a minute and tops out at six hours', () => {
    expect(retryDelay(1, DEFAULT_RETRY, almostOne)).toBe(60_000);
    expect(retryDelay(20, DEFAULT_RETRY, almostOne)).toBe(6 * 3_600_000);
  });
});
