// Canary analysis: pure functions from two windows of request statistics and the
// configured limits to a verdict with the numbers behind it.
import type { CanaryAnalysis } from '../config/types.ts';
import type { WindowStats } from '../metrics/types.ts';

/** Totally ordered, worst wins: fail > inconclusive > pass. */
export type Phase = 'pass' | 'inconclusive' | 'fail';

export interface CheckResult {
  /**
   * e.g. 'min_requests', 'max_error_rate', 'max_4xx_rate', 'max_p99_latency', 'baseline_errors',
   * 'baseline_4xx', 'baseline_latency'
   */
  name: string;
  phase: Phase;
  /** Human sentence with the numbers: "canary 5xx rate 4.2% > limit 1% (n=312)". */
  message: string;
  /** Statistic and p-value of a test, observed and limit values… */
  data: Record<string, number | string | null>;
}

export interface Verdict {
  phase: Phase;
  /** One-line summary, the message of the worst check. */
  summary: string;
  checks: CheckResult[];
  canary: SideSummary;
  baseline: SideSummary | null;
}

export interface SideSummary {
  version: string;
  requests: number;
  /** 5xx answers and their share of the requests. */
  errors: number;
  errorRate: number;
  /** 4xx answers and their share of the requests. */
  clientErrors: number;
  clientErrorRate: number;
  p50: number | null;
  p99: number | null;
}

export interface AnalysisInput {
  canary: WindowStats;
  /** The stable version's window over the same time; null when there is no stable version. */
  baseline: WindowStats | null;
  config: CanaryAnalysis;
}
