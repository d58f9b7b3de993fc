// One datapoint per period for each metric, over all versions of an environment:
// request metrics from the metrics engine, instance gauges from its samples, restarts and probe
// failures counted from the environment's events, synthetics from the series store, and anything
// else (log_matches:<name>) from an extra source. null is a missing datapoint.
import type { SloConfig } from '../config/types.ts';
import {
  DEFAULT_RESPONSE_TARGETS,
  overdueIncidents,
  RESPONSE_MAX_ROWS,
  RESPONSE_METRIC,
  type ResponseTargets,
} from '../incidents/response-targets.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import { burnDatapoint, parseSloMetric } from '../slo/burn-alarms.ts';
import type { EnvironmentEventRecord, Store } from '../store/types.ts';
import type { SeriesStore } from './series-store.ts';

/** Metrics other modules produce (the logs issue feeds log_matches:<name> through this). */
export interface ExtraMetricSource {
  /**
   * The datapoint of `metric` in `environment` over [from, to): a number, null when missing, or
   * undefined when this source does not know the metric.
   */
  datapoint(q: {
    metric: string;
    environment: string;
    from: number;
    to: number;
  }): number | null | undefined | Promise<number | null | undefined>;
}

export interface DatapointSources {
  service: string;
  metrics: Pick<MetricsEngine, 'environmentWindow' | 'query'> &
    Partial<Pick<MetricsEngine, 'environmentTally'>>;
  store: Pick<Store, 'events' | 'incidents'>;
  /** Response-time targets by severity, which the alarm incident:response counts against. */
  respondWithin?: ResponseTargets;
  /** The SLOs of gantry.yaml, whose burn-rate alarms (slo_page:<name>, slo_ticket:<name>) read them. */
  slos?: SloConfig[];
  series: SeriesStore;
  extra: ExtraMetricSource | undefined;
  /** From here on, a period without requests has http_requests 0; before it, nothing was watching. */
  watchingSince: number;
}

/** Environment events read per evaluation of an event-counted metric, newest first. */
const EVENTS_READ = 2000;
/** A liveness restart records instance.restarted and then the exit it causes: one restart. */
const RESTART_PAIR_MS = 120_000;

/** Datapoints of the periods starting at `starts` (each `period` long), in the same order. */
export async function computeDatapoints(
  src: DatapointSources,
  q: { metric: string; environment: string; period: number; starts: number[] },
): Promise<Array<number | null>> {
  const { metric, environment, period, starts } = q;
  const [family = '', argument] = metric.split(':', 2);
  if (metric.startsWith('http_')) {
    return Promise.all(starts.map((from) => requestDatapoint(src, metric, environment, from, period)));
  }
  if (metric === 'instance_cpu' || metric === 'instance_memory') {
    return instanceDatapoints(src, metric, environment, period, starts);
  }
  if (metric === 'instance_restarts' || metric === 'probe_failures') {
    const events = await src.store.events.list({ service: src.service, environment, limit: EVENTS_READ });
    const count = metric === 'instance_restarts' ? restartTimes(events) : unreadyTimes(events);
    return starts.map((from) => count.filter((t) => t >= from && t < from + period).length);
  }
  if (argument !== undefined && (family === 'synthetic_failures' || family === 'synthetic_latency')) {
    return starts.map((from) => {
      const values = src.series.values(metric, environment, from, from + period);
      if (values.length === 0) return null;
      // Failures add up over the period; latency is the slowest run's.
      return family === 'synthetic_failures' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
    });
  }
  if (metric === RESPONSE_METRIC) {
    const open = await src.store.incidents.list({
      service: src.service,
      environment,
      status: ['open'],
      limit: RESPONSE_MAX_ROWS,
    });
    const targets = src.respondWithin ?? DEFAULT_RESPONSE_TARGETS;
    return starts.map((from) => overdueIncidents(open, targets, from + period).length);
  }
  const burn = parseSloMetric(metric);
  const slo = burn && src.slos?.find((s) => s.name === burn.slo);
  const tallies = src.metrics.environmentTally;
  if (burn && slo && tallies) {
    const source = { environmentTally: tallies };
    return Promise.all(starts.map((from) => burnDatapoint(source, slo, burn.severity, from + period)));
  }
  return Promise.all(
    starts.map(async (from) => {
      const v = await src.extra?.datapoint({ metric, environment, from, to: from + period });
      return v ?? null;
    }),
  );
}

async function requestDatapoint(
  src: DatapointSources,
  metric: string,
  environment: string,
  from: number,
  period: number,
): Promise<number | null> {
  const w = await src.metrics.environmentWindow(environment, from, from + period);
  switch (metric) {
    case 'http_requests':
      if (w.requests === 0 && from < src.watchingSince) return null;
      return w.requests / (period / 1000);
    case 'http_5xx_rate':
      return w.requests > 0 ? w.byClass['5xx'] / w.requests : null;
    case 'http_4xx_rate':
      return w.requests > 0 ? w.byClass['4xx'] / w.requests : null;
    case 'http_latency_p50':
      return w.p50;
    case 'http_latency_p95':
      return w.p95;
    case 'http_latency_p99':
      return w.p99;
    default:
      return null;
  }
}

/** The environment's total (every version's instances summed), as `gantry metrics` shows it. */
async function instanceDatapoints(
  src: DatapointSources,
  metric: string,
  environment: string,
  period: number,
  starts: number[],
): Promise<Array<number | null>> {
  if (starts.length === 0) return [];
  const first = starts[0] as number;
  const last = starts[starts.length - 1] as number;
  const series = await src.metrics.query({
    environment,
    metric,
    from: first,
    to: last + period,
    step: period,
  });
  const sums = new Map<number, number>();
  for (const s of series) {
    for (const [t, v] of s.points) if (v !== null) sums.set(t, (sums.get(t) ?? 0) + v);
  }
  return starts.map((t) => sums.get(t) ?? null);
}

/** Times of restarts: every exit of an instance, and liveness restarts without an exit after them. */
export function restartTimes(events: EnvironmentEventRecord[]): number[] {
  const exits = events.filter((e) => e.type === 'instance.exited');
  const out = exits.map((e) => Date.parse(e.at));
  for (const e of events) {
    if (e.type !== 'instance.restarted') continue;
    const at = Date.parse(e.at);
    const paired = exits.some((x) => {
      const exitAt = Date.parse(x.at);
      return x.instance === e.instance && exitAt >= at && exitAt - at <= RESTART_PAIR_MS;
    });
    if (!paired) out.push(at);
  }
  return out;
}

function unreadyTimes(events: EnvironmentEventRecord[]): number[] {
  return events.filter((e) => e.type === 'instance.unready').map((e) => Date.parse(e.at));
}
