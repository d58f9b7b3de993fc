// Incidents: the list, and one incident with its timeline and post-mortem (Markdown as text); an
// open incident can be acknowledged from its page, which stops its escalation as the CLI's ack does.
import type { IncidentDetail, IncidentView } from '../../../src/incidents/types.ts';
import { getJson, getText, postJson } from '../api.ts';
import { badge, errorBox, fill, h, link, listTable } from '../dom.ts';
import { fmtAgo, fmtDuration, fmtTime, toneOf } from '../format.ts';
import { type Cleanup, every } from '../router.ts';

export function incidentsPage(el: HTMLElement): Cleanup {
  const body = h('div');
  fill(el, h('div', { class: 'page-head' }, h('h1', null, 'Incidents')), body);
  return every(5000, async () => {
    try {
      const { incidents } = await getJson<{ incidents: IncidentView[] }>(
        '/api/v1/incidents?status=all&limit=100',
      );
      if (incidents.length === 0) {
        fill(
          body,
          h('p', { class: 'muted card' }, 'No incidents. Alarms of severity P1–P2 open one when they fire.'),
        );
        return;
      }
      fill(
        body,
        listTable(
          'Incidents',
          ['opened', 'incident', 'severity', 'status', 'alarms', 'MTTA', 'MTTR'],
          incidents.map((i) =>
            h(
              'tr',
              { 'data-incident': i.id },
              h('td', { class: 'nowrap', title: fmtTime(i.openedAt) }, fmtAgo(i.openedAt)),
              h('td', null, link(`/incidents/${i.id}`, i.title)),
              h('td', null, badge(i.severity, i.severity <= 'P2' ? 'bad' : 'warn')),
              h('td', null, badge(i.status, toneOf(i.status))),
              h('td', { class: 'small' }, i.alarms.join(', ')),
              h('td', { class: 'nowrap' }, i.mttaMs === null ? '–' : fmtDuration(i.mttaMs)),
              h('td', { class: 'nowrap' }, i.mttrMs === null ? '–' : fmtDuration(i.mttrMs)),
            ),
          ),
        ),
      );
    } catch (err) {
      fill(body, errorBox(err));
    }
  });
}

export function incidentPage(el: HTMLElement, params: Record<string, string>): Cleanup {
  const id = params.id ?? '';
  const head = h('div');
  const message = h('div');
  const timeline = h('div');
  // It scrolls past its height: a keyboard reaches it.
  const postmortem = h(
    'pre',
    { class: 'markdown', role: 'region', 'aria-label': 'Post-mortem draft', tabindex: 0 },
    'Loading…',
  );
  fill(
    el,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, link('/incidents', 'Incidents'), ' / ', h('code', null, id)),
    ),
    head,
    message,
    h('section', { class: 'card' }, h('h2', null, 'Timeline'), timeline),
    h('section', { class: 'card' }, h('h2', null, 'Post-mortem draft'), postmortem),
  );
  const acknowledge = async (button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await postJson(`/api/v1/incidents/${encodeURIComponent(id)}/ack`);
      fill(message);
      await refresh();
    } catch (err) {
      button.disabled = false;
      fill(message, errorBox(err));
    }
  };
  const refresh = async () => {
    try {
      const d = await getJson<IncidentDetail>(`/api/v1/incidents/${encodeURIComponent(id)}`);
      const i = d.incident;
      fill(
        head,
        h(
          'section',
          { class: 'card' },
          h(
            'div',
            { class: 'env-head' },
            h('h2', null, i.title),
            badge(i.status, toneOf(i.status)),
            badge(i.severity, 'bad'),
          ),
          h(
            'p',
            { class: 'muted small' },
            `opened ${fmtTime(i.openedAt)}`,
            i.acknowledgedAt
              ? ` · acknowledged ${fmtTime(i.acknowledgedAt)} by ${i.acknowledgedBy ?? '?'}`
              : '',
            i.resolvedAt ? ` · resolved ${fmtTime(i.resolvedAt)}` : '',
            i.assignee ? ` · assigned to ${i.assignee}` : '',
          ),
          i.resolution ? h('p', null, `Resolution: ${i.resolution}`) : null,
          i.status === 'open'
            ? h(
                'div',
                { class: 'actions' },
                h(
                  'button',
                  {
                    'data-action': 'ack',
                    onclick: (e: Event) => acknowledge(e.currentTarget as HTMLButtonElement),
                  },
                  'Acknowledge',
                ),
                h('span', { class: 'muted small' }, ' stops paging the next escalation step'),
              )
            : null,
        ),
      );
      fill(
        timeline,
        h(
          'ol',
          { class: 'timeline' },
          d.timeline.map((t) =>
            h(
              'li',
              { 'data-source': t.source },
              h('span', { class: 'muted nowrap' }, fmtTime(t.at)),
              ' ',
              badge(t.type, t.source === 'release' ? 'info' : t.type.includes('alarm') ? 'bad' : 'warn'),
              ' ',
              t.releaseId ? link(`/releases/${t.releaseId}`, t.message) : t.message,
              t.by ? h('span', { class: 'muted' }, ` — ${t.by}`) : null,
            ),
          ),
        ),
      );
      postmortem.textContent = await getText(`/api/v1/incidents/${encodeURIComponent(id)}/postmortem`);
    } catch (err) {
      fill(head, errorBox(err));
    }
  };
  return every(5000, refresh);
}
