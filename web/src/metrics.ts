// Metric queries for charts: a step chosen so that a chart stays under ~1,000 points per series.
import type { MetricsQueryResponse } from '../../src/api/types.ts';
import { getJson, qs } from './api.ts';

export type HttpMetric =
  | 'http_requests'
  | 'http_5xx_rate'
  | 'http_4xx_rate'
  | 'http_latency_p50'
  | 'http_latency_p95'
  | 'http_latency_p99';

export const RANGES = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type RangeName = keyof typeof RANGES;

const STEPS_S = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
export const MAX_CHART_POINTS = 1000;

/** The finest step (seconds) that keeps `rangeMs` under MAX_CHART_POINTS points. */
export function stepFor(rangeMs: number): number {
  for (const s of STEPS_S) if (rangeMs / (s * 1000) <= MAX_CHART_POINTS) return s;
  return Math.ceil(rangeMs / MAX_CHART_POINTS / 1000);
}

export type Series = MetricsQueryResponse['series'][number];

export async function queryMetric(
  environment: string,
  metric: HttpMetric,
  from: string,
  stepSeconds: number,
): Promise<Series[]> {
  const body = await getJson<MetricsQueryResponse>(
    `/api/v1/metrics${qs({ environment, metric, from, to: 'now', step: `${stepSeconds}s` })}`,
  );
  return body.series;
}

/** The newest non-null value of a series. */
export function lastValue(points: Array<[number, number | null]>): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i]?.[1];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}
