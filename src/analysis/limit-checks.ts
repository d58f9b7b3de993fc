// The absolute checks of a canary window: enough requests, 5xx and 4xx rates and p99 under their
// limits. A limit is only judged over enough requests; below that the check is inconclusive, never a pass.
import type { CanaryAnalysis } from '../config/types.ts';
import type { WindowStats } from '../metrics/types.ts';
import { classCount, classRate, type ErrorClass } from './error-classes.ts';
import { formatMs, formatPercent, plural } from './format.ts';
import { p99Of } from './side-summary.ts';
import { wilsonLowerBound } from './stats.ts';
import type { CheckResult } from './types.ts';

/** One-sided 95 %: how sure an error rate over its limit must be before it fails a step. */
const LIMIT_CONFIDENCE_Z = 1.6449;

/** Requests a window needs to be judged; at least one whatever the config says. */
export function requiredRequests(config: CanaryAnalysis): number {
  return Math.max(1, config.min_requests);
}

export function checkMinRequests(canary: WindowStats, config: CanaryAnalysis): CheckResult {
  const need = requiredRequests(config);
  const data = { requests: canary.requests, min_requests: need };
  if (canary.requests < need) {
    return {
      name: 'min_requests',
      phase: 'inconclusive',
      message: `only ${plural(canary.requests, 'canary request')}, need ${need}`,
      data,
    };
  }
  return {
    name: 'min_requests',
    phase: 'pass',
    message: `${plural(canary.requests, 'canary request')} (need ${need})`,
    data,
  };
}

/** The 5xx or 4xx share of the canary's requests against its limit (`max_error_rate`, `max_4xx_rate`). */
export function checkRateLimit(
  canary: WindowStats,
  config: CanaryAnalysis,
  cls: ErrorClass,
): CheckResult | null {
  const limit = cls.limit(config);
  if (limit === undefined) return null;
  const name = cls.limitCheck;
  const rate = classRate(canary, cls);
  const errors = classCount(canary, cls);
  const n = canary.requests;
  const data = { error_rate: rate, errors, requests: n, limit };
  const observed = `canary ${cls.label} rate ${formatPercent(rate)}`;
  const need = requiredRequests(config);
  if (n < need) {
    return {
      name,
      phase: 'inconclusive',
      message: `${observed} over only ${plural(n, 'request')}, need ${need}`,
      data,
    };
  }
  if (rate <= limit) {
    return { name, phase: 'pass', message: `${observed} ≤ limit ${formatPercent(limit)} (n=${n})`, data };
  }
  // Over the limit in this window; fail only when that is not the luck of a small sample (one
  // error in 60 requests is 1.7 %, yet says little about a 1 % limit). Until then the step holds.
  const lower = wilsonLowerBound(errors, n, LIMIT_CONFIDENCE_Z, true);
  const sure = lower > limit;
  return {
    name,
    phase: sure ? 'fail' : 'inconclusive',
    message: sure
      ? `${observed} > limit ${formatPercent(limit)} (n=${n}, 95% lower bound ${formatPercent(lower)})`
      : `${observed} is over limit ${formatPercent(limit)}, not yet conclusively (n=${n}, 95% lower bound ${formatPercent(lower)})`,
    data: { ...data, lower_bound: lower },
  };
}

export function checkP99Limit(canary: WindowStats, config: CanaryAnalysis): CheckResult | null {
  const limit = config.max_p99_latency;
  if (limit === undefined) return null;
  const p99 = p99Of(canary);
  const n = canary.requests;
  const data = { p99, requests: n, limit };
  const need = requiredRequests(config);
  if (n < need || p99 === null) {
    const why = p99 === null ? 'no latency data' : `only ${plural(n, 'request')}, need ${need}`;
    return {
      name: 'max_p99_latency',
      phase: 'inconclusive',
      message: `canary p99 ${formatMs(p99)}: ${why}`,
      data,
    };
  }
  const fail = p99 > limit;
  return {
    name: 'max_p99_latency',
    phase: fail ? 'fail' : 'pass',
    message: `canary p99 ${formatMs(p99)} ${fail ? '>' : '≤'} limit ${formatMs(limit)} (n=${n})`,
    data,
  };
}
