// GET /metrics: Gantry's own and every environment's request metrics in the Prometheus text format
// 0.0.4. Names follow Prometheus' rules (base units in the name, counters end in _total, no
// colons) so that `promtool check metrics` accepts the whole exposition.
import type { MetricsEngine } from './engine.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ExtraMetric {
  /** snake_case with base units, e.g. gantry_releases; a counter's name ends in _total. */
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

export interface PrometheusExtras {
  /** Gantry's version, exposed as gantry_build_info{version}. */
  buildVersion?: string;
  /** Gauges and counters of Gantry's own: releases by state, instances by state… */
  metrics?: ExtraMetric[];
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Codes that are always exposed, so a rate over them exists before the first error. */
const ALWAYS_SHOWN = new Set(['2xx', '3xx', '4xx', '5xx']);

export function renderPrometheus(
  engine: Pick<MetricsEngine, 'counters'>,
  extra: PrometheusExtras = {},
): string {
  const out: string[] = [];
  const counters = engine.counters();

  family(out, 'gantry_http_requests_total', 'counter', 'Proxied HTTP requests by status class since start.');
  for (const c of counters) {
    for (const { codeClass, count } of c.codes) {
      if (count > 0 || ALWAYS_SHOWN.has(codeClass)) {
        sample(out, 'gantry_http_requests_total', labels(c, { code_class: codeClass }), count);
      }
    }
  }

  const duration = 'gantry_http_request_duration_seconds';
  family(out, duration, 'histogram', 'Time from request received to response finished, by the proxy.');
  for (const c of counters) {
    for (const b of c.buckets) {
      const le = b.le === Number.POSITIVE_INFINITY ? '+Inf' : String(b.le);
      sample(out, `${duration}_bucket`, labels(c, { le }), b.count);
    }
    sample(out, `${duration}_sum`, labels(c), c.sumSeconds);
    sample(out, `${duration}_count`, labels(c), c.count);
  }

  family(out, 'gantry_build_info', 'gauge', 'Always 1; the version label says which Gantry runs.');
  sample(out, 'gantry_build_info', { version: extra.buildVersion ?? 'unknown' }, 1);

  const cpu = process.cpuUsage();
  family(
    out,
    'gantry_process_cpu_seconds_total',
    'counter',
    'User and system CPU time of the Gantry process.',
  );
  sample(out, 'gantry_process_cpu_seconds_total', {}, (cpu.user + cpu.system) / 1e6);
  family(out, 'gantry_process_resident_memory_bytes', 'gauge', 'Resident memory of the Gantry process.');
  sample(out, 'gantry_process_resident_memory_bytes', {}, process.memoryUsage.rss());
  family(out, 'gantry_process_start_time_seconds', 'gauge', 'Start of the Gantry process, Unix time.');
  sample(out, 'gantry_process_start_time_seconds', {}, Math.round(performance.timeOrigin) / 1000);

  for (const m of extra.metrics ?? []) {
    checkExtra(m);
    family(out, m.name, m.type, m.help);
    for (const s of m.samples) sample(out, m.name, s.labels ?? {}, s.value);
  }
  return `${out.join('\n')}\n`;
}

function labels(
  c: { environment: string; version: string },
  more: Record<string, string> = {},
): Record<string, string> {
  return { environment: c.environment, version: c.version, ...more };
}

function family(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
  out.push(`# TYPE ${name} ${type}`);
}

function sample(out: string[], name: string, labelSet: Record<string, string>, value: number): void {
  const pairs = Object.entries(labelSet).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  out.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function checkExtra(m: ExtraMetric): void {
  if (!NAME.test(m.name) || !m.name.startsWith('gantry_'))
    throw new Error(`metric name ${m.name} must match ${NAME} and start with gantry_`);
  if (m.type === 'counter' && !m.name.endsWith('_total'))
    throw new Error(`counter ${m.name} must end in _total`);
  for (const s of m.samples) {
    for (const k of Object.keys(s.labels ?? {})) {
      if (!NAME.test(k) || k.startsWith('__') || k === 'le')
        throw new Error(`label ${k} of metric ${m.name} is not a valid Prometheus label name`);
    }
  }
}
