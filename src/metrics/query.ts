// query(): named metrics over a range and step, one series per version. Recent seconds come from
// memory, older minutes from the rollups in the store. A step shorter than a minute over rollup data
// repeats the minute's value on each of its steps (rates and quantiles are per minute there, and a
// flat line says so more honestly than made-up detail or gaps would).
import { GantryError } from '../lib/errors.ts';
import type { MetricRollupRepo } from '../store/types.ts';
import { INSTANCE_METRICS, type InstanceMetric, type InstanceSamples } from './instance-samples.ts';
import { MINUTE_MS, rollupTally } from './rollup.ts';
import type { SeriesState } from './series.ts';
import { quantileOf } from './sketch.ts';
import { addToTally, emptyTally, type Tally } from './tally.ts';
import type { MetricsQuery, Series } from './types.ts';

/** Most points one query may return (Prometheus' limit). */
export const MAX_POINTS = 11_000;

const HTTP_METRICS = [
  'http_requests',
  'http_5xx_rate',
  'http_4xx_rate',
  'http_latency_p50',
  'http_latency_p95',
  'http_latency_p99',
] as const;
type HttpMetric = (typeof HTTP_METRICS)[number];

/** Metrics other modules produce (probes, log patterns): known names, no data from this engine. */
const ELSEWHERE = (metric: string) => metric === 'probe_failures' || metric.startsWith('log_matches:');

export const QUERYABLE_METRICS: readonly string[] = [...HTTP_METRICS, ...INSTANCE_METRICS];

export interface QuerySources {
  service: string;
  now: number;
  /** Memory answers for seconds from here on (epoch ms); rollups answer before it. */
  memoryFrom: number;
  /** The in-memory series of an environment, every version. */
  seriesOf(environment: string): SeriesState[];
  rollups: MetricRollupRepo | undefined;
  instances: InstanceSamples;
}

export async function runQuery(src: QuerySources, q: MetricsQuery): Promise<Series[]> {
  const starts = stepStarts(q);
  const known = (HTTP_METRICS as readonly string[]).includes(q.metric);
  if (INSTANCE_METRICS.includes(q.metric)) return instanceSeries(src, q, starts);
  if (ELSEWHERE(q.metric)) return [];
  if (!known) {
    throw new GantryError('BAD_REQUEST', `unknown metric ${q.metric}`, {
      hint: `Use one of ${[...QUERYABLE_METRICS, 'probe_failures', 'log_matches:<name>'].join(', ')}.`,
    });
  }
  const metric = q.metric as HttpMetric;
  const end = (starts[starts.length - 1] ?? q.from) + q.step;
  const minutes = await rollupMinutes(src, q, starts[0] ?? q.from, end);
  const memory = new Map(src.seriesOf(q.environment).map((s) => [s.version, s]));
  const versions =
    q.version !== undefined ? [q.version] : [...new Set([...memory.keys(), ...minutes.keys()])];
  const out: Series[] = [];
  for (const version of versions.sort()) {
    const ctx = { src, metric, step: q.step, series: memory.get(version), minutes: minutes.get(version) };
    const points = starts.map((t): [number, number | null] => [t, stepValue(ctx, t)]);
    if (q.version !== undefined || points.some(([, v]) => v !== null))
      out.push({ environment: q.environment, version, metric: q.metric, points });
  }
  return out;
}

function stepStarts(q: MetricsQuery): number[] {
  if (!Number.isFinite(q.step) || q.step < 1000)
    throw new GantryError('BAD_REQUEST', `step must be at least 1s, got ${q.step} ms`);
  if (!(q.to > q.from)) throw new GantryError('BAD_REQUEST', 'the range is empty: `to` must be after `from`');
  const first = Math.floor(q.from / q.step) * q.step;
  const count = Math.ceil((q.to - first) / q.step);
  if (count > MAX_POINTS) {
    throw new GantryError('BAD_REQUEST', `${count} points asked, at most ${MAX_POINTS} per query`, {
      hint: 'Use a larger step or a shorter range.',
    });
  }
  return Array.from({ length: count }, (_, i) => first + i * q.step);
}

interface StepContext {
  src: QuerySources;
  metric: HttpMetric;
  step: number;
  series: SeriesState | undefined;
  minutes: Map<number, Tally> | undefined;
}

function stepValue(ctx: StepContext, t: number): number | null {
  const { src, step } = ctx;
  const withSketch = ctx.metric.startsWith('http_latency');
  if (t < src.memoryFrom && step < MINUTE_MS) {
    const minute = ctx.minutes?.get(Math.floor(t / MINUTE_MS) * MINUTE_MS);
    return minute ? metricValue(ctx.metric, minute, 60) : null;
  }
  const tally = emptyTally();
  let seconds = 0;
  const rollupEnd = Math.min(t + step, src.memoryFrom);
  for (let m = Math.ceil(t / MINUTE_MS) * MINUTE_MS; m < rollupEnd; m += MINUTE_MS) {
    const minute = ctx.minutes?.get(m);
    if (minute) addToTally(tally, minute, withSketch);
    seconds += 60;
  }
  const from = Math.ceil(Math.max(t, src.memoryFrom) / 1000);
  const to = Math.ceil(Math.min(t + step, Math.floor(src.now / 1000) * 1000 + 1000) / 1000);
  for (let s = from; s < to; s++) {
    const b = ctx.series?.bucketAt(s);
    if (b && b.requests > 0) addToTally(tally, b, withSketch);
    seconds++;
  }
  return metricValue(ctx.metric, tally, seconds);
}

function metricValue(metric: HttpMetric, t: Tally, seconds: number): number | null {
  if (t.requests === 0) return null;
  switch (metric) {
    case 'http_requests':
      return seconds > 0 ? t.requests / seconds : null;
    case 'http_5xx_rate':
      return t.c5xx / t.requests;
    case 'http_4xx_rate':
      return t.c4xx / t.requests;
    case 'http_latency_p50':
      return quantileOf(t.sketch, 0.5);
    case 'http_latency_p95':
      return quantileOf(t.sketch, 0.95);
    case 'http_latency_p99':
      return quantileOf(t.sketch, 0.99);
  }
}

/** Rollup rows of the range that memory does not cover, per version, by minute start. */
async function rollupMinutes(
  src: QuerySources,
  q: MetricsQuery,
  from: number,
  to: number,
): Promise<Map<string, Map<number, Tally>>> {
  const out = new Map<string, Map<number, Tally>>();
  const first = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  const last = Math.min(to, src.memoryFrom);
  if (!src.rollups || first >= last) return out;
  const rows = await src.rollups.list({
    service: src.service,
    environment: q.environment,
    ...(q.version !== undefined ? { version: q.version } : {}),
    from: new Date(first).toISOString(),
    to: new Date(last).toISOString(),
  });
  const withSketch = q.metric.startsWith('http_latency');
  for (const row of rows) {
    let byMinute = out.get(row.version);
    if (!byMinute) {
      byMinute = new Map();
      out.set(row.version, byMinute);
    }
    byMinute.set(Date.parse(row.minute), rollupTally(row, withSketch));
  }
  return out;
}

function instanceSeries(src: QuerySources, q: MetricsQuery, starts: number[]): Series[] {
  const end = (starts[starts.length - 1] ?? q.from) + q.step;
  const versions = q.version !== undefined ? [q.version] : src.instances.versions(q.environment, q.from, end);
  return versions.map((version) => ({
    environment: q.environment,
    version,
    metric: q.metric,
    points: src.instances.points(q.metric as InstanceMetric, q.environment, version, starts, q.step),
  }));
}
