// SLOs and DORA: each SLO's attainment, error budget left (a bar, red when overspent) and burn
// rates, and each environment's DORA metrics over the last 30 days.
import type { DoraResponse } from '../../../src/api/dora-routes.ts';
import type { SloListResponse, SloStatus } from '../../../src/api/slo-routes.ts';
import { getJson } from '../api.ts';
import { badge, errorBox, fill, h, listTable } from '../dom.ts';
import { fmtDuration } from '../format.ts';
import { type Cleanup, every } from '../router.ts';

export function slosPage(el: HTMLElement): Cleanup {
  const slos = h('div');
  const dora = h('div');
  fill(
    el,
    h('div', { class: 'page-head' }, h('h1', null, 'SLOs')),
    slos,
    h('h2', null, 'DORA, last 30 days'),
    dora,
  );
  return every(15_000, async () => {
    try {
      const body = await getJson<SloListResponse>('/api/v1/slos');
      fill(slos, sloTable(body.slos));
    } catch (err) {
      fill(slos, errorBox(err));
    }
    try {
      const body = await getJson<DoraResponse>('/api/v1/dora');
      fill(
        dora,
        listTable(
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
}

function sloTable(slos: SloStatus[]) {
  if (slos.length === 0)
    return h('p', { class: 'muted card' }, 'No SLOs in gantry.yaml (see its `slos:` section).');
  return listTable(
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
