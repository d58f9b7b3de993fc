// SLOs and DORA: each SLO's attainment, error budget left (red when overspent) and burn rates, the
// burn-down of each budget over its window with release markers, and each environment's DORA
// metrics over the last 30 days.
import type { DoraResponse } from '../../../src/api/dora-routes.ts';
import type { SloBurnDownResponse, SloListResponse, SloStatus } from '../../../src/api/slo-routes.ts';
import type { ReleaseListResponse } from '../../../src/api/types.ts';
import { getJson } from '../api.ts';
import { drawChart } from '../charts.ts';
import { badge, errorBox, fill, h, listTable } from '../dom.ts';
import { fmtDuration } from '../format.ts';
import { type Cleanup, every } from '../router.ts';

export function slosPage(el: HTMLElement): Cleanup {
  const slos = h('div');
  const charts = h('div', { class: 'charts' });
  const dora = h('div');
  fill(
    el,
    h('div', { class: 'page-head' }, h('h1', null, 'SLOs')),
    slos,
    h('p', { class: 'muted small' }, 'Error budget left over each window; dashed lines mark releases.'),
    charts,
    h('h2', null, 'DORA, last 30 days'),
    dora,
  );
  let destroyers: Array<() => void> = [];
  const stop = every(60_000, async () => {
    try {
      const body = await getJson<SloListResponse>('/api/v1/slos');
      fill(slos, sloTable(body.slos));
      for (const d of destroyers) d();
      destroyers = await Promise.all(body.slos.map((s) => budgetChart(charts, s)));
    } catch (err) {
      fill(slos, errorBox(err));
    }
    try {
      const body = await getJson<DoraResponse>('/api/v1/dora');
      fill(
        dora,
        listTable(
          'DORA metrics',
          ['environment', 'deploys', 'per day', 'lead time', 'change failure', 'time to restore'],
          body.dora.map((d) =>
            h(
              'tr',
              { 'data-dora': d.environment },
              h('td', null, h('strong', null, d.environment)),
              h('td', { class: 'num' }, String(d.deployments)),
              h('td', { class: 'num' }, String(Math.round(d.deploymentsPerDay * 100) / 100)),
              h(
                'td',
                { class: 'num' },
                d.leadTime.medianMs === null ? '–' : fmtDuration(d.leadTime.medianMs),
              ),
              h(
                'td',
                { class: 'num' },
                d.changeFailureRate === null
                  ? '–'
                  : `${pct(d.changeFailureRate)} (${d.failedChanges}/${d.changes})`,
              ),
              h(
                'td',
                { class: 'num' },
                d.timeToRestore.medianMs === null ? '–' : fmtDuration(d.timeToRestore.medianMs),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      fill(dora, errorBox(err));
    }
  });
  return () => {
    stop();
    for (const d of destroyers) d();
  };
}

/** The burn-down of one SLO's budget, with the releases of its environment in the window. */
async function budgetChart(container: HTMLElement, s: SloStatus): Promise<() => void> {
  let el = container.querySelector<HTMLElement>(`[data-burn-down="${CSS.escape(s.name)}"]`);
  if (!el) {
    el = h('div', { 'data-burn-down': s.name });
    container.append(el);
  }
  const [down, releases] = await Promise.all([
    getJson<SloBurnDownResponse>(`/api/v1/slos/${encodeURIComponent(s.name)}/burn-down`),
    getJson<ReleaseListResponse>(
      `/api/v1/releases?environment=${encodeURIComponent(s.environment)}&limit=200`,
    ),
  ]);
  const now = down.points[down.points.length - 1]?.[0] ?? Date.now();
  const from = now - s.windowMs;
  return drawChart(el, {
    title: `${s.name}: error budget left (${s.window})`,
    lines: [{ label: 'budget left', points: down.points, colorKey: s.name }],
    format: (v) => (v === null ? '–' : pct(v)),
    releases: releases.releases.filter((r) => Date.parse(r.createdAt) >= from),
    from,
    stepMs: s.windowMs / Math.max(1, down.points.length),
    to: now,
  });
}

function sloTable(slos: SloStatus[]) {
  if (slos.length === 0)
    return h('p', { class: 'muted card' }, 'No SLOs in gantry.yaml (see its `slos:` section).');
  return listTable(
    'SLOs',
    ['SLO', 'objective', 'good / total', 'attainment', 'error budget left', 'burn rates'],
    slos.map((s) =>
      h(
        'tr',
        { 'data-slo': s.name },
        h(
          'td',
          null,
          h('strong', null, s.name),
          h(
            'div',
            { class: 'muted small' },
            `${s.environment} · ${s.kind}${s.thresholdMs !== undefined ? ` ≤ ${s.thresholdMs} ms` : ''} · ${s.window}`,
          ),
        ),
        h('td', { class: 'num' }, pct(s.objective)),
        h('td', { class: 'num' }, `${s.good} / ${s.total}`),
        h('td', { class: 'num' }, s.attainment === null ? '–' : pct(s.attainment)),
        h(
          'td',
          { 'data-budget': String(s.budgetRemaining) },
          badge(
            pct(s.budgetRemaining),
            s.budgetRemaining < 0 ? 'bad' : s.budgetRemaining < 0.25 ? 'warn' : 'good',
          ),
        ),
        h(
          'td',
          { class: 'small' },
          s.burnRates.map((b) => `${b.window} ${Math.round(b.rate * 100) / 100}×`).join(' · '),
        ),
      ),
    ),
  );
}

/** Percent with up to 4 significant digits, negative when overspent (99.95%, -809.1%). */
function pct(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}
