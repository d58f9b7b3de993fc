// Writes metric families in the two formats Prometheus scrapes: its text format 0.0.4 and
// OpenMetrics 1.0.0 (https://prometheus.io/docs/specs/om/open_metrics_spec/). They differ in
// how a counter's family is named (OpenMetrics: without `_total`, its samples with it), in the
// `info` type (a gauge in the text format), in `# UNIT` lines, in HELP escaping and in the final
// `# EOF`. Samples, labels and values are the same, so both formats make the same series.

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export interface Sample {
  /** Appended to the family's name: `_bucket`, `_sum`, `_count` of a histogram. */
  suffix?: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  /** The name of its samples: a counter's ends in `_total`, an info's in `_info`. */
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'info';
  help: string;
  samples: Sample[];
}

/** Base units a name may end with (Prometheus' naming rules); OpenMetrics states them in `# UNIT`. */
const UNITS = ['seconds', 'bytes', 'ratio'] as const;

export function writeFamilies(families: Family[], format: ExpositionFormat): string {
  const out: string[] = [];
  for (const f of families) {
    if (format === 'text') {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${f.name} ${f.type === 'info' ? 'gauge' : f.type}`);
    } else {
      const name = familyName(f);
      out.push(`# TYPE ${name} ${f.type}`);
      const unit = unitOf(name);
      if (unit !== undefined) out.push(`# UNIT ${name} ${unit}`);
      out.push(`# HELP ${name} ${escapeLabelValue(f.help)}`);
    }
    for (const s of f.samples) {
      const pairs = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
      const labels = pairs.length > 0 ? `{${pairs.join(',')}}` : '';
      out.push(`${f.name}${s.suffix ?? ''}${labels} ${formatValue(s.value)}`);
    }
  }
  if (format === 'openmetrics') out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** The OpenMetrics family name: a counter's without `_total`, an info's without `_info`. */
export function familyName(f: Pick<Family, 'name' | 'type'>): string {
  if (f.type === 'counter') return f.name.replace(/_total$/, '');
  if (f.type === 'info') return f.name.replace(/_info$/, '');
  return f.name;
}

/** The unit a family name ends with, if it is one of UNITS. */
export function unitOf(familyName: string): string | undefined {
  return UNITS.find((u) => familyName.endsWith(`_${u}`));
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
