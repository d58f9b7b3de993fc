// The metrics engine's contract: per-(environment, version) request statistics per
// second in memory, rolled up per minute into the store, queried by name, range and step.

/** Request statistics of one (environment, version) over a time window. */
export interface WindowStats {
  environment: string;
  version: string;
  from: number; // epoch ms, inclusive
  to: number; // epoch ms, exclusive
  requests: number;
  /** Responses by class: 2xx, 3xx, 4xx, 5xx (proxy-generated 502/503/504 count as 5xx). */
  byClass: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** 5xx / requests (0 when there are no requests). */
  errorRate: number;
  p50: number | null; // ms, from the merged sketch
  p95: number | null;
  p99: number | null;
  /**
   * Latencies of individual requests in ms (for rank tests), at most `maxSamples` of them: all of
   * them when fewer, else a uniform sample (reservoir per second, merged).
   */
  latencies: number[];
}

export type MetricName =
  | 'http_requests'
  | 'http_5xx_rate'
  | 'http_4xx_rate'
  | 'http_latency_p50'
  | 'http_latency_p95'
  | 'http_latency_p99'
  | 'instance_restarts'
  | 'instance_cpu'
  | 'instance_memory'
  | 'probe_failures';

export interface MetricsQuery {
  environment: string;
  /** One version, or all versions of the environment (one series each) when absent. */
  version?: string;
  metric: MetricName | string;
  from: number; // epoch ms
  to: number; // epoch ms
  step: number; // ms, ≥ 1000
}

export interface Series {
  environment: string;
  version: string;
  metric: string;
  /** [epoch ms of the step start, value or null when there was no data] */
  points: Array<[number, number | null]>;
}

/** What the release engine and the alarms need from the metrics engine. */
export interface MetricsReader {
  window(environment: string, version: string, from: number, to: number, maxSamples?: number): WindowStats;
  query(q: MetricsQuery): Promise<Series[]>;
}
