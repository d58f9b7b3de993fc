// Escalation until acknowledged over a real SQLite store and real webhook receivers on loopback,
// on an injected clock: the on-call person is paged at once, the second step 15 minutes later when
// nobody acknowledges, never when someone does (the alert, or its incident through the API), each
// page lands on the incident's timeline, and a restart in between resumes without repeats.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmEngine } from '../src/alarms/index.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { registerAckLinkRoutes } from '../src/api/ack-link-routes.ts';
import {
  type IncidentActionResponse,
  type IncidentDetailResponse,
  registerIncidentRoutes,
  type TimelineEntry,
} from '../src/api/incident-routes.ts';
import { ackAlertsOfIncident, wireAlerting } from '../src/app/alerting.ts';
import { parseConfig } from '../src/config/load.ts';
import { describeNotification } from '../src/incidents/alarm-entries.ts';
import { createIncidentManager } from '../src/incidents/manager.ts';
import type { Clock } from '../src/lib/clock.ts';
import { silentLogger } from '../src/lib/log.ts';
import { MAX_PATH_PARAM_LENGTH } from '../src/lib/names.ts';
import { groupKeyOf } from '../src/notify/alert.ts';
import { createNotifier } from '../src/notify/notifier.ts';
import type { DeliveryOutcome } from '../src/notify/types.ts';
import type { ReleaseEngine } from '../src/rollout/engine.ts';
import type { Store } from '../src/store/types.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const MINUTE = 60_000;
const WAIT_MS = 15_000;
const ACK_KEY = randomBytes(32);

interface Hit {
  url: string;
  delivery: string;
  body: { alerts: Array<{ annotations: Record<string, string> }> };
}

/** Webhook receivers on loopback: one server, a path per person or step. */
class Receiver {
  readonly hits: Hit[] = [];
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.hits.push({
        url: req.url ?? '',
        delivery: String(req.headers['x-gantry-delivery']),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Hit['body'],
      });
      res.writeHead(200).end('ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  on(url: string): Hit[] {
    return this.hits.filter((h) => h.url === url);
  }

  async waitFor(url: string, n: number): Promise<Hit[]> {
    const deadline = Date.now() + WAIT_MS;
    while (this.on(url).length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} calls of ${url}, got ${this.on(url).length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.on(url);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A clock that moves only when told; sleepers wake when it passes their time. */
class ManualClock implements Clock {
  // Friday 1 May 2026, 14:00 in Berlin: the week of Monday 27 April, Ana's first.
  t = Date.UTC(2026, 4, 1, 12, 0, 0);
  readonly #sleepers = new Set<{ until: number; wake: () => void }>();

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper = {
        until: this.t + ms,
        wake: () => {
          this.#sleepers.delete(sleeper);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers.delete(sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.add(sleeper);
    });
  }

  advance(ms: number): void {
    this.t += ms;
    for (const s of [...this.#sleepers]) if (s.until <= this.t) s.wake();
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup() {
  const receiver = new Receiver();
  const base = await receiver.start();
  cleanups.push(() => receiver.close());
  const loaded = parseConfig(
    `service: shop-api
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
notify:
  team:
    - { type: webhook, url: "${base}/team" }
oncall:
  schedules:
    - name: primary
      handoff: "mon 09:00"
      tz: Europe/Berlin
      start: 2026-04-27
      people:
        - { name: Ana, notify: [{ type: webhook, url: "${base}/ana" }] }
        - { name: Bo, notify: [{ type: webhook, url: "${base}/bo" }] }
  escalation:
    - { after: 0m, notify: schedule:primary }
    - { after: 15m, notify: [{ type: webhook, url: "${base}/lead" }] }
`,
    'gantry.yaml',
  );
  const clock = new ManualClock();
  const store = await fixture.open(path.join(fixture.dir(), 'gantry.db'));
  const outcomes: DeliveryOutcome[] = [];
  const start = async (s: Store) => {
    const notifier = createNotifier({
      config: () => loaded,
      store: s,
      clock,
      ackLinkKey: ACK_KEY,
      externalUrl: 'http://gantry.test:7070',
      retry: { initialMs: 50, maxMs: 200, jitter: 0 },
      tickMs: 1000,
    });
    notifier.subscribe((o) => outcomes.push(o));
    await notifier.start();
    return notifier;
  };
  const notifier = await start(store);
  cleanups.push(() => notifier.stop());
  return { receiver, notifier, clock, store, outcomes, start, loaded };
}

function firing(over: Partial<AlarmTransition> = {}): AlarmTransition {
  return {
    id: 'alt_1',
    service: 'shop-api',
    alarm: 'high-5xx',
    environment: 'production',
    metric: 'http_5xx_rate',
    severity: 'P1',
    from: 'OK',
    to: 'ALARM',
    at: new Date(Date.UTC(2026, 4, 1, 12, 0, 0)).toISOString(),
    reason: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
    datapoints: [0.042, 0.05],
    threshold: { above: 0.01 },
    notify: ['team'],
    runbook: 'https://wiki.example.com/runbooks/high-5xx',
    description: null,
    ...over,
  };
}

/** Lets the ticker run on the clock's new time, then waits until the outbox is idle. */
async function settle(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 50));
}

/**
 * The pieces wired as src/app/service-runtime.ts wires them: alarm transitions go to the notifier
 * and the incident manager (wireAlerting), delivery outcomes to the incident's timeline, and an
 * incident's acknowledgement to its alerts (ackAlertsOfIncident); the incident routes of the API
 * on top. `fire` stands in for the alarm engine.
 */
async function wired() {
  const base = await setup();
  const { notifier, clock, store, loaded } = base;
  const incidents = createIncidentManager({
    config: () => loaded,
    store,
    clock,
    externalUrl: 'http://gantry.test:7070',
    onChange: (e) => ackAlertsOfIncident(notifier, silentLogger, e),
  });
  let listener: ((t: AlarmTransition) => void) | undefined;
  const alarms: Pick<AlarmEngine, 'subscribe'> = {
    subscribe: (fn) => {
      listener = fn;
      return () => {
        listener = undefined;
      };
    },
  };
  // No canary is in flight, so wireAlerting never controls a release.
  const releases: Pick<ReleaseEngine, 'control'> = {
    control: () => Promise.reject(new Error('no release to control in this test')),
  };
  const unwire = wireAlerting({
    alarms: alarms as AlarmEngine,
    notifier,
    incidents,
    releases: releases as ReleaseEngine,
    store,
    logger: silentLogger,
  });
  const app = Fastify();
  registerIncidentRoutes(app, { incidents, clock });
  cleanups.push(async () => {
    await app.close();
    unwire();
    await incidents.idle();
  });
  /** An alarm transition, as the alarm engine announces it; resolves with the incident it opened. */
  const fire = async (t: AlarmTransition): Promise<string> => {
    if (!listener) throw new Error('wireAlerting did not subscribe to the alarms');
    listener(t);
    await incidents.idle();
    const [incident] = await incidents.list({ limit: 1 });
    expect(incident).toMatchObject({ status: 'open', alarms: [t.alarm] });
    return incident?.id as string;
  };
  return { ...base, incidents, app, fire };
}

/** The incident's timeline as GET /api/v1/incidents/:id answers it. */
async function timelineOf(app: FastifyInstance, id: string): Promise<TimelineEntry[]> {
  const res = await app.inject({ url: `/api/v1/incidents/${encodeURIComponent(id)}` });
  expect(res.statusCode).toBe(200);
  return (res.json() as IncidentDetailResponse).timeline;
}

const escalationEntries = (timeline: TimelineEntry[]) =>
  timeline.filter((e) => e.type === 'notification' && e.message.startsWith('escalation:'));

/** Waits until the timeline holds n escalation pages (outcomes are recorded after the delivery). */
async function waitForEscalationEntries(app: FastifyInstance, id: string, n: number) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const entries = escalationEntries(await timelineOf(app, id));
    if (entries.length >= n) return entries;
    if (Date.now() > deadline) {
      throw new Error(`expected ${n} escalation entries on the timeline of ${id}, got ${entries.length}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('escalation until acknowledged', () => {
  it('pages the person on call at once and the second step after 15 minutes without an ack', async () => {
    const { receiver, notifier, clock, outcomes } = await setup();
    await notifier.handle(firing());
    const [ana] = await receiver.waitFor('/ana', 1);
    await receiver.waitFor('/team', 1);
    expect(ana?.delivery).toBe('escalate:alt_1:0:oncall:primary:Ana:0');
    expect(ana?.body.alerts[0]?.annotations).toMatchObject({
      runbook_url: 'https://wiki.example.com/runbooks/high-5xx',
      oncall: 'Ana (on call in primary)',
      escalation: 'step 1 of 2',
    });
    expect(receiver.on('/bo')).toHaveLength(0);

    clock.advance(14 * MINUTE);
    await settle();
    expect(receiver.on('/lead')).toHaveLength(0);
    clock.advance(MINUTE);
    const [lead] = await receiver.waitFor('/lead', 1);
    expect(lead?.delivery).toBe('escalate:alt_1:1:escalation:1:0');
    expect(lead?.body.alerts[0]?.annotations.escalation).toBe('step 2 of 2, 15m without an acknowledgement');

    clock.advance(30 * MINUTE);
    await settle();
    expect(receiver.on('/ana')).toHaveLength(1);
    expect(receiver.on('/lead')).toHaveLength(1);
    const paged = outcomes.filter(
      (o) => o.receiver.startsWith('oncall:') || o.receiver.startsWith('escalation:'),
    );
    expect(paged.map((o) => describeNotification(o))).toEqual([
      'escalation: called the webhook of Ana (on call in primary)',
      'escalation: called the webhook of escalation step 2',
    ]);
  });

  it('stops escalating once the alert is acknowledged', async () => {
    const { receiver, notifier, clock } = await setup();
    await notifier.handle(firing());
    await receiver.waitFor('/ana', 1);
    clock.advance(5 * MINUTE);
    await notifier.ack({ alarm: 'high-5xx', environment: 'production', by: 'ana' });
    clock.advance(20 * MINUTE);
    await settle();
    clock.advance(20 * MINUTE);
    await settle();
    expect(receiver.on('/lead')).toHaveLength(0);
    expect(receiver.on('/ana')).toHaveLength(1);
  });

  it('resumes after a restart: the due step is sent once, the first step not again', async () => {
    const { receiver, notifier, clock, store, start } = await setup();
    await notifier.handle(firing());
    await receiver.waitFor('/ana', 1);
    await notifier.stop();
    clock.advance(16 * MINUTE);
    const again = await start(store);
    cleanups.push(() => again.stop());
    clock.advance(1000); // the first tick after the start
    await receiver.waitFor('/lead', 1);
    await settle();
    expect(receiver.on('/ana')).toHaveLength(1);
    expect(receiver.on('/lead')).toHaveLength(1);
  });

  it('leaves alarms less severe than incidents.open_at to their notify groups', async () => {
    const { receiver, notifier, clock } = await setup();
    await notifier.handle(firing({ severity: 'P4' }));
    await receiver.waitFor('/team', 1);
    clock.advance(20 * MINUTE);
    await settle();
    expect(receiver.on('/ana')).toHaveLength(0);
    expect(receiver.on('/lead')).toHaveLength(0);
  });

  it('stops escalating when the signed link of the page is used; opening it alone acknowledges nothing', async () => {
    const { receiver, notifier, clock, store, loaded } = await setup();
    const incidents = createIncidentManager({
      config: () => loaded,
      store,
      clock,
      externalUrl: 'http://gantry.test:7070',
    });
    await incidents.onTransition(firing());
    await notifier.handle(firing());
    const [ana] = await receiver.waitFor('/ana', 1);
    const url = new URL(String(ana?.body.alerts[0]?.annotations.ack_url));
    expect(url.origin).toBe('http://gantry.test:7070');
    expect(url.pathname).toMatch(/^\/api\/v1\/ack\/[\w-]+\.[\w-]+$/);

    // The API's own router limit on path parameters (a link is a few hundred characters).
    const app = Fastify({ routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH } });
    registerAckLinkRoutes(app, {
      key: ACK_KEY,
      notifier,
      incidents,
      store,
      service: () => 'shop-api',
      now: () => clock.now(),
    });
    const opened = await app.inject({ url: url.pathname });
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain('<form method="post">');
    expect((await store.incidents.list({ service: 'shop-api' }))[0]?.status).toBe('open');
    const forged = await app.inject({ method: 'POST', url: `${url.pathname.slice(0, -4)}AAAA` });
    expect(forged.statusCode).toBe(403);
    clock.advance(5 * MINUTE);
    await settle();
    const acked = await app.inject({ method: 'POST', url: url.pathname });
    expect(acked.statusCode).toBe(200);
    expect(acked.body).toContain('Acknowledged high-5xx in production');
    const [incident] = await store.incidents.list({ service: 'shop-api' });
    expect(incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Ana' });

    clock.advance(20 * MINUTE);
    await settle();
    expect(receiver.on('/lead')).toHaveLength(0);
    await app.close();
  });

  it("lands each page on the incident's timeline, as GET /api/v1/incidents/:id answers it", async () => {
    const { receiver, clock, app, fire } = await wired();
    const id = await fire(firing());
    await receiver.waitFor('/ana', 1);
    const [ana] = await waitForEscalationEntries(app, id, 1);
    expect(ana).toMatchObject({
      source: 'incident',
      type: 'notification',
      alarm: 'high-5xx',
      message: 'escalation: called the webhook of Ana (on call in primary)',
      data: {
        deliveryId: 'escalate:alt_1:0:oncall:primary:Ana:0',
        receiver: 'oncall:primary:Ana',
        channel: 'webhook',
        status: 'delivered',
      },
    });

    clock.advance(15 * MINUTE);
    await receiver.waitFor('/lead', 1);
    await waitForEscalationEntries(app, id, 2);
    const timeline = await timelineOf(app, id);
    expect(escalationEntries(timeline).map((e) => e.message)).toEqual([
      'escalation: called the webhook of Ana (on call in primary)',
      'escalation: called the webhook of escalation step 2',
    ]);
    const lead = escalationEntries(timeline)[1];
    expect(lead?.data).toMatchObject({
      deliveryId: 'escalate:alt_1:1:escalation:1:0',
      receiver: 'escalation:1',
    });
    expect(Date.parse(String(lead?.at))).toBeGreaterThanOrEqual(Date.parse(firing().at) + 15 * MINUTE);
    // The alarm's own notify group is on the timeline too, without the escalation prefix.
    await expect
      .poll(async () => (await timelineOf(app, id)).map((e) => e.message), { timeout: WAIT_MS })
      .toContain('called the webhook of team');
  });

  it('stops escalating when the incident is acknowledged (POST /api/v1/incidents/:id/ack)', async () => {
    // The same alert, unacknowledged, pages the second step at 15 minutes: "pages the person on
    // call at once and the second step after 15 minutes without an ack" and the timeline test
    // above show it on this config and clock. `gantry incidents ack ID` and the dashboard's
    // Acknowledge button send this request.
    const { receiver, clock, app, fire, store } = await wired();
    const id = await fire(firing());
    await receiver.waitFor('/ana', 1);
    await waitForEscalationEntries(app, id, 1);

    clock.advance(5 * MINUTE);
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/incidents/${encodeURIComponent(id)}/ack`,
      payload: { by: 'ana' },
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as IncidentActionResponse).incident).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'ana',
    });

    clock.advance(10 * MINUTE); // the second step's 15m since the alert began to fire
    await settle();
    clock.advance(30 * MINUTE);
    await settle();
    expect(receiver.on('/lead')).toHaveLength(0);
    expect(receiver.on('/ana')).toHaveLength(1);
    // The incident's acknowledgement reached the notifier: its alert, still firing, is acknowledged.
    const alert = await store.notifications.alerts.get(groupKeyOf('high-5xx', 'production', 'shop-api'));
    expect(alert).toMatchObject({ status: 'firing', ackedBy: 'ana' });
    const timeline = await timelineOf(app, id);
    expect(escalationEntries(timeline).map((e) => e.message)).toEqual([
      'escalation: called the webhook of Ana (on call in primary)',
    ]);
    expect(timeline).toContainEqual(
      expect.objectContaining({ source: 'incident', type: 'ack', message: 'acknowledged by ana' }),
    );
  });
});
