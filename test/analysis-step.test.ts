// Named table cases for the fast path (conclusiveFailure) and for how a step ends (stepDecision).
import { describe, expect, it } from 'vitest';
import {
  ABSOLUTE_CHECKS,
  conclusiveFailure,
  judgeInterval,
  type Phase,
  stepDecision,
  type Verdict,
  worstCheck,
} from '../src/analysis/index.ts';
import type { CanaryAnalysis } from '../src/config/types.ts';
import type { WindowStats } from '../src/metrics/types.ts';

function side(spec: { requests: number; errors: number; refused?: number }): WindowStats {
  const { requests, errors } = spec;
  const refused = spec.refused ?? 0;
  return {
    environment: 'production',
    version: 'v2',
    from: 0,
    to: 1000,
    requests,
    byClass: { '2xx': requests - errors - refused, '3xx': 0, '4xx': refused, '5xx': errors },
    errorRate: requests > 0 ? errors / requests : 0,
    p50: null,
    p95: null,
    p99: null,
    latencies: [],
  };
}

function config(over: Partial<CanaryAnalysis> = {}): CanaryAnalysis {
  return { interval: 10_000, min_requests: 50, on_inconclusive: 'fail', ...over };
}

describe('conclusiveFailure', () => {
  it.each([
    ['9 requests, all 5xx: too few to judge', 9, 9, 0.01, false],
    ['10 requests, all 5xx, 1% limit', 10, 10, 0.01, true],
    ['10 requests, all 5xx, no limit (50%)', 10, 10, undefined, true],
    ['one 5xx in the first 10 requests, 1% limit', 10, 1, 0.01, false],
    ['2% of 300 requests against a 1% limit', 300, 6, 0.01, false],
    ['half of 100 requests, no limit', 100, 50, undefined, false],
    ['80% of 100 requests, no limit', 100, 80, undefined, true],
    ['20% of 200 requests, 5% limit', 200, 40, 0.05, true],
  ])('%s', (_name, requests, errors, limit, fails) => {
    const cfg = config(limit === undefined ? {} : { max_error_rate: limit });
    const r = conclusiveFailure(side({ requests, errors }), cfg);
    expect(r !== null).toBe(fails);
    if (r) {
      expect(r.phase).toBe('fail');
      expect(r.message).toMatch(/with 99% confidence/);
      expect(r.data.lower_bound).toBeGreaterThan(r.data.limit as number);
    }
  });
});

describe('conclusiveFailure on 4xx', () => {
  it.each([
    ['all 404 at 10 requests, 5% max_4xx_rate', 10, 10, 0.05, true],
    ['40% 404 of 100 requests, 5% max_4xx_rate', 100, 40, 0.05, true],
    ['3% 404 of 300 requests, 5% max_4xx_rate', 300, 9, 0.05, false],
    ['all 404 without max_4xx_rate: no hard limit for 4xx', 100, 100, undefined, false],
  ])('%s', (_name, requests, refused, limit, fails) => {
    const cfg = config(limit === undefined ? {} : { max_4xx_rate: limit });
    const r = conclusiveFailure(side({ requests, errors: 0, refused }), cfg);
    expect(r !== null).toBe(fails);
    if (r) {
      expect(r.name).toBe('conclusive_4xx_rate');
      expect(r.message).toMatch(
        /^canary 4xx rate \d+(\.\d+)?% \(\d+ of \d+ requests\) is over limit 5% with 99% confidence/,
      );
    }
  });
});

describe('judgeInterval', () => {
  const check = (name: string, phase: Phase) => ({ name, phase, message: `${name} ${phase}`, data: {} });
  const verdict = (...checks: ReturnType<typeof check>[]): Verdict => {
    const worst = worstCheck(checks);
    const sideOf = {
      version: 'v',
      requests: 100,
      errors: 0,
      errorRate: 0,
      clientErrors: 0,
      clientErrorRate: 0,
      p50: null,
      p99: null,
    };
    return { phase: worst.phase, summary: worst.message, checks, canary: sideOf, baseline: sideOf };
  };
  const ok = verdict(check('min_requests', 'pass'));
  it.each([
    [
      'a failing 4xx limit over the interval fails at once',
      verdict(check('max_4xx_rate', 'fail')),
      ok,
      0,
      'interval',
      0,
    ],
    [
      'a failing 5xx limit over the step fails at once',
      ok,
      verdict(check('max_error_rate', 'fail')),
      0,
      'cumulative',
      1,
    ],
    ['a first failing 4xx comparison holds the step', ok, verdict(check('baseline_4xx', 'fail')), 0, null, 1],
    [
      'a second failing 4xx comparison in a row fails the step',
      ok,
      verdict(check('baseline_4xx', 'fail')),
      1,
      'cumulative',
      2,
    ],
    ['a passing interval resets the count', ok, ok, 1, null, 0],
  ] as const)('%s', (_name, interval, cumulative, before, failing, after) => {
    const j = judgeInterval({ interval, cumulative, baselineFails: before });
    expect(j.failing).toBe(failing === 'interval' ? interval : failing === 'cumulative' ? cumulative : null);
    expect(j.baselineFails).toBe(after);
    expect(j.verdict.phase).toBe(failing ? 'fail' : cumulative.phase === 'fail' ? 'inconclusive' : 'pass');
  });

  it('counts the 4xx limit among the absolute checks', () => {
    expect([...ABSOLUTE_CHECKS].sort()).toEqual(['max_4xx_rate', 'max_error_rate', 'max_p99_latency']);
  });
});

describe('stepDecision', () => {
  const MIN = 60_000;
  const pass = { phase: 'pass' as const, summary: 'all good' };
  const fail = { phase: 'fail' as const, summary: 'canary 5xx rate 4% > limit 1% (n=300)' };
  const unsure = { phase: 'inconclusive' as const, summary: 'only 12 canary requests, need 50' };
  it.each([
    ['fails at once on a failing verdict, even during the pause', 5 * MIN, 1000, fail, 'fail', {}],
    ['waits during the pause on a passing verdict', 5 * MIN, 2 * MIN, pass, 'wait', {}],
    ['passes once the pause elapsed', 5 * MIN, 5 * MIN, pass, 'pass', {}],
    ['a step without pause passes on its first passing verdict', 0, 10_000, pass, 'pass', {}],
    ['waits while inconclusive after the pause', 5 * MIN, 6 * MIN, unsure, 'wait', {}],
    ['waits without any verdict yet', 0, 1000, null, 'wait', {}],
    [
      'default deadline: max(pause × 3, pause + 5 min), 15 min for 5 min',
      5 * MIN,
      14 * MIN,
      unsure,
      'wait',
      {},
    ],
    ['applies on_inconclusive fail at the default deadline', 5 * MIN, 15 * MIN, unsure, 'fail', {}],
    ['default deadline of a step without pause is 5 min', 0, 5 * MIN, unsure, 'fail', {}],
    ['default deadline of a 10 min pause is 30 min', 10 * MIN, 29 * MIN, unsure, 'wait', {}],
    ['applies on_inconclusive pass', 5 * MIN, 15 * MIN, unsure, 'pass', { onInconclusive: 'pass' as const }],
    ['honours step_deadline', 5 * MIN, 7 * MIN, unsure, 'fail', { stepDeadlineMs: 7 * MIN }],
    ['never cuts the pause short', 5 * MIN, 3 * MIN, unsure, 'wait', { stepDeadlineMs: MIN }],
    ['a pass after waiting inconclusive passes', 5 * MIN, 12 * MIN, pass, 'pass', {}],
  ] as const)('%s', (_name, pauseMs, elapsed, verdict, action, over) => {
    const d = stepDecision({
      pauseMs,
      startedAt: 1_000_000,
      now: 1_000_000 + elapsed,
      verdict,
      onInconclusive: 'fail',
      ...over,
    });
    expect(d.action).toBe(action);
    expect(d.reason.length).toBeGreaterThan(0);
  });

  it('says why, with the numbers', () => {
    const base = { pauseMs: 5 * MIN, startedAt: 0, onInconclusive: 'fail' as const };
    expect(stepDecision({ ...base, now: 130_000, verdict: pass }).reason).toBe(
      'pausing, 2m 10s of 5m (pass: all good)',
    );
    expect(stepDecision({ ...base, now: 6 * MIN, verdict: unsure })).toEqual({
      action: 'wait',
      reason: 'inconclusive (only 12 canary requests, need 50); waiting for more data, at most 9m more',
      deadlineAt: 15 * MIN,
    });
    expect(stepDecision({ ...base, now: 15 * MIN, verdict: unsure }).reason).toBe(
      'still inconclusive at the step deadline (15m): only 12 canary requests, need 50; failing as on_inconclusive is fail',
    );
    expect(stepDecision({ ...base, now: 1000, verdict: fail }).reason).toBe(
      `analysis failed: ${fail.summary}`,
    );
  });
});
