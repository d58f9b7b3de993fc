// The incident manager over a real SQLite store with an injected clock: opening at the configured
// severity, joining, raising, the assembled timeline, MTTA/MTTR and the post-mortem draft.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmTransition, Severity } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/index.ts';
import { createIncidentManager } from '../src/incidents/index.ts';
import type { IncidentManager } from '../src/incidents/types.ts';
import { GantryError } from '../src/lib/errors.ts';
import { openStore, type Store } from '../src/store/index.ts';

const T0 = Date.UTC(2026, 4, 5, 12, 0, 0);
const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

let now = T0;
let store: Store;
let incidents: IncidentManager;
let openAt: Severity = 'P2';
let changes: string[] = [];

function config() {
  return parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
  staging: { listen: 127.0.0.1:18081 }
incidents: { open_at: ${openAt} }
`,
    '/srv/shop/gantry.yaml',
  );
}

let seq = 0;
function transition(over: Partial<AlarmTransition> = {}): AlarmTransition {
  seq++;
  return {
    id: `alt_${seq}`,
    service: 'shop',
    alarm: 'high-5xx',
    environment: 'production',
    metric: 'http_5xx_rate',
    severity: 'P2',
    from: 'OK',
    to: 'ALARM',
    at: iso(now),
    reason: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
    datapoints: [0.004, 0.042, 0.051],
    threshold: { above: 0.01 },
    notify: ['oncall'],
    runbook: 'docs/runbooks/high-5xx.md',
    description: null,
    ...over,
  };
}

beforeEach(async () => {
  now = T0;
  openAt = 'P2';
  changes = [];
  store = await openStore({ kind: 'sqlite', path: ':memory:', clock: { now: () => now } });
  incidents = createIncidentManager({
    config,
    store,
    clock: { now: () => now },
    externalUrl: 'http://127.0.0.1:7070/',
    onChange: (e) => changes.push(`${e.kind} ${e.incident.status} ${e.alarm ?? e.by}`),
  });
});

afterEach(async () => {
  await incidents.idle();
  await store.close();
});

describe('opening and joining', () => {
  it('opens an incident only for alarms at or above incidents.open_at', async () => {
    await incidents.onTransition(transition({ alarm: 'slow-p99', severity: 'P3' }));
    expect(await incidents.list({ limit: 10 })).toEqual([]);

    await incidents.onTransition(transition({ severity: 'P2' }));
    const [opened, ...rest] = await incidents.list({ limit: 10 });
    expect(rest).toEqual([]);
    expect(opened).toMatchObject({
      service: 'shop',
      environment: 'production',
      severity: 'P2',
      status: 'open',
      alarms: ['high-5xx'],
      openedAt: iso(T0),
      title: '[shop] [P2] high-5xx in production',
      url: `http://127.0.0.1:7070/api/v1/incidents/${opened?.id}`,
      mttaMs: null,
      mttrMs: null,
    });

    openAt = 'P1';
    await incidents.onTransition(transition({ environment: 'staging', severity: 'P2' }));
    expect(await incidents.list({ environment: 'staging', limit: 10 })).toEqual([]);
    await incidents.onTransition(transition({ environment: 'staging', alarm: 'down', severity: 'P1' }));
    expect((await incidents.list({ environment: 'staging', limit: 10 })).map((i) => i.severity)).toEqual([
      'P1',
    ]);
  });

  it('joins the open incident of the environment and raises its severity', async () => {
    await incidents.onTransition(transition({ alarm: 'high-5xx', severity: 'P2' }));
    now += 20_000;
    await incidents.onTransition(transition({ alarm: 'api-down', severity: 'P1', metric: 'probe_failures' }));
    now += 20_000;
    // Below the threshold: not a member, so not on the timeline.
    await incidents.onTransition(transition({ alarm: 'slow-p99', severity: 'P3' }));

    const [incident, ...others] = await incidents.list({ limit: 10 });
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ severity: 'P1', alarms: ['high-5xx', 'api-down'] });
    const { timeline } = await incidents.get(incident?.id as string);
    expect(timeline.map((e) => [e.type, e.message])).toEqual([
      ['opened', 'incident opened by alarm high-5xx (P2) in production'],
      ['alarm', 'alarm high-5xx → ALARM: http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s'],
      ['alarm.joined', 'alarm api-down (P1) joined the incident'],
      ['severity', 'severity raised P2 → P1 by alarm api-down'],
      ['alarm', 'alarm api-down → ALARM: http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s'],
    ]);
  });

  it('joins an acknowledged incident, and opens a new one once it is resolved', async () => {
    await incidents.onTransition(transition());
    const [first] = await incidents.list({ limit: 10 });
    await incidents.ack(first?.id as string, 'alice');
    await incidents.onTransition(transition({ alarm: 'api-down' }));
    expect((await incidents.get(first?.id as string)).incident.alarms).toEqual(['high-5xx', 'api-down']);

    await incidents.resolve(first?.id as string, { by: 'bob' });
    now += MIN;
    await incidents.onTransition(transition());
    const list = await incidents.list({ limit: 10 });
    expect(list.map((i) => i.status)).toEqual(['open', 'resolved']);
    expect(await incidents.list({ status: 'active', limit: 10 })).toHaveLength(1);
    expect(changes).toEqual([
      'opened open high-5xx',
      'acknowledged acknowledged alice',
      'joined acknowledged api-down',
      'resolved resolved bob',
      'opened open high-5xx',
    ]);
  });

  it('opens one incident when alarms of an environment fire together', async () => {
    await Promise.all(['a', 'b', 'c', 'd'].map((alarm) => incidents.onTransition(transition({ alarm }))));
    const list = await incidents.list({ limit: 10 });
    expect(list).toHaveLength(1);
    expect(list[0]?.alarms).toEqual(['a', 'b', 'c', 'd']);
  });

  it('records every transition of a member alarm, once, and never resolves by itself', async () => {
    const fired = transition();
    await incidents.onTransition(fired);
    await incidents.onTransition(fired); // replayed by the engine after a restart
    now += 5 * MIN;
    await incidents.onTransition(
      transition({ from: 'ALARM', to: 'OK', reason: 'http_5xx_rate 0.2% ≤ 1% for 3 periods of 60 s' }),
    );
    const [incident] = await incidents.list({ limit: 10 });
    expect(incident?.status).toBe('open');
    const { timeline } = await incidents.get(incident?.id as string);
    expect(timeline.filter((e) => e.type === 'alarm').map((e) => e.message)).toEqual([
      'alarm high-5xx → ALARM: http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
      'alarm high-5xx → OK: http_5xx_rate 0.2% ≤ 1% for 3 periods of 60 s',
    ]);
  });
});

describe('notifications', () => {
  it("records deliveries on the incident of the alarm, and ignores other alarms' ones", async () => {
    await incidents.onTransition(transition());
    const base = { alarm: 'high-5xx', environment: 'production', receiver: 'oncall', at: iso(now + 1000) };
    await incidents.onNotification({
      ...base,
      deliveryId: 'dl_1',
      channel: 'pagerduty',
      status: 'delivered',
      attempts: 1,
    });
    await incidents.onNotification({
      ...base,
      deliveryId: 'dl_2',
      channel: 'email',
      status: 'failed',
      attempts: 5,
      error: '550 mailbox unavailable',
    });
    await incidents.onNotification({
      ...base,
      alarm: 'other',
      deliveryId: 'dl_3',
      channel: 'slack',
      status: 'delivered',
      attempts: 1,
    });
    const [incident] = await incidents.list({ limit: 10 });
    const { timeline } = await incidents.get(incident?.id as string);
    expect(timeline.filter((e) => e.type === 'notification').map((e) => e.message)).toEqual([
      'paged oncall by pagerduty',
      'email to oncall failed after 5 attempts: 550 mailbox unavailable',
    ]);
  });
});

describe('the assembled timeline', () => {
  it('merges the release, environment events, alarms, notifications, ack and note in time order', async () => {
    // An old release, finished long before: outside the window.
    now = T0 - 3 * 60 * MIN;
    await store.releases.create(release('rel_old', 'v1', null));
    await store.releases.transition('rel_old', { state: 'succeeded', message: 'production now serves v1' });

    now = T0 - 5 * MIN;
    await store.releases.create(release('rel_v2', 'v2', 'v1'));
    now = T0 - 4 * MIN;
    await store.releases.transition('rel_v2', {
      state: 'progressing',
      message: 'canary v2 takes traffic, analysed against v1 every 10 s',
    });
    await store.releases.appendEvent('rel_v2', {
      type: 'canary.step',
      message: 'step 1/4: 10 % of traffic to v2',
      data: { step: 1, steps: 4, weight: 10 },
    });
    now = T0 - 3 * MIN;
    await store.releases.appendEvent('rel_v2', {
      type: 'verdict',
      message: 'pass: 0 errors in 120 requests',
      data: { phase: 'pass', decisive: false },
    });
    now = T0 - MIN;
    await store.events.append({
      service: 'shop',
      environment: 'production',
      instance: 'production-v2-a1',
      version: 'v2',
      type: 'instance.exited',
      message: 'instance production-v2-a1 (v2) exited with code 1, restarting in 1 s',
      data: null,
    });
    now = T0;
    await incidents.onTransition(transition());
    await incidents.onNotification({
      deliveryId: 'dl_1',
      alarm: 'high-5xx',
      environment: 'production',
      receiver: 'oncall',
      channel: 'pagerduty',
      status: 'delivered',
      attempts: 1,
      at: iso(T0 + 800),
    });
    now = T0 + 30_000;
    await store.releases.transition('rel_v2', {
      state: 'rolled_back',
      reason: 'AnalysisFailed',
      message: 'canary failed at 10 %: error rate 4.2% > 1%; production serves v1 again',
    });
    const [incident] = await incidents.list({ limit: 10 });
    const id = incident?.id as string;
    now = T0 + 2 * MIN;
    await incidents.ack(id, 'alice');
    now = T0 + 3 * MIN;
    await incidents.addNote(id, 'v2 leaks DB connections', 'alice');
    now = T0 + 4 * MIN;
    await incidents.onTransition(transition({ from: 'ALARM', to: 'OK', reason: 'http_5xx_rate 0.1% ≤ 1%' }));

    const { timeline } = await incidents.get(id);
    expect(timeline.map((e) => [e.source, e.type])).toEqual([
      ['release', 'release.started'],
      ['release', 'release.state'],
      ['release', 'release.step'],
      ['environment', 'environment.instance.exited'],
      ['incident', 'opened'],
      ['incident', 'alarm'],
      ['incident', 'notification'],
      ['release', 'release.finished'],
      ['incident', 'ack'],
      ['incident', 'note'],
      ['incident', 'alarm'],
    ]);
    expect(timeline[0]?.message).toBe('release rel_v2 started: production v1 → v2 (canary, by ci)');
    expect(timeline[7]?.message).toBe(
      'release rel_v2 (v2) rolled back: canary failed at 10 %: error rate 4.2% > 1%; production serves v1 again',
    );
    expect(timeline[9]).toMatchObject({ message: 'note by alice: v2 leaks DB connections', by: 'alice' });
    const times = timeline.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('response times', () => {
  it('computes MTTA and MTTR per incident and their means and medians', async () => {
    const durations = [
      { env: 'production', ack: 1 * MIN, resolve: 10 * MIN },
      { env: 'staging', ack: 3 * MIN, resolve: 30 * MIN },
    ];
    for (const d of durations) {
      now = T0;
      await incidents.onTransition(transition({ environment: d.env }));
      const [i] = await incidents.list({ environment: d.env, limit: 1 });
      now = T0 + d.ack;
      const acked = await incidents.ack(i?.id as string, 'alice');
      expect(acked.mttaMs).toBe(d.ack);
      now = T0 + d.resolve;
      const resolved = await incidents.resolve(i?.id as string, { by: 'bob', resolution: 'rolled back' });
      expect(resolved).toMatchObject({ status: 'resolved', mttaMs: d.ack, mttrMs: d.resolve });
    }
    now = T0 + 40 * MIN;
    await incidents.onTransition(transition({ alarm: 'still-open' })); // open: no MTTA/MTTR yet

    const stats = await incidents.stats({ since: iso(T0 - MIN) });
    expect(stats).toMatchObject({
      total: 3,
      byStatus: { open: 1, acknowledged: 0, resolved: 2 },
      bySeverity: { P1: 0, P2: 3, P3: 0, P4: 0 },
      mtta: { count: 2, meanMs: 2 * MIN, medianMs: 2 * MIN },
      mttr: { count: 2, meanMs: 20 * MIN, medianMs: 20 * MIN },
    });
    expect((await incidents.stats({ since: iso(T0 + 30 * MIN) })).total).toBe(1);
  });

  it('refuses actions that do not apply to the status with a clear error', async () => {
    await incidents.onTransition(transition());
    const [i] = await incidents.list({ limit: 1 });
    const id = i?.id as string;
    await incidents.ack(id, 'alice');
    await expect(incidents.ack(id, 'carol')).rejects.toThrow(
      /already acknowledged by alice at 2026-05-05 12:00:00 UTC/,
    );
    now += MIN;
    await incidents.resolve(id, { by: 'bob' });
    const again = await incidents.resolve(id, { by: 'bob' }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(GantryError);
    expect(again).toMatchObject({ code: 'INVALID_INCIDENT_STATE', status: 409 });
    expect((again as Error).message).toBe(
      `incident ${id} was already resolved by bob at 2026-05-05 12:01:00 UTC`,
    );
    await expect(incidents.get('inc_nope')).rejects.toMatchObject({ code: 'UNKNOWN_INCIDENT', status: 404 });
    // Notes and assignment stay possible after resolution (the post-mortem goes on).
    await incidents.addNote(id, 'post-mortem on Friday', 'bob');
    expect((await incidents.assign(id, 'carol', 'bob')).assignee).toBe('carol');
  });
});

describe('the post-mortem', () => {
  it('follows the war-room template, pre-filled from the record', async () => {
    now = T0 - 2 * MIN;
    await store.releases.create(release('rel_v2', 'v2', 'v1'));
    now = T0;
    await incidents.onTransition(transition());
    now = T0 + 20_000;
    await incidents.onTransition(
      transition({
        alarm: 'slow-p99',
        severity: 'P1',
        metric: 'http_latency_p99',
        reason: 'http_latency_p99 950 ms > 500 ms in 3 of the last 3 periods of 10 s',
        datapoints: [720, 950, 880],
        threshold: { above: 500 },
        runbook: null,
      }),
    );
    now = T0 + 40_000;
    await store.releases.transition('rel_v2', {
      state: 'rolled_back',
      message: 'canary failed at 10 %: error rate 4.2% > 1%; production serves v1 again',
    });
    const [i] = await incidents.list({ limit: 1 });
    const id = i?.id as string;
    now = T0 + 3 * MIN;
    await incidents.ack(id, 'alice');
    now = T0 + 6 * MIN;
    await incidents.onTransition(transition({ from: 'ALARM', to: 'OK', reason: 'http_5xx_rate 0.1% ≤ 1%' }));
    now = T0 + 12 * MIN;
    await incidents.resolve(id, { by: 'bob', rootCause: 'v2 leaks DB connections under load' });

    const md = await incidents.postmortem(id);
    for (const heading of [
      '## Summary',
      '## Severity',
      '## Symptoms',
      '## Impact',
      '## Timeline',
      '## Root cause',
      '## Resolution',
      '## Prevention',
      '## Response times',
    ]) {
      expect(md).toContain(`\n${heading}\n`);
    }
    expect(md.startsWith('# [shop] [P1] high-5xx in production\n')).toBe(true);
    expect(md).toContain('| Start time | 2026-05-05 12:00:00 UTC |');
    expect(md).toContain('| End time | 2026-05-05 12:12:00 UTC |');
    expect(md).toContain('| Duration | 12 min |');
    expect(md).toContain(
      'Alarm high-5xx opened this incident in production of shop at 2026-05-05 12:00:00 UTC. Also firing: slow-p99. It opened as P2 and was raised to P1. alice acknowledged it after 3 min. bob resolved it after 12 min.',
    );
    expect(md).toContain(
      '**P1 — Critical**: complete service outage, data loss or corruption, security breach.',
    );
    expect(md).toContain('Response time: immediately; resolution target: immediately');
    expect(md).toContain(
      '- Alarm **high-5xx** (P2, http_5xx_rate above 1%): http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s. Datapoints: 0.4%, 4.2%, 5.1%. ALARM at 2026-05-05 12:00:00 UTC, back to OK at 2026-05-05 12:06:00 UTC. Runbook: docs/runbooks/high-5xx.md.',
    );
    expect(md).toContain(
      '- http_5xx_rate: worst 5.1% seen by alarm high-5xx (limit http_5xx_rate above 1%) for 6 min.',
    );
    expect(md).toContain('- http_latency_p99: worst 950 ms seen by alarm slow-p99');
    expect(md).toContain('- Affected users: TODO');
    expect(md).toContain('| 2026-05-05 12:03:00 | incident | acknowledged by alice |');
    expect(md).toContain('- What went wrong: v2 leaks DB connections under load');
    expect(md).toContain(
      'Release rel_v2 started 2 min before the incident opened: production v1 → v2 (canary), now rolled back.',
    );
    expect(md).toContain(
      '  - Rolled back release rel_v2 of v2 at 2026-05-05 12:00:40 UTC: canary failed at 10 %: error rate 4.2% > 1%; production serves v1 again.',
    );
    expect(md).toContain('- Verification steps: alarm high-5xx back to OK at 2026-05-05 12:06:00 UTC.');
    expect(md).toContain('- Root cause fix: TODO');
    expect(md).toContain('- MTTA (open → acknowledged): 3 min');
    expect(md).toContain('- MTTR (open → resolved): 12 min');
  });
});

function release(id: string, version: string, previousVersion: string | null) {
  return {
    id,
    service: 'shop',
    environment: 'production',
    kind: 'release' as const,
    version,
    previousVersion,
    strategy: 'canary' as const,
    ref: 'refs/tags/v2',
    createdBy: 'ci',
    plan: { newInstanceIds: [], oldInstanceIds: [] },
  };
}
