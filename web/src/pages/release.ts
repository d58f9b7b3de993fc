// Live release view: the release's state, its canary steps and weights, every event and verdict
// (with its numbers) as it arrives over SSE, and the operator actions that apply right now.
import type {
  CanaryStepEventData,
  ReleaseAction,
  ReleaseActionResponse,
  ReleaseDetailResponse,
  ReleaseEventRecord,
  ReleaseRecord,
  VerdictEventData,
  VerdictSide,
} from '../../../src/api/types.ts';
import { apiUrl, getJson, postJson } from '../api.ts';
import { badge, errorBox, fill, h, link, scrollRegion } from '../dom.ts';
import { fmtAgo, fmtClock, fmtDuration, fmtMs, fmtPercent, fmtTime, toneOf } from '../format.ts';
import type { Cleanup } from '../router.ts';
import { may } from '../session.ts';

/** Which actions the server accepts in which state (mirrors src/rollout/engine.ts). */
const ACTIONS: Record<ReleaseAction, { states: string[]; canaryOnly: boolean; label: string; tone: string }> =
  {
    pause: { states: ['progressing'], canaryOnly: true, label: 'Pause', tone: '' },
    resume: { states: ['paused'], canaryOnly: true, label: 'Resume', tone: '' },
    promote: { states: ['progressing', 'paused'], canaryOnly: true, label: 'Promote now', tone: 'primary' },
    abort: {
      states: ['pending', 'starting', 'verifying', 'progressing', 'paused', 'promoting'],
      canaryOnly: false,
      label: 'Abort and roll back',
      tone: 'danger',
    },
  };

export function releasePage(el: HTMLElement, params: Record<string, string>): Cleanup {
  const id = params.id ?? '';
  const head = h('div');
  const progress = h('div');
  const actions = h('div', { class: 'actions' });
  const message = h('div');
  // Announced: whether the page is live, and how the release ended (the events table is not).
  const live = h('span', { class: 'muted small live', role: 'status' });
  const tbody = h('tbody');
  fill(
    el,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, link('/releases', 'Releases'), ' / ', h('code', null, id)),
      live,
    ),
    message,
    head,
    progress,
    actions,
    h(
      'section',
      { class: 'card' },
      h('h2', null, 'Events'),
      scrollRegion('Release events', 'scroll', h('table', { class: 'list events' }, tbody)),
    ),
  );

  let release: ReleaseRecord | undefined;
  const events: ReleaseEventRecord[] = [];
  let source: EventSource | undefined;
  let closed = false;

  const render = () => {
    if (!release) return;
    fill(head, header(release));
    fill(progress, steps(release, events));
    fill(actions, actionButtons(release, act));
  };
  const add = (e: ReleaseEventRecord) => {
    if (events.some((x) => x.seq === e.seq)) return;
    events.push(e);
    tbody.prepend(eventRow(e));
    if (release && e.state) release = { ...release, state: e.state, message: e.message };
  };
  const act = async (action: ReleaseAction) => {
    if (
      action === 'abort' &&
      !window.confirm('Abort this release and send all traffic back to the stable version?')
    )
      return;
    try {
      const body = await postJson<ReleaseActionResponse>(`/api/v1/releases/${id}/${action}`, {
        reason: 'from the dashboard',
      });
      // The stream may have told the end already (a promote finishes fast): keep the newer news.
      if (!release?.finishedAt) release = body.release;
      render();
    } catch (err) {
      fill(message, errorBox(err));
    }
  };

  void (async () => {
    try {
      const detail = await getJson<ReleaseDetailResponse>(`/api/v1/releases/${encodeURIComponent(id)}`);
      if (closed) return;
      release = detail.release;
      for (const e of detail.events) add(e);
      render();
      if (release.finishedAt) {
        live.textContent = `finished ${fmtAgo(release.finishedAt)}`;
        return;
      }
      const last = events.at(-1)?.seq ?? 0;
      source = new EventSource(apiUrl(`/api/v1/releases/${encodeURIComponent(id)}/events?after=${last}`));
      live.textContent = '● live';
      source.addEventListener('release-event', (ev) => {
        add(JSON.parse((ev as MessageEvent<string>).data) as ReleaseEventRecord);
        render();
      });
      source.addEventListener('end', (ev) => {
        release = JSON.parse((ev as MessageEvent<string>).data) as ReleaseRecord;
        source?.close();
        live.textContent = `finished: ${release.state}`;
        live.classList.toggle('ended-badly', release.state !== 'succeeded');
        render();
      });
      source.onerror = () => {
        if (source?.readyState === EventSource.CONNECTING) live.textContent = 'reconnecting…';
      };
      source.onopen = () => {
        live.textContent = '● live';
      };
    } catch (err) {
      fill(message, errorBox(err));
    }
  })();
  return () => {
    closed = true;
    source?.close();
  };
}

function header(r: ReleaseRecord): HTMLElement {
  const took = r.finishedAt ? fmtDuration(Date.parse(r.finishedAt) - Date.parse(r.createdAt)) : null;
  return h(
    'section',
    { class: 'card', 'data-state': r.state },
    h(
      'div',
      { class: 'env-head' },
      h('h2', null, `${r.previousVersion ?? '∅'} → ${r.version}`),
      badge(r.state, toneOf(r.state)),
      h('span', null, link(`/environments/${encodeURIComponent(r.environment)}`, r.environment)),
      h(
        'span',
        { class: 'muted small' },
        `${r.kind} · ${r.strategy} · started ${fmtTime(r.createdAt)}${took ? ` · took ${took}` : ''}`,
      ),
    ),
    r.message
      ? h('p', { class: 'release-message' }, r.reason ? h('code', null, r.reason) : null, ' ', r.message)
      : null,
  );
}

function steps(r: ReleaseRecord, events: ReleaseEventRecord[]): HTMLElement | null {
  if (r.strategy !== 'canary') return null;
  const stepEvents = events
    .filter((e) => e.type === 'canary.step')
    .map((e) => e.data as unknown as CanaryStepEventData);
  const total = r.plan.steps ?? stepEvents.at(-1)?.steps;
  if (!total) return null;
  // The step events are newer than the record fetched when the page opened.
  const latest = stepEvents.at(-1);
  const done =
    r.state === 'succeeded' || r.state === 'promoting' || r.state === 'switching' || r.state === 'draining';
  const current = done ? total : (latest?.step ?? (r.plan.step ?? 0) + 1);
  const weight = done
    ? 100
    : r.finishedAt || r.state === 'rolling_back'
      ? 0
      : (latest?.weight ?? r.plan.weight ?? 0);
  const lastVerdict = [...events].reverse().find((e) => e.type === 'verdict')?.data as
    | VerdictEventData
    | undefined;
  return h(
    'section',
    { class: 'card' },
    h('h2', null, 'Canary'),
    h(
      'div',
      { class: 'weight', 'data-weight': weight },
      h('div', { class: 'bar' }, h('div', { class: 'fill', style: `width:${weight}%` })),
      h('span', null, `${weight}% of traffic on ${r.version} · step ${current} of ${total}`),
    ),
    h(
      'ol',
      { class: 'steps' },
      Array.from({ length: total }, (_, i) => {
        const seen = stepEvents.find((s) => s.step === i + 1);
        const state =
          i + 1 < current || r.state === 'succeeded' ? 'done' : i + 1 === current ? 'current' : 'todo';
        return h(
          'li',
          { class: state },
          `step ${i + 1}`,
          seen ? ` · ${seen.weight}%` : '',
          seen?.pauseMs ? h('span', { class: 'muted' }, ` · ${fmtDuration(seen.pauseMs)}`) : null,
        );
      }),
    ),
    lastVerdict
      ? h(
          'p',
          null,
          'Last verdict: ',
          badge(lastVerdict.phase, toneOf(lastVerdict.phase)),
          ` ${lastVerdict.summary}`,
        )
      : null,
  );
}

function actionButtons(r: ReleaseRecord, act: (a: ReleaseAction) => void): HTMLElement[] {
  return (Object.keys(ACTIONS) as ReleaseAction[])
    .filter((a) => {
      const rule = ACTIONS[a];
      return (
        !r.finishedAt &&
        rule.states.includes(r.state) &&
        (!rule.canaryOnly || r.strategy === 'canary') &&
        may('deployer', r.environment)
      );
    })
    .map((a) =>
      h('button', { class: ACTIONS[a].tone, 'data-action': a, onclick: () => act(a) }, ACTIONS[a].label),
    );
}

function eventRow(e: ReleaseEventRecord): HTMLElement {
  const detail =
    e.type === 'verdict'
      ? verdictDetail(e.data as unknown as VerdictEventData)
      : e.type === 'canary.step'
        ? stepDetail(e.data as unknown as CanaryStepEventData)
        : h('span', null, e.message);
  return h(
    'tr',
    { 'data-type': e.type, 'data-seq': e.seq },
    h('td', { class: 'nowrap muted', title: fmtTime(e.at) }, fmtClock(e.at)),
    h(
      'td',
      { class: 'nowrap' },
      e.state ? badge(e.state, toneOf(e.state)) : h('span', { class: 'muted' }, e.type),
    ),
    h('td', null, detail),
  );
}

function stepDetail(d: CanaryStepEventData): HTMLElement {
  return h(
    'span',
    null,
    h('strong', null, `step ${d.step}/${d.steps}: weight ${d.weight}%`),
    d.pauseMs ? ` · pause ${fmtDuration(d.pauseMs)}` : '',
    d.checks.length ? ` · checks ${d.checks.join(', ')}` : '',
  );
}

function verdictDetail(v: VerdictEventData): HTMLElement {
  const side = (label: string, s: VerdictSide | null) =>
    s
      ? h(
          'span',
          { class: 'side' },
          `${label} ${s.version}: ${s.requests} req, ${fmtPercent(s.errorRate)} 5xx, ` +
            `${s.clientErrorRate === undefined ? '' : `${fmtPercent(s.clientErrorRate)} 4xx, `}` +
            `p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}`,
        )
      : null;
  return h(
    'div',
    { class: 'verdict' },
    h(
      'div',
      null,
      badge(v.phase, toneOf(v.phase)),
      ` step ${v.step}/${v.steps} at ${v.weight}%: ${v.summary}`,
      v.decisive ? h('strong', null, ' (decisive)') : null,
    ),
    h(
      'div',
      { class: 'small' },
      side('canary', v.canary),
      v.baseline ? ' · ' : null,
      side('stable', v.baseline),
    ),
  );
}
