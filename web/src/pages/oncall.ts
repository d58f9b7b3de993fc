// On call: who is on call now in each schedule, until when and who is next, and the shifts after,
// with times in the schedule's zone (GET /api/v1/oncall).
import type { OncallResponse, OncallScheduleStatus } from '../../../src/api/oncall-routes.ts';
import { getJson } from '../api.ts';
import { badge, errorBox, fill, h, listTable } from '../dom.ts';
import { type Cleanup, every } from '../router.ts';

/** Shifts listed per schedule. */
const SHIFTS_SHOWN = 6;

export function oncallPage(el: HTMLElement): Cleanup {
  const now = h('div');
  const upcoming = h('div');
  fill(
    el,
    h('div', { class: 'page-head' }, h('h1', null, 'On call')),
    now,
    h('h2', null, 'Next shifts'),
    upcoming,
    h(
      'p',
      { class: 'muted small' },
      'Times in each schedule’s zone. Escalation pages whoever is on call until an incident is acknowledged.',
    ),
  );
  return every(60_000, async () => {
    try {
      const body = await getJson<OncallResponse>(`/api/v1/oncall?shifts=${SHIFTS_SHOWN}`);
      if (body.oncall.length === 0) {
        fill(
          now,
          h('p', { class: 'muted' }, 'No on-call schedules: add them under oncall.schedules in gantry.yaml.'),
        );
        fill(upcoming);
        return;
      }
      fill(
        now,
        listTable(
          'On call now',
          ['schedule', 'on call now', 'until', 'next', 'zone'],
          body.oncall.map(nowRow),
        ),
      );
      fill(
        upcoming,
        listTable(
          'Upcoming shifts',
          ['schedule', 'person', 'from', 'to'],
          body.oncall.flatMap((s) =>
            s.shifts.map((shift) =>
              h(
                'tr',
                { 'data-shift': s.schedule },
                h('td', null, s.schedule),
                h('td', null, person(shift.person, shift.override)),
                h('td', null, localTime(shift.from, s.tz)),
                h('td', null, localTime(shift.to, s.tz)),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      fill(now, errorBox(err));
    }
  });
}

function nowRow(s: OncallScheduleStatus): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-oncall': s.schedule },
    h('td', null, h('strong', null, s.schedule)),
    h('td', { 'data-now': '' }, person(s.now.person, s.now.override)),
    h('td', null, localTime(s.now.to, s.tz)),
    h('td', { 'data-next': '' }, person(s.next.person, s.next.override)),
    h('td', { class: 'muted' }, s.tz),
  );
}

function person(name: string, override: boolean): HTMLElement {
  return override ? h('span', null, name, ' ', badge('override', 'warn')) : h('span', null, name);
}

/** "Mon 30 Mar, 09:00" in the schedule's zone. */
function localTime(iso: string, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}
