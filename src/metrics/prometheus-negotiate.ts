// Which exposition format a scraper asked for in its Accept header. Prometheus 2.42 sends
// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,
// text/plain;version=0.0.4;q=0.5,*/*;q=0.1`, Prometheus 2.30 sent `application/openmetrics-text;
// version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`, curl sends `*/*`. As Prometheus' own Go
// client does: OpenMetrics goes to a client that accepts it (version 1.0.0, 0.0.1 or none) at least
// as much as the text format, answered with the version it asked for (what Gantry writes is valid
// in both); anything else, and no Accept at all, gets the text format 0.0.4.
import { CONTENT_TYPES, type ExpositionFormat } from './prometheus-format.ts';

export interface Negotiated {
  format: ExpositionFormat;
  contentType: string;
}

const OPENMETRICS_0_0_1 = 'application/openmetrics-text; version=0.0.1; charset=utf-8';

export function negotiateFormat(accept: string | undefined): Negotiated {
  let best: { choice: Negotiated; q: number } | undefined;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim());
    const param = (name: string) =>
      params
        .map((p) => p.split('=').map((x) => x.trim()))
        .find(([k]) => k?.toLowerCase() === name)?.[1]
        ?.replace(/^"|"$/g, '');
    const q = Number(param('q') ?? '1');
    if (!(q > 0 && q <= 1)) continue;
    const choice = choiceOf(type.toLowerCase(), param('version'));
    if (choice !== undefined && (best === undefined || q > best.q)) best = { choice, q };
  }
  return best?.choice ?? { format: 'text', contentType: CONTENT_TYPES.text };
}

function choiceOf(type: string, version: string | undefined): Negotiated | undefined {
  if (type === 'application/openmetrics-text') {
    if (version === undefined || version === '1.0.0')
      return { format: 'openmetrics', contentType: CONTENT_TYPES.openmetrics };
    if (version === '0.0.1') return { format: 'openmetrics', contentType: OPENMETRICS_0_0_1 };
    return undefined;
  }
  if (type === 'text/plain') {
    return version === undefined || version === '0.0.4'
      ? { format: 'text', contentType: CONTENT_TYPES.text }
      : undefined;
  }
  if (type === '*/*' || type === 'text/*') return { format: 'text', contentType: CONTENT_TYPES.text };
  return undefined;
}
