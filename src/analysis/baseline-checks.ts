// `compare: baseline`: is the canary clearly worse than the stable version over the same window?
// A check fails only when a one-sided test is significant AND the difference is large enough to
// matter (defaults.ts); otherwise it passes. Too little data on either side is inconclusive.
// Errors, 5xx and 4xx each on its own with the same test and margins (error-classes.ts): pooled
// two-proportion z-test with Yates' continuity correction, which keeps the false failure rate
// near the nominal 1 % when errors are rare (uncorrected: up to 2.4 % per window).
// Latency: Mann–Whitney U (stats.ts) on the two samples of request latencies.
import type { CanaryAnalysis } from '../config/types.ts';
import type { WindowStats } from '../metrics/types.ts';
import {
  MIN_ERROR_RATE_INCREASE,
  MIN_ERROR_RATE_RATIO,
  MIN_P50_INCREASE_MS,
  MIN_P50_RATIO,
  MIN_P99_INCREASE_MS,
  MIN_P99_RATIO,
  MIN_RANK_TEST_SAMPLES,
  SIGNIFICANCE_LEVEL,
} from './defaults.ts';
import { classCount, classRate, ERROR_CLASSES, type ErrorClass } from './error-classes.ts';
import { formatMs, formatP, formatPercent, formatStat, plural } from './format.ts';
import { requiredRequests } from './limit-checks.ts';
import { p50Of, p99Of } from './side-summary.ts';
import { mannWhitneyGreater, twoProportionGreater } from './stats.ts';
import type { CheckResult } from './types.ts';

// Rates such as 0.03 − 0.02 come out a hair under 0.01 in binary floating point.
const TOLERANCE = 1e-9;

export function compareWithBaseline(
  canary: WindowStats,
  baseline: WindowStats,
  config: CanaryAnalysis,
): CheckResult[] {
  return [
    ...ERROR_CLASSES.map((cls) => compareRates(canary, baseline, config, cls)),
    compareLatency(canary, baseline, config),
  ];
}

/** Is the canary's 5xx (or 4xx) share clearly higher than the stable version's? */
export function compareRates(
  canary: WindowStats,
  baseline: WindowStats,
  config: CanaryAnalysis,
  cls: ErrorClass,
): CheckResult {
  const name = cls.baselineCheck;
  const short = tooFewRequests(canary, baseline, config);
  if (short) return { name, phase: 'inconclusive', message: short, data: requestCounts(canary, baseline) };
  const rc = classRate(canary, cls);
  const rb = classRate(baseline, cls);
  const test = twoProportionGreater(
    classCount(canary, cls),
    canary.requests,
    classCount(baseline, cls),
    baseline.requests,
    true,
  );
  const increase = rc - rb;
  const meaningful =
    rb === 0
      ? rc >= MIN_ERROR_RATE_INCREASE - TOLERANCE
      : increase >= MIN_ERROR_RATE_INCREASE - TOLERANCE && rc >= MIN_ERROR_RATE_RATIO * rb - TOLERANCE;
  const significant = test.pValue < SIGNIFICANCE_LEVEL;
  const data = {
    ...requestCounts(canary, baseline),
    canary_error_rate: rc,
    baseline_error_rate: rb,
    z: test.z,
    p_value: test.pValue,
    increase,
    ratio: rb > 0 ? rc / rb : null,
  };
  const rates = `canary ${cls.label} rate ${formatPercent(rc)} vs baseline ${formatPercent(rb)}`;
  const stats = `${formatStat('z', test.z)}, ${formatP(test.pValue)}, n=${canary.requests}/${baseline.requests}`;
  if (significant && meaningful) {
    return { name, phase: 'fail', message: `${rates}: clearly worse (${stats})`, data };
  }
  const why = significant
    ? `an increase below the margin of ${formatPercent(MIN_ERROR_RATE_INCREASE)} and ${MIN_ERROR_RATE_RATIO}×`
    : 'no significant increase';
  return { name, phase: 'pass', message: `${rates}: ${why} (${stats})`, data };
}

export function compareLatency(
  canary: WindowStats,
  baseline: WindowStats,
  config: CanaryAnalysis,
): CheckResult {
  const name = 'baseline_latency';
  const short = tooFewRequests(canary, baseline, config) ?? tooFewSamples(canary, baseline);
  if (short) return { name, phase: 'inconclusive', message: short, data: requestCounts(canary, baseline) };
  const test = mannWhitneyGreater(canary.latencies, baseline.latencies);
  const p50 = { canary: p50Of(canary), baseline: p50Of(baseline) };
  const p99 = { canary: p99Of(canary), baseline: p99Of(baseline) };
  const slowerP50 = isMeaningfullySlower(p50.canary, p50.baseline, MIN_P50_RATIO, MIN_P50_INCREASE_MS);
  const slowerP99 = isMeaningfullySlower(p99.canary, p99.baseline, MIN_P99_RATIO, MIN_P99_INCREASE_MS);
  const significant = test.pValue < SIGNIFICANCE_LEVEL;
  const data = {
    ...requestCounts(canary, baseline),
    canary_samples: test.n1,
    baseline_samples: test.n2,
    u: test.u,
    z: test.z,
    p_value: test.pValue,
    probability_slower: test.probabilityGreater,
    canary_p50: p50.canary,
    baseline_p50: p50.baseline,
    p50_ratio: ratio(p50.canary, p50.baseline),
    p50_increase_ms: difference(p50.canary, p50.baseline),
    canary_p99: p99.canary,
    baseline_p99: p99.baseline,
    p99_ratio: ratio(p99.canary, p99.baseline),
    p99_increase_ms: difference(p99.canary, p99.baseline),
  };
  const latencies =
    `canary p50 ${formatMs(p50.canary)} vs baseline ${formatMs(p50.baseline)}, ` +
    `p99 ${formatMs(p99.canary)} vs ${formatMs(p99.baseline)}`;
  const stats = `${formatStat('U', test.u)}, ${formatP(test.pValue)}, n=${test.n1}/${test.n2}`;
  if (significant && (slowerP50 || slowerP99)) {
    return { name, phase: 'fail', message: `${latencies}: clearly slower (${stats})`, data };
  }
  const why = significant ? 'slower by less than the margin' : 'not significantly slower';
  return { name, phase: 'pass', message: `${latencies}: ${why} (${stats})`, data };
}

function isMeaningfullySlower(
  canary: number | null,
  baseline: number | null,
  minRatio: number,
  minIncrease: number,
): boolean {
  if (canary === null || baseline === null) return false;
  return canary >= minRatio * baseline && canary - baseline >= minIncrease;
}

function tooFewRequests(canary: WindowStats, baseline: WindowStats, config: CanaryAnalysis): string | null {
  const need = requiredRequests(config);
  if (canary.requests < need) return `only ${plural(canary.requests, 'canary request')}, need ${need}`;
  if (baseline.requests < need) {
    return `only ${plural(baseline.requests, 'baseline request')}, need ${need} to compare`;
  }
  return null;
}

function tooFewSamples(canary: WindowStats, baseline: WindowStats): string | null {
  for (const [side, stats] of [
    ['canary', canary],
    ['baseline', baseline],
  ] as const) {
    const n = stats.latencies.filter(Number.isFinite).length;
    if (n < MIN_RANK_TEST_SAMPLES) {
      return `only ${plural(n, `${side} latency sample`)}, need ${MIN_RANK_TEST_SAMPLES} to compare`;
    }
  }
  return null;
}

function requestCounts(canary: WindowStats, baseline: WindowStats): Record<string, number> {
  return { canary_requests: canary.requests, baseline_requests: baseline.requests };
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}
