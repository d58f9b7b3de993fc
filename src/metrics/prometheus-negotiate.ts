// Which exposition format a scraper asked for in its Accept header. Prometheus sends
// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,
// text/plain;version=0.0.4;q=0.5,*/*;q=0.1`; curl sends `*/*`. OpenMetrics is served only to a
// client that accepts version 1.0.0 (or names no version) at least as much as the text format;
// anything else, and no Accept at all, gets the text format 0.0.4, as Prometheus' own Go client does.
import type { ExpositionFormat } from './prometheus-format.ts';

export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  let best: { format: ExpositionFormat; q: number } | undefined;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim());
    const param = (name: string) =>
      params
        .map((p) => p.split('=').map((x) => x.trim()))
        .find(([k]) => k?.toLowerCase() === name)?.[1]
        ?.replace(/^"|"$/g, '');
    const q = Number(param('q') ?? '1');
    if (!(q > 0 && q <= 1)) continue;
    const format = formatOf(type.toLowerCase(), param('version'));
    if (format !== undefined && (best === undefined || q > best.q)) best = { format, q };
  }
  return best?.format ?? 'text';
}

function formatOf(type: string, version: string | undefined): ExpositionFormat | undefined {
  if (type === 'application/openmetrics-text') {
    return version === undefined || version === '1.0.0' ? 'openmetrics' : undefined;
  }
  if (type === 'text/plain') return version === undefined || version === '0.0.4' ? 'text' : undefined;
  if (type === '*/*' || type === 'text/*') return 'text';
  return undefined;
}
