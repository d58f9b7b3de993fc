// GET /metrics: Gantry's own and every environment's request metrics, in the Prometheus text format
// 0.0.4 or in OpenMetrics 1.0.0 (prometheus-format.ts). Names follow Prometheus' rules (base units
// in the name, counters end in _total, no colons) so that `promtool check metrics` accepts the
// whole exposition; docs/metrics.md lists every family.
import type { MetricsEngine } from './engine.ts';
import { type ExpositionFormat, type Family, writeFamilies } from './prometheus-format.ts';
import { processFamilies } from './prometheus-process.ts';

export { type ExpositionFormat, escapeLabelValue } from './prometheus-format.ts';

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
/** Endings OpenMetrics gives a meaning to; a gauge named so would read as part of another family. */
const RESERVED_SUFFIXES = ['_total', '_created', '_count', '_sum', '_bucket', '_info'];
/**
 * Classes shown at 0 (without a `code` label) while no response of theirs was counted, so that a
 * rate over `code_class="5xx"` exists before the first error.
 */
const ALWAYS_SHOWN = ['2xx', '3xx', '4xx', '5xx'];

export function renderPrometheus(
  engine: Pick<MetricsEngine, 'counters'>,
  extra: PrometheusExtras = {},
  format: ExpositionFormat = 'text',
): string {
  const families = [...requestFamilies(engine), ...ownFamilies(extra)];
  const seen = new Set<string>();
  for (const f of families) {
    if (seen.has(f.name)) throw new Error(`metric ${f.name} is exposed twice; give one of them another name`);
    seen.add(f.name);
  }
  return writeFamilies(families, format);
}

function requestFamilies(engine: Pick<MetricsEngine, 'counters'>): Family[] {
  const counters = engine.counters();
  const requests: Family = {
    name: 'gantry_http_requests_total',
    type: 'counter',
    help: 'Proxied HTTP requests by status code and class since start.',
    samples: [],
  };
  const duration: Family = {
    name: 'gantry_http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from request received to response finished, by the proxy.',
    samples: [],
  };
  for (const c of counters) {
    const base = { environment: c.environment, version: c.version };
    for (const s of c.statuses) {
      requests.samples.push({ labels: { ...base, code: s.code, code_class: s.codeClass }, value: s.count });
    }
    for (const { codeClass, count } of c.codes) {
      // Client aborts have no status, and 1xx and the rest have their codes above.
      if (codeClass === 'client_abort' && count > 0) {
        requests.samples.push({ labels: { ...base, code_class: codeClass }, value: count });
      } else if (count === 0 && ALWAYS_SHOWN.includes(codeClass)) {
        requests.samples.push({ labels: { ...base, code_class: codeClass }, value: 0 });
      }
    }
    for (const b of c.buckets) {
      const le = b.le === Number.POSITIVE_INFINITY ? '+Inf' : String(b.le);
      duration.samples.push({ suffix: '_bucket', labels: { ...base, le }, value: b.count });
    }
    duration.samples.push({ suffix: '_sum', labels: base, value: c.sumSeconds });
    duration.samples.push({ suffix: '_count', labels: base, value: c.count });
  }
  return [requests, duration];
}

function ownFamilies(extra: PrometheusExtras): Family[] {
  const build: Family = {
    name: 'gantry_build_info',
    type: 'info',
    help: 'Always 1; the version label says which Gantry runs.',
    samples: [{ labels: { version: extra.buildVersion ?? 'unknown' }, value: 1 }],
  };
  const extras = (extra.metrics ?? []).map((m): Family => {
    checkExtra(m);
    return {
      name: m.name,
      type: m.type,
      help: m.help,
      samples: m.samples.map((s) => ({ labels: s.labels ?? {}, value: s.value })),
    };
  });
  return [build, ...processFamilies(), ...extras];
}

function checkExtra(m: ExtraMetric): void {
  if (!NAME.test(m.name) || !m.name.startsWith('gantry_'))
    throw new Error(`metric name ${m.name} must match ${NAME} and start with gantry_`);
  if (m.type === 'counter' && !m.name.endsWith('_total'))
    throw new Error(`counter ${m.name} must end in _total`);
  const reserved = RESERVED_SUFFIXES.find((s) => m.name.endsWith(s));
  if (m.type === 'gauge' && reserved !== undefined)
    throw new Error(`gauge ${m.name} must not end in ${reserved} (a suffix of counters and histograms)`);
  for (const s of m.samples) {
    for (const k of Object.keys(s.labels ?? {})) {
      if (!NAME.test(k) || k.startsWith('__') || k === 'le')
        throw new Error(`label ${k} of metric ${m.name} is not a valid Prometheus label name`);
    }
  }
}
