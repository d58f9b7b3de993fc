// Logs: full-text search with environment and level filters, and a live tail over SSE.
import type { StatusBody } from '../../../src/api/types.ts';
import { ApiError, apiUrl, getJson, qs } from '../api.ts';
import { errorBox, fill, h } from '../dom.ts';
import { fmtTime, toneOf } from '../format.ts';
import { type Cleanup, setUrl } from '../router.ts';

/** One line as GET /api/v1/logs answers it (the logs module's contract). */
export interface LogLine {
  id: string | number;
  at: string;
  environment: string;
  version: string;
  instance: string;
  stream: 'stdout' | 'stderr';
  level: string | null;
  message: string | null;
  fields: Record<string, unknown> | null;
  line: string;
}

const LEVELS = ['', 'debug', 'info', 'warn', 'error', 'fatal'];
const MAX_SHOWN = 1000;

export function logsPage(el: HTMLElement, _params: Record<string, string>, query: URLSearchParams): Cleanup {
  const q = h('input', {
    type: 'search',
    name: 'q',
    placeholder: 'search text (full-text)',
    'aria-label': 'search text',
    value: query.get('q') ?? '',
  });
  const env = h(
    'select',
    { name: 'environment', 'aria-label': 'environment' },
    h('option', { value: '' }, 'all environments'),
    // The environment asked for in the address is there at once, before the list arrives.
    query.get('environment')
      ? h('option', { value: query.get('environment') ?? '', selected: true }, query.get('environment') ?? '')
      : null,
  );
  const level = h(
    'select',
    { name: 'level', 'aria-label': 'minimum level' },
    LEVELS.map((l) =>
      h('option', { value: l, selected: l === (query.get('level') ?? '') }, l || 'any level'),
    ),
  );
  const since = h(
    'select',
    { name: 'since', 'aria-label': 'since' },
    ['15m', '1h', '6h', '24h', '7d'].map((s) =>
      h('option', { value: s, selected: s === (query.get('since') ?? '1h') }, `last ${s}`),
    ),
  );
  const tail = h('input', { type: 'checkbox', name: 'tail' });
  // What is announced: the outcome of a search or of the tail (a count, "Live…"), not the lines
  // themselves, which a search replaces by the hundred. The lines scroll: a keyboard reaches them.
  const status = h('p', { class: 'muted small', role: 'status' });
  const out = h('div', { class: 'log-lines', role: 'region', 'aria-label': 'Log lines', tabindex: 0 });
  const form = h(
    'form',
    { class: 'inline-form' },
    h('label', { class: 'grow' }, q),
    env,
    level,
    since,
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
    h('label', { class: 'nowrap' }, tail, ' live tail'),
  );
  fill(el, h('div', { class: 'page-head' }, h('h1', null, 'Logs')), form, status, out);

  void getJson<StatusBody>('/api/v1/status').then((s) => {
    for (const e of s.environments)
      if (e.name !== query.get('environment')) env.append(h('option', { value: e.name }, e.name));
  });

  let source: EventSource | undefined;
  const params = () => ({ environment: env.value, level: level.value, q: q.value.trim() });
  const search = async () => {
    const p = { ...params(), since: since.value };
    setUrl(`/logs${qs(p)}`);
    status.textContent = 'Searching…';
    try {
      const body = await getJson<{ lines: LogLine[] }>(
        `/api/v1/logs${qs({ ...p, since: `-${since.value}`, limit: 500 })}`,
      );
      fill(out, body.lines.map(lineRow));
      status.textContent = `${body.lines.length} line(s)${body.lines.length === 500 ? ' (the newest 500; narrow the search for more)' : ''}.`;
    } catch (err) {
      status.textContent = '';
      fill(
        out,
        err instanceof ApiError && err.status === 404 && err.code !== 'UNKNOWN_ENVIRONMENT'
          ? errorBox('This server has no log search yet (GET /api/v1/logs answered 404).')
          : errorBox(err),
      );
    }
  };
  const setTail = (on: boolean) => {
    source?.close();
    source = undefined;
    if (!on) return;
    source = new EventSource(apiUrl(`/api/v1/logs/stream${qs(params())}`));
    source.addEventListener('log', (ev) => {
      out.prepend(lineRow(JSON.parse((ev as MessageEvent<string>).data) as LogLine));
      while (out.childElementCount > MAX_SHOWN) out.lastElementChild?.remove();
    });
    source.onopen = () => {
      status.textContent = 'Live: new lines appear at the top.';
    };
    source.onerror = () => {
      status.textContent = 'Live tail interrupted; reconnecting…';
    };
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void search().then(() => setTail(tail.checked));
  });
  tail.addEventListener('change', () => setTail(tail.checked));
  void search();
  return () => source?.close();
}

function lineRow(l: LogLine): HTMLElement {
  const lvl = l.level ?? (l.stream === 'stderr' ? 'stderr' : '');
  return h(
    'div',
    { class: `log ${l.stream}`, 'data-id': String(l.id) },
    h('span', { class: 'at' }, fmtTime(l.at)),
    h('span', { class: `lvl ${toneOf(lvl)}` }, lvl || '·'),
    h('span', { class: 'src', title: `${l.instance} (${l.stream})` }, `${l.environment}/${l.version}`),
    h('span', { class: 'msg' }, l.message ?? l.line),
    l.fields && Object.keys(l.fields).length > 0
      ? h(
          'span',
          { class: 'fields' },
          Object.entries(l.fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' '),
        )
      : null,
  );
}
