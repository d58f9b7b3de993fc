// Named table cases for every analysis check and the worst-wins verdict.
import { describe, expect, it } from 'vitest';
import { analyze, type Phase } from '../src/analysis/index.ts';
import { quantile } from '../src/analysis/stats.ts';
import type { CanaryAnalysis } from '../src/config/types.ts';
import type { WindowStats } from '../src/metrics/types.ts';

interface SideSpec {
  version?: string;
  requests: number;
  errors?: number;
  /** 4xx answers. */
  refused?: number;
  latencies?: number[];
  p50?: number | null;
  p99?: number | null;
}

function side(spec: SideSpec): WindowStats {
  const errors = spec.errors ?? 0;
  const refused = spec.refused ?? 0;
  const latencies =
    spec.latencies ?? Array.from({ length: Math.min(spec.requests, 500) }, (_, i) => 40 + (i % 21));
  return {
    environment: 'production',
    version: spec.version ?? 'v2',
    from: 0,
    to: 10_000,
    requests: spec.requests,
    byClass: { '2xx': spec.requests - errors - refused, '3xx': 0, '4xx': refused, '5xx': errors },
    errorRate: spec.requests > 0 ? errors / spec.requests : 0,
    p50: spec.p50 !== undefined ? spec.p50 : quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: spec.p99 !== undefined ? spec.p99 : quantile(latencies, 0.99),
    latencies,
  };
}

function config(over: Partial<CanaryAnalysis> = {}): CanaryAnalysis {
  return { interval: 10_000, min_requests: 50, on_inconclusive: 'fail', ...over };
}

const stable = (spec: SideSpec) => side({ version: 'v1', ...spec });
const shift = (values: number[], by: number) => values.map((v) => v + by);
const spread = (n: number, base: number) => Array.from({ length: n }, (_, i) => base + (i % 21));

interface Case {
  name: string;
  canary: SideSpec;
  baseline?: SideSpec;
  config?: Partial<CanaryAnalysis>;
  phase: Phase;
  /** Phases of these checks (others may be present too). */
  checks: Record<string, Phase>;
  absent?: string[];
  summary?: RegExp;
}

const cases: Case[] = [
  {
    name: 'too few canary requests is inconclusive, never pass',
    canary: { requests: 12 },
    config: { max_error_rate: 0.01, max_p99_latency: 500 },
    phase: 'inconclusive',
    checks: { min_requests: 'inconclusive', max_error_rate: 'inconclusive', max_p99_latency: 'inconclusive' },
    summary: /^only 12 canary requests, need 50$/,
  },
  {
    name: 'no requests at all is inconclusive even with min_requests 0',
    canary: { requests: 0, latencies: [] },
    config: { min_requests: 0 },
    phase: 'inconclusive',
    checks: { min_requests: 'inconclusive' },
    summary: /^only 0 canary requests, need 1$/,
  },
  {
    name: 'enough requests and no limits passes',
    canary: { requests: 312 },
    phase: 'pass',
    checks: { min_requests: 'pass' },
    absent: ['max_error_rate', 'max_p99_latency'],
    summary: /^312 canary requests \(need 50\)$/,
  },
  {
    name: 'error rate over the limit fails',
    canary: { requests: 312, errors: 13 },
    config: { max_error_rate: 0.01 },
    phase: 'fail',
    checks: { min_requests: 'pass', max_error_rate: 'fail' },
    summary: /^canary 5xx rate 4\.17% > limit 1% \(n=312, 95% lower bound 2\.\d+%\)$/,
  },
  {
    name: 'over the limit by the luck of a small sample holds as inconclusive',
    canary: { requests: 60, errors: 1 },
    config: { max_error_rate: 0.01 },
    phase: 'inconclusive',
    checks: { min_requests: 'pass', max_error_rate: 'inconclusive' },
    summary: /^canary 5xx rate 1\.67% is over limit 1%, not yet conclusively \(n=60/,
  },
  {
    name: 'error rate at the limit passes',
    canary: { requests: 200, errors: 2 },
    config: { max_error_rate: 0.01 },
    phase: 'pass',
    checks: { max_error_rate: 'pass' },
  },
  {
    name: 'a high error rate over too few requests is inconclusive (the fast path handles it)',
    canary: { requests: 20, errors: 20 },
    config: { max_error_rate: 0.01 },
    phase: 'inconclusive',
    checks: { max_error_rate: 'inconclusive' },
  },
  {
    name: 'p99 over the limit fails',
    canary: { requests: 100, p99: 612 },
    config: { max_p99_latency: 500 },
    phase: 'fail',
    checks: { max_p99_latency: 'fail' },
    summary: /^canary p99 612 ms > limit 500 ms \(n=100\)$/,
  },
  {
    name: 'p99 under the limit passes',
    canary: { requests: 100, p99: 120 },
    config: { max_p99_latency: 500 },
    phase: 'pass',
    checks: { max_p99_latency: 'pass' },
  },
  {
    name: 'fail beats inconclusive: absolute failure while the baseline is too small',
    canary: { requests: 100, errors: 10 },
    baseline: { requests: 5 },
    config: { max_error_rate: 0.01, compare: 'baseline' },
    phase: 'fail',
    checks: { max_error_rate: 'fail', baseline_errors: 'inconclusive', baseline_latency: 'inconclusive' },
  },
  {
    name: 'too few baseline requests makes only the baseline checks inconclusive',
    canary: { requests: 100 },
    baseline: { requests: 8 },
    config: { max_error_rate: 0.05, compare: 'baseline' },
    phase: 'inconclusive',
    checks: {
      min_requests: 'pass',
      max_error_rate: 'pass',
      baseline_errors: 'inconclusive',
      baseline_latency: 'inconclusive',
    },
    summary: /^only 8 baseline requests, need 50 to compare$/,
  },
  {
    name: 'too few latency samples for the rank test is inconclusive',
    canary: { requests: 100, latencies: spread(10, 40) },
    baseline: { requests: 900 },
    config: { compare: 'baseline', min_requests: 10 },
    phase: 'inconclusive',
    checks: { baseline_errors: 'pass', baseline_latency: 'inconclusive' },
    summary: /^only 10 canary latency samples, need 20 to compare$/,
  },
  {
    name: 'clearly more errors than the baseline fails',
    canary: { requests: 400, errors: 12 },
    baseline: { requests: 3600, errors: 0 },
    config: { max_error_rate: 0.05, compare: 'baseline' },
    phase: 'fail',
    checks: { max_error_rate: 'pass', baseline_errors: 'fail', baseline_latency: 'pass' },
    summary: /^canary 5xx rate 3% vs baseline 0%: clearly worse \(z=\d+\.\d+, p<0\.0001, n=400\/3600\)$/,
  },
  {
    name: 'a canary that lost its data (40% 404, stable 0%) fails against the baseline',
    canary: { requests: 400, refused: 160 },
    baseline: { requests: 3600 },
    config: { max_error_rate: 0.01, compare: 'baseline' },
    phase: 'fail',
    checks: {
      max_error_rate: 'pass',
      baseline_errors: 'pass',
      baseline_4xx: 'fail',
      baseline_latency: 'pass',
    },
    absent: ['max_4xx_rate'],
    summary: /^canary 4xx rate 40% vs baseline 0%: clearly worse \(z=\d+\.\d+, p<0\.0001, n=400\/3600\)$/,
  },
  {
    name: 'as many 4xx as the baseline passes (clients asking for missing pages)',
    canary: { requests: 400, refused: 40 },
    baseline: { requests: 3600, refused: 360 },
    config: { compare: 'baseline' },
    phase: 'pass',
    checks: { baseline_errors: 'pass', baseline_4xx: 'pass' },
  },
  {
    name: 'a significant but tiny 4xx increase passes (same margins as 5xx: below 1 pp)',
    canary: { requests: 20_000, refused: 300 },
    baseline: { requests: 180_000, refused: 1800 },
    config: { compare: 'baseline' },
    phase: 'pass',
    checks: { baseline_4xx: 'pass' },
  },
  {
    name: '4xx rate over max_4xx_rate fails without a baseline',
    canary: { requests: 312, refused: 31 },
    config: { max_4xx_rate: 0.05 },
    phase: 'fail',
    checks: { min_requests: 'pass', max_4xx_rate: 'fail' },
    absent: ['max_error_rate'],
    summary: /^canary 4xx rate 9\.94% > limit 5% \(n=312, 95% lower bound \d+\.\d+%\)$/,
  },
  {
    name: '4xx rate under max_4xx_rate passes; 4xx never count as 5xx',
    canary: { requests: 312, refused: 9 },
    config: { max_4xx_rate: 0.05, max_error_rate: 0.01 },
    phase: 'pass',
    checks: { max_4xx_rate: 'pass', max_error_rate: 'pass' },
  },
  {
    name: 'a significant but tiny error increase passes (below 1 pp)',
    canary: { requests: 20_000, errors: 300 },
    baseline: { requests: 180_000, errors: 1800 },
    config: { compare: 'baseline' },
    phase: 'pass',
    checks: { baseline_errors: 'pass' },
  },
  {
    name: 'an increase of 1 pp but under 1.5× passes',
    canary: { requests: 20_000, errors: 1000 },
    baseline: { requests: 180_000, errors: 7200 },
    config: { compare: 'baseline' },
    phase: 'pass',
    checks: { baseline_errors: 'pass' },
  },
  {
    name: 'a large increase without significance passes',
    canary: { requests: 50, errors: 1 },
    baseline: { requests: 450, errors: 0 },
    config: { compare: 'baseline' },
    phase: 'pass',
    checks: { baseline_errors: 'pass' },
  },
  {
    name: 'clearly slower than the baseline fails',
    canary: { requests: 300, latencies: shift(spread(300, 40), 300) },
    baseline: { requests: 2700, latencies: spread(2700, 40) },
    config: { compare: 'baseline' },
    phase: 'fail',
    checks: { baseline_errors: 'pass', baseline_latency: 'fail' },
    summary:
      /^canary p50 350 ms vs baseline 50 ms, p99 360 ms vs 60 ms: clearly slower \(U=810000, p<0\.0001/,
  },
  {
    name: 'significantly but only 2 ms slower passes',
    canary: { requests: 3000, latencies: shift(spread(3000, 40), 2) },
    baseline: { requests: 3000, latencies: spread(3000, 40) },
    config: { compare: 'baseline' },
    phase: 'pass',
    checks: { baseline_latency: 'pass' },
  },
  {
    name: 'a slower p99 alone is enough when it is meaningful (5% of requests +360 ms)',
    canary: { requests: 3000, latencies: [...spread(2850, 40), ...spread(150, 400)] },
    baseline: { requests: 3000, latencies: spread(3000, 40) },
    config: { compare: 'baseline' },
    phase: 'fail',
    checks: { baseline_latency: 'fail' },
  },
  {
    name: 'compare: none skips the baseline',
    canary: { requests: 400, errors: 12 },
    baseline: { requests: 3600 },
    config: { compare: 'none' },
    phase: 'pass',
    checks: { min_requests: 'pass' },
    absent: ['baseline_errors', 'baseline_latency'],
  },
  {
    name: 'no stable version: the absolute checks decide alone',
    canary: { requests: 400 },
    config: { compare: 'baseline', max_error_rate: 0.01 },
    phase: 'pass',
    checks: { min_requests: 'pass', max_error_rate: 'pass' },
    absent: ['baseline_errors', 'baseline_latency'],
  },
];

describe('analyze', () => {
  it.each(cases)('$name', (c) => {
    const v = analyze({
      canary: side(c.canary),
      baseline: c.baseline ? stable(c.baseline) : null,
      config: config(c.config),
    });
    expect(v.phase).toBe(c.phase);
    const phases = Object.fromEntries(v.checks.map((check) => [check.name, check.phase]));
    expect(phases).toMatchObject(c.checks);
    for (const name of c.absent ?? []) expect(phases).not.toHaveProperty(name);
    if (c.summary) expect(v.summary).toMatch(c.summary);
    expect(v.summary).toBe(v.checks.find((check) => check.phase === v.phase)?.message);
  });

  it('records the statistics and effect sizes of the baseline tests', () => {
    const v = analyze({
      canary: side({ requests: 400, errors: 12, latencies: shift(spread(400, 40), 300) }),
      baseline: stable({ requests: 3600, errors: 0, latencies: spread(3600, 40) }),
      config: config({ compare: 'baseline' }),
    });
    const errors = v.checks.find((c) => c.name === 'baseline_errors');
    expect(errors?.data).toMatchObject({ canary_error_rate: 0.03, baseline_error_rate: 0, ratio: null });
    expect(errors?.data.p_value).toBeLessThan(0.0001);
    const latency = v.checks.find((c) => c.name === 'baseline_latency');
    expect(latency?.data).toMatchObject({
      canary_p50: 350,
      baseline_p50: 50,
      p50_increase_ms: 300,
      p50_ratio: 7,
    });
    expect(latency?.data.probability_slower).toBe(1);
    expect(latency?.data.u).toBe(400 * 3600);
  });

  it('summarizes both sides', () => {
    const v = analyze({
      canary: side({ requests: 100, errors: 3, refused: 5, p50: 42, p99: 90 }),
      baseline: stable({ requests: 900, errors: 0, p50: 40, p99: 88 }),
      config: config({ compare: 'baseline' }),
    });
    expect(v.canary).toEqual({
      version: 'v2',
      requests: 100,
      errors: 3,
      errorRate: 0.03,
      clientErrors: 5,
      clientErrorRate: 0.05,
      p50: 42,
      p99: 90,
    });
    expect(v.baseline).toMatchObject({ version: 'v1', requests: 900, errors: 0, clientErrors: 0 });
  });
});
