// The notification stages end to end over a real SQLite store and a real webhook receiver on
// loopback: firing and resolved notifications, de-duplication, silences, acknowledgement and
// repeats (on an injected clock), delivery outcomes for subscribers.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/load.ts';
import type { Clock } from '../src/lib/clock.ts';
import { GantryError } from '../src/lib/errors.ts';
import { fingerprintOf } from '../src/notify/alert.ts';
import { createNotifier } from '../src/notify/notifier.ts';
import type { DeliveryOutcome } from '../src/notify/types.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const EXTERNAL = 'http://gantry.test:7070';
const WAIT_MS = 15_000;
const HOUR = 3_600_000;

interface Hit {
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A webhook receiver on loopback that records every POST (and answers PagerDuty's way on /pd). */
class Receiver {
  readonly hits: Hit[] = [];
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.hits.push({
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.writeHead(req.url === '/pd' ? 202 : 200, { 'content-type': 'application/json' });
      res.end('{"status":"success"}');
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
      if (Date.now() > deadline) {
        throw new Error(
          `expected ${n} notifications on ${url}, got ${this.on(url).length} within ${WAIT_MS} ms`,
        );
      }
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

async function setup(opts: { clock?: Clock; pagerduty?: boolean; notify?: string } = {}) {
  const receiver = new Receiver();
  const base = await receiver.start();
  cleanups.push(() => receiver.close());
  const pd = opts.pagerduty
    ? `\n    - { type: pagerduty, routing_key: "\${secret:PD_KEY}", url: "${base}/pd" }`
    : '';
  const loaded = parseConfig(
    `service: shop-api
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
notify:
  oncall:
    - { type: webhook, url: "${base}/hook" }${pd}
`,
    'gantry.yaml',
  );
  const store = await fixture.open(path.join(fixture.dir(), 'gantry.db'));
  const notifier = createNotifier({
    config: () => loaded,
    store,
    externalUrl: EXTERNAL,
    secret: (name) => (name === 'PD_KEY' ? 'R0UTINGKEY0123456789abcdefABCDEF' : undefined),
    retry: { initialMs: 50, maxMs: 200, jitter: 0 },
    tickMs: 1000,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  await notifier.start();
  cleanups.push(() => notifier.stop());
  return { receiver, notifier, store };
}

let seq = 0;
function transition(
  from: AlarmTransition['from'],
  to: AlarmTransition['to'],
  over: Partial<AlarmTransition> = {},
) {
  seq += 1;
  return {
    id: `alt_${seq}`,
    service: 'shop-api',
    alarm: 'high-5xx',
    environment: 'production',
    metric: 'http_5xx_rate',
    severity: 'P2',
    from,
    to,
    at: new Date(Date.UTC(2026, 4, 1, 12, seq)).toISOString(),
    reason:
      to === 'ALARM' ? 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s' : 'http_5xx_rate 0% ≤ 1%',
    datapoints: [0.042, 0.05],
    threshold: { above: 0.01 },
    notify: ['oncall'],
    runbook: null,
    description: null,
    ...over,
  } satisfies AlarmTransition;
}

type Alert = { status: string; startsAt: string; endsAt: string; fingerprint: string };
const alertOf = (h: Hit | undefined) => ((h?.body.alerts ?? []) as Alert[])[0] as Alert;

describe('firing and resolved', () => {
  it('tells the receiver an alarm fires, then that it resolved, with the same fingerprint', async () => {
    const { receiver, notifier } = await setup();
    const fire = transition('OK', 'ALARM');
    await notifier.handle(fire);
    const [firing] = await receiver.waitFor('/hook', 1);
    expect(firing?.body.status).toBe('firing');
    expect(firing?.headers['x-gantry-delivery']).toBe(`${fire.id}:oncall:0`);
    expect(alertOf(firing)).toMatchObject({
      status: 'firing',
      startsAt: fire.at,
      endsAt: '0001-01-01T00:00:00Z',
    });
    expect(alertOf(firing).fingerprint).toBe(
      fingerprintOf({
        alertname: 'high-5xx',
        environment: 'production',
        metric: 'http_5xx_rate',
        service: 'shop-api',
        severity: 'P2',
      }),
    );

    const recover = transition('ALARM', 'OK');
    await notifier.handle(recover);
    const [, resolved] = await receiver.waitFor('/hook', 2);
    expect(resolved?.body.status).toBe('resolved');
    expect(resolved?.headers['x-gantry-delivery']).toBe(`${recover.id}:oncall:0`);
    expect(alertOf(resolved)).toMatchObject({ status: 'resolved', startsAt: fire.at, endsAt: recover.at });
    expect(alertOf(resolved).fingerprint).toBe(alertOf(firing).fingerprint);

    // The receiver has answered; the outcome is written just after (a round trip on PostgreSQL).
    await vi.waitFor(async () => {
      const log = await notifier.deliveries();
      expect(log.map((d) => [d.kind, d.status, d.attempts])).toEqual([
        ['resolved', 'delivered', 1],
        ['firing', 'delivered', 1],
      ]);
    });
  });

  it('treats leaving ALARM for INSUFFICIENT_DATA as resolved, and OK ↔ INSUFFICIENT_DATA as nothing', async () => {
    const { receiver, notifier } = await setup();
    await notifier.handle(transition('OK', 'INSUFFICIENT_DATA'));
    await notifier.handle(transition('INSUFFICIENT_DATA', 'OK'));
    expect(await notifier.deliveries()).toEqual([]);
    await notifier.handle(transition('INSUFFICIENT_DATA', 'ALARM'));
    await notifier.handle(transition('ALARM', 'INSUFFICIENT_DATA'));
    const hits = await receiver.waitFor('/hook', 2);
    expect(hits.map((h) => h.body.status)).toEqual(['firing', 'resolved']);
  });

  it('sends one notification for a transition handled twice, and none for a resolve nobody was told about', async () => {
    const { receiver, notifier } = await setup();
    await notifier.handle(transition('ALARM', 'OK'));
    const fire = transition('OK', 'ALARM');
    await notifier.handle(fire);
    await notifier.handle(fire);
    await receiver.waitFor('/hook', 1);
    expect((await notifier.deliveries()).map((d) => d.id)).toEqual([`${fire.id}:oncall:0`]);
  });

  it('ignores a late replay of a firing that has resolved since', async () => {
    const { receiver, notifier } = await setup();
    const fire = transition('OK', 'ALARM');
    await notifier.handle(fire);
    await notifier.handle(transition('ALARM', 'OK'));
    await receiver.waitFor('/hook', 2);
    await notifier.handle(fire);
    expect(await notifier.deliveries()).toHaveLength(2);
    const err = await notifier.ack({ alarm: 'high-5xx', environment: 'production' }).catch((e: unknown) => e);
    expect((err as GantryError).code).toBe('ALERT_NOT_FIRING');
  });

  it('publishes each final delivery outcome to subscribers', async () => {
    const { receiver, notifier } = await setup();
    const outcomes: DeliveryOutcome[] = [];
    notifier.subscribe((o) => outcomes.push(o));
    const fire = transition('OK', 'ALARM');
    await notifier.handle(fire);
    await receiver.waitFor('/hook', 1);
    const deadline = Date.now() + WAIT_MS;
    while (outcomes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(outcomes).toEqual([
      {
        deliveryId: `${fire.id}:oncall:0`,
        alarm: 'high-5xx',
        environment: 'production',
        receiver: 'oncall',
        channel: 'webhook',
        status: 'delivered',
        attempts: 1,
        at: expect.any(String),
      },
    ]);
  });
});

describe('silences', () => {
  it('suppresses a matching firing alert and tells the receiver once the silence is expired', async () => {
    const { receiver, notifier } = await setup();
    const silence = await notifier.createSilence({
      matchers: [
        { name: 'alertname', value: 'high-5xx' },
        { name: 'environment', value: 'prod.*', isRegex: true },
      ],
      duration: '1h',
      comment: 'deploying the fix',
      createdBy: 'alice',
    });
    expect(silence.state).toBe('active');
    const fire = transition('OK', 'ALARM');
    await notifier.handle(fire);
    expect(await notifier.deliveries()).toEqual([]);

    await notifier.expireSilence(silence.id);
    const [firing] = await receiver.waitFor('/hook', 1);
    expect(firing?.headers['x-gantry-delivery']).toBe(`${fire.id}:oncall:0`);
    expect((await notifier.listSilences()).map((s) => s.id)).toEqual([]);
    expect((await notifier.listSilences({ expired: true })).map((s) => [s.id, s.state])).toEqual([
      [silence.id, 'expired'],
    ]);
  });

  it('does not mute alerts it does not match, nor before it starts', async () => {
    const { receiver, notifier } = await setup();
    await notifier.createSilence({
      matchers: [{ name: 'alertname', value: 'other-alarm' }],
      duration: '1h',
      comment: 'other',
    });
    await notifier.createSilence({
      matchers: [{ name: 'alertname', value: 'high-5xx' }],
      startsAt: new Date(Date.now() + HOUR).toISOString(),
      duration: '1h',
      comment: 'tomorrow',
    });
    await notifier.handle(transition('OK', 'ALARM'));
    await receiver.waitFor('/hook', 1);
  });

  it('still tells receivers that were told an alert fires that it resolved', async () => {
    const { receiver, notifier } = await setup();
    await notifier.handle(transition('OK', 'ALARM'));
    await receiver.waitFor('/hook', 1);
    await notifier.createSilence({
      matchers: [{ name: 'alertname', value: 'high-5xx' }],
      duration: '1h',
      comment: 'muted after the page',
    });
    await notifier.handle(transition('ALARM', 'OK'));
    const hits = await receiver.waitFor('/hook', 2);
    expect(hits[1]?.body.status).toBe('resolved');
  });

  it('refuses bad matchers and durations with a message that says how to fix them', async () => {
    const { notifier } = await setup();
    const attempts = [
      [{ matchers: [], duration: '1h', comment: 'x' }, 'give at least one'],
      [{ matchers: [{ name: 'alert-name', value: 'x' }], duration: '1h', comment: 'x' }, 'not a label name'],
      [
        { matchers: [{ name: 'alertname', value: '(', isRegex: true }], duration: '1h', comment: 'x' },
        'regular',
      ],
      [
        { matchers: [{ name: 'alertname', value: '.*', isRegex: true }], duration: '1h', comment: 'x' },
        'every alert',
      ],
      [{ matchers: [{ name: 'alertname', value: 'x' }], duration: 'soon', comment: 'x' }, 'duration'],
      [{ matchers: [{ name: 'alertname', value: 'x' }], comment: 'x' }, 'give endsAt'],
      [
        { matchers: [{ name: 'alertname', value: 'x' }], endsAt: '2020-01-01T00:00:00Z', comment: 'x' },
        'future',
      ],
      [{ matchers: [{ name: 'alertname', value: 'x' }], duration: '1h', comment: '  ' }, 'comment'],
    ] as const;
    for (const [input, words] of attempts) {
      const err = await notifier.createSilence(input as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toBeInstanceOf(GantryError);
      expect((err as GantryError).code).toBe('BAD_REQUEST');
      expect((err as GantryError).message).toContain(words);
    }
    const missing = await notifier.expireSilence('sil_nope').catch((e: unknown) => e);
    expect((missing as GantryError).code).toBe('UNKNOWN_SILENCE');
  });
});

describe('acknowledgement and repeats', () => {
  it('repeats a firing alert every repeat interval until it is acknowledged', async () => {
    const clock = new ManualClock();
    const { receiver, notifier } = await setup({ clock, pagerduty: true });
    const fire = transition('OK', 'ALARM');
    await notifier.handle(fire);
    await receiver.waitFor('/hook', 1);
    await receiver.waitFor('/pd', 1);

    clock.advance(4 * HOUR);
    const hooks = await receiver.waitFor('/hook', 2);
    expect(hooks[1]?.headers['x-gantry-delivery']).toBe(`repeat:${fire.id}:1:oncall:0`);
    expect(hooks[1]?.body.status).toBe('firing');

    const ack = await notifier.ack({ alarm: 'high-5xx', environment: 'production', by: 'alice' });
    expect(ack).toMatchObject({
      alarm: 'high-5xx',
      environment: 'production',
      ackedBy: 'alice',
      firingSince: fire.at,
    });
    const pd = await receiver.waitFor('/pd', 3);
    expect(pd.map((h) => h.body.event_action)).toEqual(['trigger', 'trigger', 'acknowledge']);
    expect(pd[2]?.headers['x-gantry-delivery']).toBe(`ack:${fire.id}:oncall:1`);

    for (let i = 0; i < 3; i++) {
      clock.advance(4 * HOUR);
      // Let the ticker run on the new time before looking.
      await notifier.deliveries();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await notifier.deliveries()).filter((d) => d.kind === 'repeat')).toHaveLength(2);
    expect(receiver.on('/hook')).toHaveLength(2);

    await notifier.handle(transition('ALARM', 'OK'));
    const after = await receiver.waitFor('/hook', 3);
    expect(after[2]?.body.status).toBe('resolved');
    const resolvedPd = await receiver.waitFor('/pd', 4);
    expect(resolvedPd[3]?.body.event_action).toBe('resolve');
  });

  it('refuses to acknowledge an alarm that does not fire', async () => {
    const { notifier } = await setup();
    const err = await notifier.ack({ alarm: 'high-5xx', environment: 'production' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GantryError);
    expect((err as GantryError).code).toBe('ALERT_NOT_FIRING');
    expect((err as GantryError).status).toBe(409);
  });

  it('starts a new firing after recovery, with repeats and acknowledgement reset', async () => {
    const clock = new ManualClock();
    const { receiver, notifier } = await setup({ clock });
    await notifier.handle(transition('OK', 'ALARM'));
    await notifier.ack({ alarm: 'high-5xx', environment: 'production' });
    await notifier.handle(transition('ALARM', 'OK'));
    const again = transition('OK', 'ALARM');
    await notifier.handle(again);
    await receiver.waitFor('/hook', 3);
    clock.advance(4 * HOUR);
    const hits = await receiver.waitFor('/hook', 4);
    expect(hits[3]?.headers['x-gantry-delivery']).toBe(`repeat:${again.id}:1:oncall:0`);
  });
});

describe('configuration', () => {
  it('notifies nobody for a notify group gantry.yaml does not have, and says so', async () => {
    const { notifier } = await setup();
    await notifier.handle(transition('OK', 'ALARM', { notify: ['nobody'] }));
    expect(await notifier.deliveries()).toEqual([]);
  });
});
