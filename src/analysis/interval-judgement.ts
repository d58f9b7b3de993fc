// What one analysis interval of a canary step means for the step, given the verdict over that
// interval and the cumulative verdict since the step started:
// - an absolute limit (`max_error_rate`, `max_4xx_rate`, `max_p99_latency`) that fails fails the
//   step at once, over the interval or over the whole step;
// - the comparison with the stable version is judged on the whole step, and fails it only when it
//   fails on BASELINE_FAILS_TO_FAIL intervals running: each test has a 1 % false-alarm rate, and a
//   step looks many times. A single failing comparison holds the step as inconclusive.
import { ERROR_CLASSES } from './error-classes.ts';
import type { Verdict } from './types.ts';

/** Checks of a fixed limit: one failing interval is enough. */
export const ABSOLUTE_CHECKS: ReadonlySet<string> = new Set([
  ...ERROR_CLASSES.map((cls) => cls.limitCheck),
  'max_p99_latency',
]);

/** Consecutive intervals whose cumulative comparison with the stable version must fail. */
export const BASELINE_FAILS_TO_FAIL = 2;

export interface IntervalJudgementInput {
  /** The verdict over the interval just ended. */
  interval: Verdict;
  /** The verdict over the step so far. */
  cumulative: Verdict;
  /** Failing cumulative verdicts in a row before this interval. */
  baselineFails: number;
}

export interface IntervalJudgement {
  /** The verdict that fails the step, or null when nothing does (yet). */
  failing: Verdict | null;
  /** What the step decision reads: `failing`, or else the cumulative verdict, a lone failure held as inconclusive. */
  verdict: Verdict;
  /** Failing cumulative verdicts in a row, this interval included. */
  baselineFails: number;
}

export function judgeInterval(input: IntervalJudgementInput): IntervalJudgement {
  const { interval, cumulative } = input;
  const baselineFails = cumulative.phase === 'fail' ? input.baselineFails + 1 : 0;
  const failing = failsOnLimit(interval)
    ? interval
    : failsOnLimit(cumulative) || baselineFails >= BASELINE_FAILS_TO_FAIL
      ? cumulative
      : null;
  const verdict =
    failing ?? (cumulative.phase === 'fail' ? { ...cumulative, phase: 'inconclusive' as const } : cumulative);
  return { failing, verdict, baselineFails };
}

function failsOnLimit(v: Verdict): boolean {
  return v.checks.some((c) => c.phase === 'fail' && ABSOLUTE_CHECKS.has(c.name));
}
