// Environment detail: request rate, 5xx and 4xx rates and latency percentiles per version over a chosen
// range, with release markers, plus the environment's instances and recent events.
import type {
  EnvironmentEventsResponse,
  EnvironmentView,
  ReleaseListResponse,
  ReleaseRecord,
} from '../../../src/api/types.ts';
import { getJson, qs } from '../api.ts';
import { type ChartLine, drawChart, linesOf } from '../charts.ts';
import { badge, errorBox, fill, h, link } from '../dom.ts';
import { fmtAgo, fmtMs, fmtPercent, fmtRate, fmtTime, toneOf } from '../format.ts';
import { queryMetric, RANGES, type RangeName, stepFor } from '../metrics.ts';
import { type Cleanup, every, navigate } from '../router.ts';

export function environmentPage(
  el: HTMLElement,
  params: Record<string, string>,
  query: URLSearchParams,
): Cleanup {
  const name = params.name ?? '';
  const rangeParam = query.get('range') ?? '1h';
  const range: RangeName = rangeParam in RANGES ? (rangeParam as RangeName) : '1h';
  const rangeMs = RANGES[range];
  const step = stepFor(rangeMs);
  const head = h('div', { class: 'env-summary' });
  const charts = {
    requests: h('div', { 'data-chart': 'requests' }),
    errors: h('div', { 'data-chart': 'errors' }),
    latency: h('div', { 'data-chart': 'latency' }),
  };
  const events = h('div');
  const message = h('div');
  fill(
    el,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, link('/', 'Overview'), ' / ', name),
      h(
        'div',
        { class: 'range', role: 'group', 'aria-label': 'time range' },
        (Object.keys(RANGES) as RangeName[]).map((r) =>
          h(
            'button',
            {
              class: r === range ? 'active' : '',
              'aria-pressed': String(r === range),
              'data-range': r,
              onclick: () => navigate(`/environments/${encodeURIComponent(name)}?range=${r}`, true),
            },
            r,
          ),
        ),
      ),
    ),
    message,
    head,
    h(
      'p',
      { class: 'muted small' },
      `Step ${step} s · dashed lines mark releases (green succeeded, red rolled back or failed).`,
    ),
    h('div', { class: 'charts' }, charts.requests, charts.errors, charts.latency),
    h('section', { class: 'card' }, h('h2', null, 'Recent events'), events),
  );

  let destroyers: Array<() => void> = [];
  const stop = every(range === '1h' ? 10_000 : 60_000, async () => {
    try {
      const now = Date.now();
      const from = `-${rangeMs / 1000}s`;
      const [env, releases, req, err5, err4, p50, p95, p99, ev] = await Promise.all([
        getJson<{ environment: EnvironmentView }>(`/api/v1/environments/${encodeURIComponent(name)}`),
        getJson<ReleaseListResponse>(`/api/v1/releases${qs({ environment: name, limit: 200 })}`),
        queryMetric(name, 'http_requests', from, step),
        queryMetric(name, 'http_5xx_rate', from, step),
        queryMetric(name, 'http_4xx_rate', from, step),
        queryMetric(name, 'http_latency_p50', from, step),
        queryMetric(name, 'http_latency_p95', from, step),
        queryMetric(name, 'http_latency_p99', from, step),
        getJson<EnvironmentEventsResponse>(`/api/v1/events${qs({ environment: name, limit: 20 })}`),
      ]);
      fill(message);
      fill(head, summary(env.environment));
      const inRange = releases.releases.filter((r) => Date.parse(r.createdAt) >= now - rangeMs);
      for (const d of destroyers) d();
      const base = { releases: inRange, from: now - rangeMs, to: now, stepMs: step * 1000 };
      const latency: ChartLine[] = [
        ...linesOf(p50, ' p50', [2, 3]),
        ...linesOf(p95, ' p95', [6, 3]),
        ...linesOf(p99, ' p99'),
      ];
      destroyers = [
        drawChart(charts.requests, {
          ...base,
          title: 'Requests per second',
          lines: linesOf(req),
          format: fmtRate,
        }),
        drawChart(charts.errors, {
          ...base,
          title: '5xx rate (solid) and 4xx rate (dashed)',
          lines: [...linesOf(err5, ' 5xx'), ...linesOf(err4, ' 4xx', [2, 3])],
          format: fmtPercent,
        }),
        drawChart(charts.latency, {
          ...base,
          title: 'Latency p50 / p95 / p99',
          lines: latency,
          format: fmtMs,
        }),
      ];
      for (const c of Object.values(charts)) c.dataset.range = range;
      fill(events, eventsTable(ev.events, inRange));
    } catch (err) {
      fill(message, errorBox(err));
    }
  });
  return () => {
    stop();
    for (const d of destroyers) d();
  };
}

function summary(env: EnvironmentView): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h(
      'div',
      { class: 'env-head' },
      badge(env.currentVersion ?? 'no version', 'info'),
      badge(
        `${env.readyInstances}/${env.desiredInstances} ready`,
        env.readyInstances >= env.desiredInstances ? 'good' : 'bad',
      ),
      h('span', { class: 'muted small' }, `${env.strategy} · ${env.url}`),
      link(`/releases?environment=${encodeURIComponent(env.name)}`, 'release history'),
      link(`/logs?environment=${encodeURIComponent(env.name)}`, 'logs'),
    ),
    env.activeRelease
      ? h(
          'p',
          null,
          'Release in progress: ',
          link(`/releases/${env.activeRelease.id}`, `${env.activeRelease.version}`),
          ' ',
          badge(env.activeRelease.state, toneOf(env.activeRelease.state)),
        )
      : null,
    h(
      'ul',
      { class: 'instances' },
      env.instances.map((i) =>
        h(
          'li',
          null,
          h('span', { class: `dot ${i.ready ? 'good' : toneOf(i.state)}` }),
          h('code', null, i.id),
          ` ${i.version} · ${i.state} · ${i.runtimeRef ?? 'not running'} · port ${i.port ?? '–'}`,
          i.lastProbe
            ? h('span', { class: 'muted' }, ` · probe ${i.lastProbe.ok ? 'ok' : i.lastProbe.detail}`)
            : null,
        ),
      ),
    ),
  );
}

function eventsTable(events: EnvironmentEventsResponse['events'], releases: ReleaseRecord[]): HTMLElement {
  const rows = [
    ...events.map((e) => ({ at: e.at, what: e.type, text: e.message, href: '' })),
    ...releases.slice(0, 10).map((r) => ({
      at: r.createdAt,
      what: `release ${r.state}`,
      text: `${r.previousVersion ?? '∅'} → ${r.version} (${r.strategy})${r.message ? `: ${r.message}` : ''}`,
      href: `/releases/${r.id}`,
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  if (rows.length === 0) return h('p', { class: 'muted' }, 'Nothing happened here yet.');
  return h(
    'table',
    { class: 'list' },
    h(
      'tbody',
      null,
      rows
        .slice(0, 25)
        .map((r) =>
          h(
            'tr',
            null,
            h('td', { class: 'nowrap', title: fmtTime(r.at) }, fmtAgo(r.at)),
            h('td', { class: 'nowrap' }, r.href ? link(r.href, r.what) : r.what),
            h('td', null, r.text),
          ),
        ),
    ),
  );
}
