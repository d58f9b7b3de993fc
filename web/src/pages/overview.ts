// Overview: every environment with the version it runs, the release in progress, its instances
// and live request rate, 5xx and 4xx rates and latency percentiles per version, refreshed every 3 s.
import type { EnvironmentView, InstanceView, StatusBody } from '../../../src/api/types.ts';
import { getJson } from '../api.ts';
import { NO_VERSION_TITLE, versionLabel } from '../chart-layout.ts';
import { badge, errorBox, fill, h, link, scrollRegion } from '../dom.ts';
import { fmtAgo, fmtMs, fmtPercent, fmtRate, toneOf } from '../format.ts';
import { type HttpMetric, lastValue, queryMetric, type Series } from '../metrics.ts';
import { type Cleanup, every } from '../router.ts';
import { sparkline } from '../sparkline.ts';

const REFRESH_MS = 3000;
const WINDOW = '-15m';
const STEP_S = 15;
const METRICS: HttpMetric[] = [
  'http_requests',
  'http_5xx_rate',
  'http_4xx_rate',
  'http_latency_p50',
  'http_latency_p95',
  'http_latency_p99',
];

type EnvMetrics = Record<HttpMetric, Series[]>;

export function overviewPage(el: HTMLElement): Cleanup {
  const status = h('p', { class: 'muted small' }, 'Loading…');
  const grid = h('div', { class: 'env-grid' });
  fill(el, h('div', { class: 'page-head' }, h('h1', null, 'Overview'), status), grid);
  return every(REFRESH_MS, async () => {
    try {
      const body = await getJson<StatusBody>('/api/v1/status');
      const metrics = await Promise.all(body.environments.map((env) => loadMetrics(env.name)));
      fill(
        grid,
        body.environments.map((env, i) => envCard(env, metrics[i] as EnvMetrics)),
      );
      status.textContent = `${body.service} · updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
    } catch (err) {
      fill(status, errorBox(err));
    }
  });
}

async function loadMetrics(environment: string): Promise<EnvMetrics> {
  const all = await Promise.all(
    METRICS.map((m) => queryMetric(environment, m, WINDOW, STEP_S).catch(() => [] as Series[])),
  );
  return Object.fromEntries(METRICS.map((m, i) => [m, all[i] ?? []])) as EnvMetrics;
}

function envCard(env: EnvironmentView, metrics: EnvMetrics): HTMLElement {
  const rel = env.activeRelease;
  const healthy = env.readyInstances >= env.desiredInstances;
  return h(
    'section',
    { class: 'card env', 'data-env': env.name },
    h(
      'div',
      { class: 'env-head' },
      h('h2', null, link(`/environments/${encodeURIComponent(env.name)}`, env.name)),
      badge(env.currentVersion ?? 'no version', env.currentVersion ? 'info' : 'warn'),
      badge(`${env.readyInstances}/${env.desiredInstances} ready`, healthy ? 'good' : 'bad'),
      h('span', { class: 'muted small' }, `${env.strategy} · `, h('a', { href: env.url }, env.url)),
    ),
    rel
      ? h(
          'div',
          { class: 'active-release', 'data-release': rel.id },
          h('strong', null, 'Release in progress: '),
          link(`/releases/${rel.id}`, `${rel.previousVersion ?? '∅'} → ${rel.version}`),
          ' ',
          badge(rel.state, toneOf(rel.state)),
          rel.plan.steps !== undefined
            ? h(
                'span',
                { class: 'step' },
                ` step ${(rel.plan.step ?? 0) + 1}/${rel.plan.steps} · weight ${rel.plan.weight ?? 0}%`,
              )
            : null,
          rel.message ? h('div', { class: 'muted small' }, rel.message) : null,
        )
      : h('div', { class: 'muted small' }, 'No release in progress.'),
    metricsTable(env, metrics),
    instancesList(env.instances),
  );
}

function metricsTable(env: EnvironmentView, metrics: EnvMetrics): HTMLElement {
  const versions = [...new Set(metrics.http_requests.map((s) => s.version))];
  if (env.currentVersion && !versions.includes(env.currentVersion)) versions.unshift(env.currentVersion);
  const find = (m: HttpMetric, v: string) => metrics[m].find((s) => s.version === v)?.points ?? [];
  const cell = (m: HttpMetric, v: string, fmt: (n: number | null) => string, spark?: string) => {
    const pts = find(m, v);
    return h(
      'td',
      { class: `num metric-${m}` },
      h('span', { class: 'value' }, fmt(lastValue(pts))),
      spark === undefined
        ? null
        : sparkline(
            pts.map((p) => p[1]),
            { tone: spark },
          ),
    );
  };
  return scrollRegion(
    `${env.name}: traffic per version`,
    'scroll',
    h(
      'table',
      { class: 'metrics' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, 'version'),
          h('th', null, 'requests'),
          h('th', null, '5xx'),
          h('th', null, '4xx'),
          h('th', null, 'p50'),
          h('th', null, 'p95'),
          h('th', null, 'p99'),
        ),
      ),
      h(
        'tbody',
        null,
        versions.length === 0
          ? h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No traffic in the last 15 minutes.'))
          : versions.map((v) =>
              h(
                'tr',
                { 'data-version': v },
                h(
                  'td',
                  v === '' ? { title: NO_VERSION_TITLE } : null,
                  versionLabel(v),
                  h('span', { class: 'muted small' }, roleOf(env, v)),
                ),
                cell('http_requests', v, fmtRate, ''),
                cell('http_5xx_rate', v, fmtPercent, 'bad'),
                cell('http_4xx_rate', v, fmtPercent),
                cell('http_latency_p50', v, fmtMs),
                cell('http_latency_p95', v, fmtMs),
                cell('http_latency_p99', v, fmtMs, 'warn'),
              ),
            ),
      ),
    ),
  );
}

function instancesList(instances: InstanceView[]): HTMLElement {
  if (instances.length === 0) return h('p', { class: 'muted small' }, 'No instances.');
  return h(
    'ul',
    { class: 'instances' },
    instances.map((i) =>
      h(
        'li',
        { 'data-instance': i.id, title: i.lastProbe?.detail ?? '' },
        h('span', { class: `dot ${i.ready ? 'good' : toneOf(i.state)}` }),
        h('code', null, i.id),
        ` ${i.version} · ${i.state}${i.ready ? ', ready' : ''}`,
        i.restarts > 0 ? h('span', { class: 'muted' }, ` · ${i.restarts} restarts`) : null,
        h('span', { class: 'muted' }, ` · up ${fmtAgo(i.startedAt).replace(' ago', '')}`),
      ),
    ),
  );
}

function roleOf(env: EnvironmentView, version: string): string {
  // Requests the proxy answered itself: no version to have a role.
  if (version === '') return '';
  if (env.activeRelease?.version === version && version !== env.currentVersion) return ' canary';
  if (version === env.currentVersion) return env.activeRelease ? ' stable' : ' current';
  return env.instances.some((i) => i.version === version) ? '' : ' (stopped)';
}
