// Numbers in alarm reasons as people read them: rates as percentages, latencies in ms, memory in
// MB, periods as "60 s" or "5 min".

const RATE_METRICS = new Set(['http_5xx_rate', 'http_4xx_rate']);

export function formatMetricValue(metric: string, value: number): string {
  if (RATE_METRICS.has(metric)) return `${trim(value * 100)}%`;
  if (metric === 'instance_cpu') return `${trim(value * 100)}% of a core`;
  if (metric.startsWith('http_latency_') || metric.startsWith('synthetic_latency:'))
    return `${trim(value)} ms`;
  if (metric === 'http_requests') return `${trim(value)} req/s`;
  if (metric.startsWith('slo_page:') || metric.startsWith('slo_ticket:'))
    return `${trim(value)}× its alerting burn rate`;
  if (metric === 'instance_memory') return formatMemory(value);
  return trim(value);
}

export function formatPeriod(ms: number): string {
  if (ms < 120_000 || ms % 60_000 !== 0) return `${trim(ms / 1000)} s`;
  if (ms < 7_200_000 && ms % 3_600_000 !== 0) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 3_600_000)} h`;
}

/** "the last 3 periods of 60 s", "the last period of 60 s". */
export function formatPeriods(count: number, periodMs: number): string {
  return count === 1
    ? `the last period of ${formatPeriod(periodMs)}`
    : `the last ${count} periods of ${formatPeriod(periodMs)}`;
}

function formatMemory(bytes: number): string {
  const mb = bytes / 1024 ** 2;
  return mb >= 1024 ? `${trim(mb / 1024)} GB` : `${trim(mb)} MB`;
}

/** At most 3 significant digits, no trailing zeros: 4.2, 0.12, 250, 1234. */
function trim(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}
