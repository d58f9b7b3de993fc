// Release history: every release of the service (or of one environment), newest first.
import type { ReleaseListResponse, StatusBody } from '../../../src/api/types.ts';
import { getJson, qs } from '../api.ts';
import { badge, errorBox, fill, h, link, listTable } from '../dom.ts';
import { fmtAgo, fmtDuration, fmtTime, toneOf } from '../format.ts';
import { type Cleanup, every, navigate } from '../router.ts';

export function releasesPage(
  el: HTMLElement,
  _params: Record<string, string>,
  query: URLSearchParams,
): Cleanup {
  const environment = query.get('environment') ?? '';
  const select = h('select', {
    'aria-label': 'environment',
    onchange: (ev: Event) =>
      navigate(`/releases${qs({ environment: (ev.target as HTMLSelectElement).value })}`, true),
  });
  const body = h('div');
  fill(el, h('div', { class: 'page-head' }, h('h1', null, 'Releases'), select), body);
  void getJson<StatusBody>('/api/v1/status').then((s) =>
    fill(
      select,
      h('option', { value: '' }, 'all environments'),
      s.environments.map((e) => h('option', { value: e.name, selected: e.name === environment }, e.name)),
    ),
  );
  return every(5000, async () => {
    try {
      const list = await getJson<ReleaseListResponse>(`/api/v1/releases${qs({ environment, limit: 200 })}`);
      if (list.releases.length === 0) {
        fill(
          body,
          h('p', { class: 'muted' }, 'No release yet. Start one with `gantry release` or `gantry deploy`.'),
        );
        return;
      }
      fill(
        body,
        listTable(
          'Releases',
          ['started', 'environment', 'change', 'kind', 'state', 'took', 'message'],
          list.releases.map((r) =>
            h(
              'tr',
              { 'data-release': r.id },
              h(
                'td',
                { class: 'nowrap', title: fmtTime(r.createdAt) },
                link(`/releases/${r.id}`, fmtAgo(r.createdAt)),
              ),
              h('td', null, link(`/environments/${encodeURIComponent(r.environment)}`, r.environment)),
              h('td', { class: 'nowrap' }, `${r.previousVersion ?? '∅'} → `, h('strong', null, r.version)),
              h('td', null, `${r.kind} · ${r.strategy}`),
              h('td', null, badge(r.state, toneOf(r.state))),
              h(
                'td',
                { class: 'nowrap' },
                r.finishedAt ? fmtDuration(Date.parse(r.finishedAt) - Date.parse(r.createdAt)) : '…',
              ),
              h('td', { class: 'muted small' }, r.message ?? ''),
            ),
          ),
        ),
      );
    } catch (err) {
      fill(body, errorBox(err));
    }
  });
}
