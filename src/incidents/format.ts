// Words and numbers of incidents: durations, UTC times and metric values as people read them.

/** 45 s, 3 min 10 s, 42 min, 1 h 02 min, 2 d 3 h */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 || m >= 10 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** 2026-05-01 12:03:04 UTC: documents name the zone, so readers anywhere agree. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 12:03:04 (UTC), for timeline tables whose header names the day. */
export function formatUtcClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

/** A metric's value in its unit: rates and CPU as %, latencies in ms, memory in MB. */
export function formatMetricValue(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'no data';
  if (metric.endsWith('_rate') || metric === 'instance_cpu') return `${round(v * 100)}%`;
  if (metric.startsWith('http_latency') || metric.endsWith('_latency')) return `${round(v)} ms`;
  if (metric === 'instance_memory') return `${round(v / 1e6)} MB`;
  if (metric === 'http_requests') return `${round(v)}/s`;
  return round(v);
}

/** 3 significant-ish digits without trailing zeros: 4.2, 0.35, 12.5, 480. */
function round(v: number): string {
  const a = Math.abs(v);
  return String(Number(v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2)));
}

/** Milliseconds from `from` to `iso`; null while `iso` has not happened. */
export function durationMs(iso: string | null, from: string): number | null {
  return iso === null ? null : Date.parse(iso) - Date.parse(from);
}
