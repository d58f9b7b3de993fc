// Every threshold of canary analysis in one place. The baseline comparison fails only when a
// difference is both statistically clear (p-value) and large enough to matter (effect margins),
// because with thousands of requests even a harmless 1 ms shift becomes "significant".

const MINUTE = 60_000;

/** One-sided p-value below which a baseline comparison may fail. */
export const SIGNIFICANCE_LEVEL = 0.01;

/** Errors: the canary's 5xx (or 4xx) rate must exceed the baseline's by at least 1 percentage point… */
export const MIN_ERROR_RATE_INCREASE = 0.01;
/** …and be at least 1.5× the baseline's (when the baseline has any errors). */
export const MIN_ERROR_RATE_RATIO = 1.5;

/** Latency: canary p50 ≥ 1.2× the baseline's and at least 5 ms more… */
export const MIN_P50_RATIO = 1.2;
export const MIN_P50_INCREASE_MS = 5;
/** …or canary p99 ≥ 1.2× the baseline's and at least 10 ms more. */
export const MIN_P99_RATIO = 1.2;
export const MIN_P99_INCREASE_MS = 10;

/** Latency samples each side needs before the rank test's normal approximation is trusted. */
export const MIN_RANK_TEST_SAMPLES = 20;

/** Canary requests the fast path needs before it may fail a step. */
export const FAST_FAIL_MIN_REQUESTS = 10;
/** z of a one-sided 99 % interval: qnorm(0.99). */
export const FAST_FAIL_Z = 2.3263478740408408;
/** Error rate the fast path's lower bound must exceed when no max_error_rate is configured. */
export const FAST_FAIL_DEFAULT_ERROR_RATE = 0.5;

/** Without `step_deadline`, an inconclusive step may wait max(pause × 3, pause + 5 min). */
export const STEP_DEADLINE_PAUSE_FACTOR = 3;
export const STEP_DEADLINE_MIN_EXTRA = 5 * MINUTE;

/** How long a step may stay inconclusive before `on_inconclusive` decides it. */
export function defaultStepDeadline(pauseMs: number): number {
  return Math.max(pauseMs * STEP_DEADLINE_PAUSE_FACTOR, pauseMs + STEP_DEADLINE_MIN_EXTRA);
}
