// Alarms: each alarm's state with its reason and last value, its history on demand, and a form
// to silence its notifications for a while.
import type { AlarmHistoryResponse, AlarmListResponse, AlarmStatus } from '../../../src/api/alarm-routes.ts';
import { getJson, postJson } from '../api.ts';
import { badge, errorBox, fill, h, listTable } from '../dom.ts';
import { fmtAgo, fmtDuration, fmtMs, fmtPercent, fmtTime, toneOf } from '../format.ts';
import { type Cleanup, every } from '../router.ts';
import { currentUser, may } from '../session.ts';

export function alarmsPage(el: HTMLElement): Cleanup {
  const list = h('div');
  const history = h('div');
  const form = silenceForm();
  fill(
    el,
    h('div', { class: 'page-head' }, h('h1', null, 'Alarms')),
    list,
    history,
    may('deployer') ? form.el : null,
  );
  const showHistory = async (name: string) => {
    try {
      const body = await getJson<AlarmHistoryResponse>(
        `/api/v1/alarms/${encodeURIComponent(name)}/history?limit=50`,
      );
      fill(
        history,
        h(
          'section',
          { class: 'card', 'data-history': name },
          h('h2', null, `History of ${name}`),
          body.transitions.length === 0
            ? h('p', { class: 'muted' }, 'No transitions yet.')
            : h(
                'table',
                { class: 'list' },
                h(
                  'tbody',
                  null,
                  body.transitions.map((t) =>
                    h(
                      'tr',
                      null,
                      h('td', { class: 'nowrap' }, fmtTime(t.at)),
                      h(
                        'td',
                        { class: 'nowrap' },
                        badge(t.from, toneOf(t.from)),
                        ' → ',
                        badge(t.to, toneOf(t.to)),
                      ),
                      h('td', null, t.reason),
                    ),
                  ),
                ),
              ),
        ),
      );
    } catch (err) {
      fill(history, errorBox(err));
    }
  };
  return every(5000, async () => {
    try {
      const body = await getJson<AlarmListResponse>('/api/v1/alarms');
      fill(list, alarmTable(body.alarms, showHistory, form.prefill));
    } catch (err) {
      fill(list, errorBox(err));
    }
  });
}

function alarmTable(
  alarms: AlarmStatus[],
  onHistory: (name: string) => void,
  onSilence: (a: AlarmStatus) => void,
) {
  if (alarms.length === 0)
    return h('p', { class: 'muted card' }, 'No alarms in gantry.yaml (see its `alarms:` section).');
  return listTable(
    'Alarms',
    ['alarm', 'state', 'since', 'rule', 'last value', 'reason', ''],
    alarms.map((a) =>
      h(
        'tr',
        { 'data-alarm': a.alarm },
        h(
          'td',
          null,
          h('strong', null, a.alarm),
          h('div', { class: 'muted small' }, `${a.environment} · ${a.severity}`),
        ),
        h('td', null, badge(a.state, toneOf(a.state))),
        h('td', { class: 'nowrap', title: fmtTime(a.since) }, fmtAgo(a.since)),
        h(
          'td',
          { class: 'small' },
          `${a.metric} ${a.threshold.above !== undefined ? `> ${fmtValue(a.metric, a.threshold.above)}` : `< ${fmtValue(a.metric, a.threshold.below ?? null)}`}`,
          h(
            'div',
            { class: 'muted' },
            `${a.datapointsToAlarm} of ${a.evaluationPeriods} × ${fmtDuration(a.periodMs)}`,
          ),
        ),
        h('td', { class: 'num' }, fmtValue(a.metric, a.lastValue)),
        h('td', { class: 'small' }, a.reason),
        h(
          'td',
          { class: 'nowrap' },
          h('button', { onclick: () => onHistory(a.alarm) }, 'History'),
          ' ',
          may('deployer') ? h('button', { onclick: () => onSilence(a) }, 'Silence…') : null,
        ),
      ),
    ),
  );
}

function silenceForm(): { el: HTMLElement; prefill: (a: AlarmStatus) => void } {
  const alarm = h('input', { name: 'alarm', required: true, placeholder: 'high-5xx' });
  const environment = h('input', { name: 'environment', placeholder: 'any' });
  const duration = h('input', { name: 'duration', value: '1h', required: true, pattern: '\\d+(ms|s|m|h|d)' });
  const comment = h('input', {
    name: 'comment',
    required: true,
    placeholder: 'why (e.g. planned maintenance)',
  });
  const out = h('div');
  const form = h(
    'form',
    { class: 'inline-form' },
    h('label', null, 'Alarm ', alarm),
    h('label', null, 'Environment ', environment),
    h('label', null, 'For ', duration),
    h('label', { class: 'grow' }, 'Comment ', comment),
    h('button', { type: 'submit', class: 'primary' }, 'Silence'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const matchers = [{ name: 'alertname', value: alarm.value.trim() }];
    if (environment.value.trim()) matchers.push({ name: 'environment', value: environment.value.trim() });
    try {
      const body = await postJson<{ silence: { id: string; endsAt: string } }>('/api/v1/silences', {
        matchers,
        duration: duration.value.trim(),
        comment: comment.value.trim(),
        createdBy: currentUser()?.name ?? 'dashboard',
      });
      fill(
        out,
        h('p', { class: 'ok' }, `Silenced until ${fmtTime(body.silence.endsAt)} (${body.silence.id}).`),
      );
    } catch (err) {
      fill(out, errorBox(err));
    }
  });
  const el = h('section', { class: 'card' }, h('h2', null, 'Silence notifications'), form, out);
  return {
    el,
    prefill: (a) => {
      alarm.value = a.alarm;
      environment.value = a.environment;
      comment.focus();
    },
  };
}

function fmtValue(metric: string, v: number | null): string {
  if (v === null) return '–';
  if (metric.endsWith('_rate')) return fmtPercent(v);
  if (metric.startsWith('http_latency')) return fmtMs(v);
  return String(Number(v.toPrecision(4)));
}
