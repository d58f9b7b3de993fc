// The fast path for hard failures, run every few hundred milliseconds during a step: fail at once
// when even the optimistic end of the canary's 5xx rate is over the limit, i.e. when the lower
// bound of a one-sided 99 % Wilson interval exceeds it. Ten requests that all fail are enough.
// 4xx take the same path against `max_4xx_rate`, only when it is set: some 4xx are normal (a 404
// for a missing page, a 401 before login), so there is no hard limit for them by default.
//
// The interval is continuity-corrected (R's prop.test). The plain Wilson bound of one 5xx in the
// first 10–14 requests is above 1 %, so with `max_error_rate: 1%` a canary erring 0.5 % of the
// time failed on this path in 7.7 % of simulated steps (looked at every 5 requests, up to 3,000);
// corrected, about 1 %, while 100 % 5xx is still caught at 10 requests. A canary only slightly
// over its limit is left to the interval analysis until the evidence is overwhelming.
import type { CanaryAnalysis } from '../config/types.ts';
import type { WindowStats } from '../metrics/types.ts';
import { FAST_FAIL_DEFAULT_ERROR_RATE, FAST_FAIL_MIN_REQUESTS, FAST_FAIL_Z } from './defaults.ts';
import { CLIENT_ERRORS, classCount, classRate, type ErrorClass, SERVER_ERRORS } from './error-classes.ts';
import { formatPercent } from './format.ts';
import { wilsonLowerBound } from './stats.ts';
import type { CheckResult } from './types.ts';

export function conclusiveFailure(canary: WindowStats, config: CanaryAnalysis): CheckResult | null {
  const serverLimit = config.max_error_rate ?? FAST_FAIL_DEFAULT_ERROR_RATE;
  const server = conclusiveOver(canary, SERVER_ERRORS, serverLimit, config.max_error_rate === undefined);
  if (server) return server;
  const clientLimit = config.max_4xx_rate;
  return clientLimit === undefined ? null : conclusiveOver(canary, CLIENT_ERRORS, clientLimit, false);
}

function conclusiveOver(
  canary: WindowStats,
  cls: ErrorClass,
  limit: number,
  hardLimit: boolean,
): CheckResult | null {
  const n = canary.requests;
  if (n < FAST_FAIL_MIN_REQUESTS) return null;
  const errors = classCount(canary, cls);
  const lower = wilsonLowerBound(errors, n, FAST_FAIL_Z, true);
  if (lower <= limit) return null;
  const rate = classRate(canary, cls);
  return {
    name: cls.conclusiveCheck,
    phase: 'fail',
    message:
      `canary ${cls.label} rate ${formatPercent(rate)} (${errors} of ${n} requests) is over ` +
      `${hardLimit ? 'the hard limit' : 'limit'} ${formatPercent(limit)} with 99% confidence (lower bound ${formatPercent(lower)})`,
    data: { errors, requests: n, error_rate: rate, lower_bound: lower, limit, confidence: 0.99 },
  };
}
