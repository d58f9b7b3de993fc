// Canary analysis against simulated traffic from a seeded generator, so every run sees the same
// numbers: how often a healthy canary is failed, and whether bad ones are caught.
import { describe, expect, it } from 'vitest';
import { analyze, conclusiveFailure } from '../src/analysis/index.ts';
import { quantile } from '../src/analysis/stats.ts';
import type { CanaryAnalysis } from '../src/config/types.ts';
import type { WindowStats } from '../src/metrics/types.ts';

/** mulberry32: a small, fast, seeded 32-bit generator, uniform on [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Traffic {
  errorRate: number;
  /** Share of requests answered 4xx (a 404 for a missing page, or for lost data). */
  notFoundRate?: number;
  /** Median latency in ms; latencies are log-normal, rounded to whole ms (so there are ties). */
  medianMs: number;
  sigma?: number;
  addMs?: number;
}

function simulate(random: () => number, version: string, requests: number, traffic: Traffic): WindowStats {
  const latencies: number[] = [];
  let errors = 0;
  let notFound = 0;
  for (let i = 0; i < requests; i++) {
    if (random() < traffic.errorRate) errors++;
    // Drawn only when asked for, so the other cases see the same numbers as before.
    else if (traffic.notFoundRate && random() < traffic.notFoundRate / (1 - traffic.errorRate)) notFound++;
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    latencies.push(
      Math.round(traffic.medianMs * Math.exp((traffic.sigma ?? 0.5) * normal) + (traffic.addMs ?? 0)),
    );
  }
  return {
    environment: 'production',
    version,
    from: 0,
    to: 10_000,
    requests,
    byClass: { '2xx': requests - errors - notFound, '3xx': 0, '4xx': notFound, '5xx': errors },
    errorRate: requests > 0 ? errors / requests : 0,
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: quantile(latencies, 0.99),
    latencies,
  };
}

/** A 10 % canary: the baseline sees nine times its requests. */
function run(
  random: () => number,
  canaryRequests: number,
  canary: Traffic,
  baseline: Traffic,
  config: CanaryAnalysis,
) {
  return analyze({
    canary: simulate(random, 'v2', canaryRequests, canary),
    baseline: simulate(random, 'v1', canaryRequests * 9, baseline),
    config,
  });
}

const CONFIG: CanaryAnalysis = {
  interval: 10_000,
  min_requests: 50,
  max_error_rate: 0.05,
  compare: 'baseline',
  on_inconclusive: 'fail',
};
const HEALTHY: Traffic = { errorRate: 0.01, medianMs: 50 };

describe('analysis on simulated traffic', () => {
  it('fails at most 1 % of 1,000 windows where canary and baseline behave the same', () => {
    const random = mulberry32(20260401);
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      const requests = 50 + Math.floor(random() * 350);
      if (run(random, requests, HEALTHY, HEALTHY, CONFIG).phase === 'fail') failed++;
    }
    expect(failed).toBeLessThanOrEqual(10);
  });

  it('stays quiet when errors are rare on both sides', () => {
    const random = mulberry32(7);
    const rare = { ...HEALTHY, errorRate: 0.002 };
    let failed = 0;
    for (let i = 0; i < 1000; i++) {
      if (run(random, 50 + Math.floor(random() * 350), rare, rare, CONFIG).phase === 'fail') failed++;
    }
    expect(failed).toBeLessThanOrEqual(10);
  });

  it('the 4xx comparison fails at most 1 % of 1,000 windows where both sides answer 10 % of requests 404', () => {
    const random = mulberry32(404);
    const missing = { ...HEALTHY, notFoundRate: 0.1 };
    let failed = 0;
    let by4xx = 0;
    for (let i = 0; i < 1000; i++) {
      const v = run(random, 50 + Math.floor(random() * 350), missing, missing, CONFIG);
      if (v.phase === 'fail') failed++;
      if (v.checks.some((c) => c.name === 'baseline_4xx' && c.phase === 'fail')) by4xx++;
    }
    // Measured: 9 by the 4xx test, 20 in all (5xx, 4xx and latency tests each near their 1 %).
    // A step fails only when its cumulative comparison fails twice running.
    expect(by4xx).toBeLessThanOrEqual(10);
    expect(failed).toBeLessThanOrEqual(25);
  });

  it('fails every window of a canary that lost its data (40 % 404 against 0 %), by the 4xx comparison', () => {
    const random = mulberry32(4040);
    for (let i = 0; i < 100; i++) {
      const v = run(
        random,
        50 + Math.floor(random() * 350),
        { ...HEALTHY, notFoundRate: 0.4 },
        HEALTHY,
        CONFIG,
      );
      expect(v.phase).toBe('fail');
      expect(v.checks.find((c) => c.name === 'baseline_4xx')?.phase).toBe('fail');
    }
  });

  it('fails a canary that is 300 ms slower, by the latency comparison', () => {
    const random = mulberry32(42);
    for (let i = 0; i < 20; i++) {
      const v = run(random, 100, { ...HEALTHY, addMs: 300 }, HEALTHY, { ...CONFIG, max_error_rate: 0.2 });
      expect(v.phase).toBe('fail');
      expect(v.checks.find((c) => c.name === 'baseline_latency')?.phase).toBe('fail');
    }
  });

  it('fails a canary with 3 % errors against 0 % by the baseline test, under a 5 % limit', () => {
    const random = mulberry32(3);
    for (let i = 0; i < 20; i++) {
      const v = run(random, 1000, { ...HEALTHY, errorRate: 0.03 }, { ...HEALTHY, errorRate: 0 }, CONFIG);
      expect(v.phase).toBe('fail');
      expect(v.checks.find((c) => c.name === 'max_error_rate')?.phase).toBe('pass');
      expect(v.checks.find((c) => c.name === 'baseline_errors')?.phase).toBe('fail');
    }
  });

  it('is inconclusive, never a pass, with too few requests', () => {
    const random = mulberry32(11);
    for (let requests = 0; requests < CONFIG.min_requests; requests += 7) {
      const bad = run(random, requests, { ...HEALTHY, addMs: 300 }, HEALTHY, CONFIG);
      const good = run(random, requests, HEALTHY, HEALTHY, CONFIG);
      expect(bad.phase).toBe('inconclusive');
      expect(good.phase).toBe('inconclusive');
    }
  });
});

describe('fast path on simulated traffic', () => {
  /** Requests one by one, the fast path looked at every `every` requests; the count at failure. */
  function firstFailure(
    random: () => number,
    errorRate: number,
    limit: number | undefined,
    upTo: number,
    every = 1,
  ) {
    let errors = 0;
    const config = { ...CONFIG, max_error_rate: limit };
    for (let n = 1; n <= upTo; n++) {
      if (random() < errorRate) errors++;
      if (n % every !== 0) continue;
      const window = simulate(() => 0.5, 'v2', 0, HEALTHY);
      const stats = {
        ...window,
        requests: n,
        byClass: { ...window.byClass, '5xx': errors },
        errorRate: errors / n,
      };
      if (conclusiveFailure(stats, config)) return n;
    }
    return null;
  }

  it('catches a canary answering only 5xx after 10 requests', () => {
    expect(firstFailure(mulberry32(1), 1, 0.01, 100)).toBe(10);
    expect(firstFailure(mulberry32(1), 1, undefined, 100)).toBe(10);
  });

  // A look over 200 requests fires only on 6 or more errors (3 %), about a fifth of such runs.
  // Looked at continuously it does catch the canary in the end (median ~385 requests): by then
  // the evidence is overwhelming, and the interval analysis fails it as well.
  it('mostly leaves 2 % errors against a 1 % limit to the interval analysis', () => {
    const random = mulberry32(5);
    let caught = 0;
    for (let i = 0; i < 200; i++) if (firstFailure(random, 0.02, 0.01, 200, 200) !== null) caught++;
    expect(caught).toBeLessThanOrEqual(50);
  });

  it('rarely fails a canary well under its limit, looked at every 5 requests', () => {
    const random = mulberry32(9);
    let failed = 0;
    for (let i = 0; i < 1000; i++) if (firstFailure(random, 0.002, 0.01, 2000, 5) !== null) failed++;
    expect(failed).toBeLessThanOrEqual(10);
  });
});
