// The two kinds of failed answer analysis judges, described once so that the absolute limit, the
// fast path and the comparison with the stable version treat them alike: 5xx (the server failed)
// and 4xx (the server refused or did not find). A canary that lost its data answers 404, not 500,
// and must not pass for it: a version whose empty storage answered 404 to 40 % of requests was
// promoted while only 5xx were judged.
import type { CanaryAnalysis } from '../config/types.ts';
import type { WindowStats } from '../metrics/types.ts';

export interface ErrorClass {
  /** The status class as people read it: "5xx", "4xx". */
  label: '5xx' | '4xx';
  /** Check name of the absolute limit, which is also its key in `analysis:`. */
  limitCheck: 'max_error_rate' | 'max_4xx_rate';
  /** Check name of the comparison with the stable version. */
  baselineCheck: 'baseline_errors' | 'baseline_4xx';
  /** Check name of the fast path's conclusive failure. */
  conclusiveCheck: 'conclusive_error_rate' | 'conclusive_4xx_rate';
  /** The configured absolute limit, if any. */
  limit(config: CanaryAnalysis): number | undefined;
}

export const SERVER_ERRORS: ErrorClass = {
  label: '5xx',
  limitCheck: 'max_error_rate',
  baselineCheck: 'baseline_errors',
  conclusiveCheck: 'conclusive_error_rate',
  limit: (config) => config.max_error_rate,
};

export const CLIENT_ERRORS: ErrorClass = {
  label: '4xx',
  limitCheck: 'max_4xx_rate',
  baselineCheck: 'baseline_4xx',
  conclusiveCheck: 'conclusive_4xx_rate',
  limit: (config) => config.max_4xx_rate,
};

/** Both, 5xx first: the order their checks appear in a verdict. */
export const ERROR_CLASSES: readonly ErrorClass[] = [SERVER_ERRORS, CLIENT_ERRORS];

export function classCount(stats: WindowStats, cls: ErrorClass): number {
  return stats.byClass[cls.label];
}

/** The class's share of the window's requests; 0 without requests. */
export function classRate(stats: WindowStats, cls: ErrorClass): number {
  return stats.requests > 0 ? classCount(stats, cls) / stats.requests : 0;
}
