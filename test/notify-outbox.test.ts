// The persistent outbox: retries with backoff on 5xx, 429 and refused connections, final failures,
// per-lane order, a notifier SIGKILLed with deliveries in flight (resumed by the next one, each
// delivered once), and secrets kept out of recorded errors and logs.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/load.ts';
import type { LoadedConfig } from '../src/config/types.ts';
import { createLogger, type Logger } from '../src/lib/log.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, decideRetry } from '../src/notify/backoff.ts';
import { pickDue } from '../src/notify/due.ts';
import { createNotifier, type NotifierOptions } from '../src/notify/notifier.ts';
import type { DeliveryOutcome, DeliveryView } from '../src/notify/types.ts';
import type { DeliveryRecord, Store } from '../src/store/types.ts';
import { freePort, repoRoot } from './helpers/gantry.ts';
import { describeOnSqlite, useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const WAIT_MS = 20_000;
const FAST_RETRY = { initialMs: 50, maxMs: 400, jitter: 0 };

interface Req {
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Status answered; undefined while held open. */
  status?: number;
}

type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A webhook receiver on a fixed loopback port that can answer errors, hold requests or go away. */
class Receiver {
  readonly requests: Req[] = [];
  answer: (r: Req) => Answer = () => ({ status: 200 });
  readonly #held: ServerResponse[] = [];
  #server: http.Server | undefined;
  port = 0;

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Req = {
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        };
        this.requests.push(r);
        const a = this.answer(r);
        if (a === 'hang') {
          this.#held.push(res);
          return;
        }
        r.status = a.status;
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Ids of the deliveries answered with 2xx. */
  delivered(): string[] {
    return this.requests
      .filter((r) => r.status !== undefined && r.status < 300)
      .map((r) => String(r.headers['x-gantry-delivery']));
  }

  held(): number {
    return this.#held.length;
  }

  async stop(): Promise<void> {
    for (const res of this.#held.splice(0)) res.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function receiver(port = 0): Promise<Receiver> {
  const r = new Receiver();
  await r.start(port);
  cleanups.push(() => r.stop());
  return r;
}

function configYaml(hookUrl: string, extra = ''): string {
  return `service: shop-api
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
notify:
  oncall:
    - { type: webhook, url: "${hookUrl}"${extra} }
`;
}

function notifierOn(
  store: Store,
  loaded: LoadedConfig | (() => LoadedConfig),
  over: Partial<NotifierOptions> = {},
) {
  const notifier = createNotifier({
    config: typeof loaded === 'function' ? loaded : () => loaded,
    store,
    externalUrl: 'http://gantry.test:7070',
    retry: FAST_RETRY,
    ...over,
  });
  cleanups.push(() => notifier.stop());
  return notifier;
}

let seq = 0;
function transition(
  alarm: string,
  from: AlarmTransition['from'],
  to: AlarmTransition['to'],
): AlarmTransition {
  seq += 1;
  return {
    id: `alt_${process.pid}_${seq}`,
    service: 'shop-api',
    alarm,
    environment: 'production',
    metric: 'http_5xx_rate',
    severity: 'P2',
    from,
    to,
    at: new Date().toISOString(),
    reason: `${alarm} ${to}`,
    datapoints: [0.5],
    threshold: { above: 0.01 },
    notify: ['oncall'],
    runbook: null,
    description: null,
  };
}

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function onlyDelivery(notifier: { deliveries(): Promise<DeliveryView[]> }): Promise<DeliveryView> {
  const [d] = await notifier.deliveries();
  if (!d) throw new Error('no delivery recorded');
  return d;
}

describe('backoff and lanes (pure)', () => {
  it('doubles from 1 s to 5 min and gives up after 24 h', () => {
    const delays = [1, 2, 3, 4, 5, 8, 9, 10, 20].map((n) =>
      backoffDelay(n, { ...DEFAULT_RETRY_POLICY, jitter: 0 }),
    );
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 128000, 256000, 300000, 300000]);
    const now = Date.UTC(2026, 4, 1);
    expect(decideRetry({ attempts: 1, createdAt: now, now }, DEFAULT_RETRY_POLICY, () => 0)).toEqual({
      retryAt: now + 1000,
    });
    expect(
      decideRetry({ attempts: 1, createdAt: now, now, retryAfterMs: 30_000 }, DEFAULT_RETRY_POLICY, () => 0),
    ).toEqual({ retryAt: now + 30_000 });
    expect(
      decideRetry({ attempts: 300, createdAt: now, now: now + 24 * 3_600_000 - 1000 }, DEFAULT_RETRY_POLICY),
    ).toEqual({ giveUp: 'gave up after 300 attempts over 24 h' });
  });

  it('sends only the oldest row of a lane, and nothing held by another worker', () => {
    const now = Date.UTC(2026, 4, 1);
    const row = (id: string, lane: string, nextAt: number, heldUntil?: number): DeliveryRecord => ({
      id,
      groupKey: lane,
      service: 's',
      alarm: 'a',
      environment: 'e',
      receiver: 'oncall',
      channelIndex: 0,
      channelType: 'webhook',
      kind: 'firing',
      payload: {},
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(nextAt).toISOString(),
      claimedBy: heldUntil ? 'other' : null,
      claimedUntil: heldUntil ? new Date(heldUntil).toISOString() : null,
      lastError: null,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      deliveredAt: null,
    });
    const pick = pickDue(
      [
        row('a1', 'A', now + 5000),
        row('a2', 'A', now),
        row('b1', 'B', now),
        row('c1', 'C', now, now + 60_000),
        row('d1', 'D', now),
      ],
      now,
      new Set(['d1']),
    );
    expect(pick.due.map((r) => r.id)).toEqual(['b1']);
    expect(pick.nextAt).toBe(now + 5000);
  });
});

describe('retries', () => {
  it('retries 5xx with backoff and records one delivery when the receiver recovers', async () => {
    const hook = await receiver();
    let failures = 3;
    hook.answer = () => (failures-- > 0 ? { status: 503, body: 'busy' } : { status: 200 });
    const store = await fixture.open();
    const notifier = notifierOn(
      store,
      parseConfig(configYaml(`http://127.0.0.1:${hook.port}/hook`), 'gantry.yaml'),
    );
    const outcomes: DeliveryOutcome[] = [];
    notifier.subscribe((o) => outcomes.push(o));
    await notifier.start();
    const t = transition('high-5xx', 'OK', 'ALARM');
    await notifier.handle(t);
    await waitUntil('delivered', async () => (await onlyDelivery(notifier)).status === 'delivered');
    expect(hook.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(hook.requests.map((r) => r.headers['x-gantry-delivery']))).toEqual(
      new Set([`${t.id}:oncall:0`]),
    );
    expect(await onlyDelivery(notifier)).toMatchObject({ attempts: 4, status: 'delivered', lastError: null });
    expect(outcomes.map((o) => [o.status, o.attempts])).toEqual([['delivered', 4]]);
  });

  it('keeps the alert groups of two services apart when their alarm and environment have the same names', async () => {
    const hook = await receiver();
    const store = await fixture.open();
    const yaml = configYaml(`http://127.0.0.1:${hook.port}/hook`);
    const shop = notifierOn(store, parseConfig(yaml, 'shop.yaml'));
    const web = notifierOn(store, parseConfig(yaml.replace('service: shop-api', 'service: web'), 'web.yaml'));
    await shop.start();
    await web.start();
    await shop.handle(transition('high-5xx', 'OK', 'ALARM'));
    await web.handle({ ...transition('high-5xx', 'OK', 'ALARM'), service: 'web' });
    await shop.handle(transition('high-5xx', 'ALARM', 'OK'));
    const groups = await store.notifications.alerts.list();
    expect(groups.map((g) => [g.service, g.status]).sort()).toEqual([
      ['shop-api', 'resolved'],
      ['web', 'firing'],
    ]);
    // Each service acknowledges its own firing, not the other's.
    await expect(shop.ack({ alarm: 'high-5xx', environment: 'production' })).rejects.toThrow(/not firing/);
    await expect(web.ack({ alarm: 'high-5xx', environment: 'production', by: 'ann' })).resolves.toBeDefined();
    await waitUntil('three deliveries', async () => hook.delivered().length >= 3);
    const delivered = hook.requests.filter((r) => r.status === 200);
    expect(new Set(delivered.map((r) => r.body.groupKey))).toEqual(
      new Set([
        '{}:{alertname="high-5xx", environment="production", service="shop-api"}',
        '{}:{alertname="high-5xx", environment="production", service="web"}',
      ]),
    );
  });

  it('keeps trying while nobody listens and delivers once the receiver is back', async () => {
    const port = await freePort();
    const store = await fixture.open();
    const notifier = notifierOn(
      store,
      parseConfig(configYaml(`http://127.0.0.1:${port}/hook`), 'gantry.yaml'),
    );
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    const failing = await waitUntil('two failed attempts', async () => {
      const d = await onlyDelivery(notifier);
      return d.attempts >= 2 && d;
    });
    expect(failing).toMatchObject({ status: 'pending', lastError: 'connection refused' });
    const hook = await receiver(port);
    await waitUntil('delivered', async () => (await onlyDelivery(notifier)).status === 'delivered');
    expect(hook.delivered()).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const hook = await receiver();
    let limited = true;
    hook.answer = () => {
      if (!limited) return { status: 200 };
      limited = false;
      return { status: 429, body: 'slow down', headers: { 'retry-after': '1' } };
    };
    const store = await fixture.open();
    const notifier = notifierOn(
      store,
      parseConfig(configYaml(`http://127.0.0.1:${hook.port}/hook`), 'gantry.yaml'),
    );
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    const waiting = await waitUntil('a scheduled retry', async () => {
      const d = await onlyDelivery(notifier);
      return d.attempts === 1 && d.status === 'pending' && d;
    });
    expect(Date.parse(waiting.nextAttemptAt ?? '') - Date.parse(waiting.updatedAt)).toBeGreaterThanOrEqual(
      1000,
    );
    expect(waiting.lastError).toBe('unexpected status code 429: slow down');
    await waitUntil('delivered', async () => (await onlyDelivery(notifier)).status === 'delivered');
  });

  it('fails at once on a final error, and gives up on a receiver that never recovers', async () => {
    const hook = await receiver();
    hook.answer = (r) =>
      r.body.status === 'firing' ? { status: 400, body: 'no such team' } : { status: 500 };
    const store = await fixture.open();
    const notifier = notifierOn(
      store,
      parseConfig(configYaml(`http://127.0.0.1:${hook.port}/hook`), 'gantry.yaml'),
      {
        retry: { ...FAST_RETRY, giveUpAfterMs: 600 },
      },
    );
    const outcomes: DeliveryOutcome[] = [];
    notifier.subscribe((o) => outcomes.push(o));
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    await waitUntil('the firing failed', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'unexpected status code 400: no such team',
    });
    expect(hook.requests).toHaveLength(1);
    await notifier.handle(transition('high-5xx', 'ALARM', 'OK'));
    await waitUntil('giving up on the resolved', () => outcomes.length === 2);
    expect(outcomes[1]?.status).toBe('failed');
    expect(outcomes[1]?.attempts).toBeGreaterThan(1);
    expect(outcomes[1]?.error).toMatch(
      /^gave up after \d+ attempts over 0\.6 s: unexpected status code 500$/,
    );
    expect((await notifier.deliveries({ status: 'failed' })).map((d) => d.kind)).toEqual([
      'resolved',
      'firing',
    ]);
  });

  it('keeps a lane in order: a receiver that was down gets firing before resolved', async () => {
    const hook = await receiver();
    let down = true;
    hook.answer = () => (down ? { status: 503 } : { status: 200 });
    const store = await fixture.open();
    const notifier = notifierOn(
      store,
      parseConfig(configYaml(`http://127.0.0.1:${hook.port}/hook`), 'gantry.yaml'),
    );
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    await waitUntil('a failed attempt', () => hook.requests.length >= 1);
    await notifier.handle(transition('high-5xx', 'ALARM', 'OK'));
    await waitUntil('more attempts', () => hook.requests.length >= 3);
    down = false;
    await waitUntil('both delivered', () => hook.delivered().length === 2);
    const answered = hook.requests.filter((r) => r.status === 200).map((r) => r.body.status);
    expect(answered).toEqual(['firing', 'resolved']);
    expect(hook.requests.filter((r) => r.status === 503).every((r) => r.body.status === 'firing')).toBe(true);
  });
});

describeOnSqlite('restart', () => {
  // On SQLite one server owns the file, so claims found at start are a dead process's and are freed
  // at once. On PostgreSQL another live server may hold them: they are taken over when their lease
  // (a minute at least) ends, longer than this test waits.
  it('resumes deliveries of a SIGKILLed notifier: each delivered once, none sent again later', async () => {
    const hook = await receiver();
    hook.answer = () => 'hang';
    const dir = fixture.dir();
    const db = path.join(dir, 'gantry.db');
    const yamlFile = path.join(dir, 'gantry.yaml');
    const yaml = configYaml(`http://127.0.0.1:${hook.port}/hook`);
    await writeFile(yamlFile, yaml);
    const transitions = [
      transition('alarm-a', 'OK', 'ALARM'),
      transition('alarm-b', 'OK', 'ALARM'),
      transition('alarm-c', 'OK', 'ALARM'),
      transition('alarm-a', 'ALARM', 'OK'),
    ];
    const script = path.join(dir, 'notifier-child.ts');
    const src = (p: string) => JSON.stringify(pathToFileURL(path.join(repoRoot, p)).href);
    await writeFile(
      script,
      `import { readFileSync } from 'node:fs';
import { parseConfig } from ${src('src/config/load.ts')};
import { createNotifier } from ${src('src/notify/notifier.ts')};
import { openStore } from ${src('src/store/index.ts')};
const [storeOptions, yamlFile, list] = process.argv.slice(2);
const store = await openStore(JSON.parse(storeOptions));
const loaded = parseConfig(readFileSync(yamlFile, 'utf8'), 'gantry.yaml');
const notifier = createNotifier({ config: () => loaded, store, externalUrl: 'http://gantry.test:7070' });
await notifier.start();
for (const t of JSON.parse(list)) await notifier.handle(t);
process.stdout.write('handled\\n');
setInterval(() => {}, 60_000);
`,
    );
    const storeOptions = JSON.stringify(await fixture.storeOptions(db));
    const child = spawn(process.execPath, [script, storeOptions, yamlFile, JSON.stringify(transitions)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await waitUntil(`three sends in flight (child stderr: ${stderr})`, () => hook.held() === 3);
    child.kill('SIGKILL');
    await exited;
    expect(hook.delivered()).toEqual([]);

    // The killed process's sends never got an answer; the receiver now accepts.
    await hook.stop();
    hook.answer = () => ({ status: 200 });
    await hook.start(hook.port);
    const store = await fixture.open(db);
    const loaded = parseConfig(yaml, 'gantry.yaml');
    const second = notifierOn(store, loaded);
    await second.start();
    await waitUntil('all four delivered', () => hook.delivered().length === 4);
    const ids = [...hook.delivered()].sort();
    expect(ids).toEqual(
      [
        `${transitions[0]?.id}:oncall:0`,
        `${transitions[1]?.id}:oncall:0`,
        `${transitions[2]?.id}:oncall:0`,
        `${transitions[3]?.id}:oncall:0`,
      ].sort(),
    );
    const aOrder = hook.requests.filter(
      (r) =>
        r.status === 200 &&
        r.body.groupKey === '{}:{alertname="alarm-a", environment="production", service="shop-api"}',
    );
    expect(aOrder.map((r) => r.body.status)).toEqual(['firing', 'resolved']);
    // The receiver's answer reaches the outbox a moment after the receiver has it.
    const log = await waitUntil('four outcomes recorded', async () => {
      const rows = await second.deliveries();
      return rows.every((d) => d.status !== 'pending') ? rows : undefined;
    });
    expect(log.map((d) => [d.status, d.attempts])).toEqual(Array(4).fill(['delivered', 1]));
    await second.stop();

    const third = notifierOn(store, loaded);
    await third.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.requests.filter((r) => r.status === 200)).toHaveLength(4);
  });
});

describe('secrets', () => {
  function capture(): { logger: Logger; text: () => string } {
    let text = '';
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    return { logger: createLogger({ level: 'debug', destination }), text: () => text };
  }

  it('resolves secret references at send time and keeps the values out of errors and logs', async () => {
    const hook = await receiver();
    hook.answer = (r) => ({
      status: 401,
      body: `token ${r.headers.authorization} rejected for http://127.0.0.1:${hook.port}${r.url}`,
    });
    const secrets: Record<string, string> = {
      HOOK_PATH_TOKEN: 'path-token-0123',
      HOOK_AUTH: 'auth-secret-4567',
    };
    const yaml = configYaml(
      `http://127.0.0.1:${hook.port}/hook/\${secret:HOOK_PATH_TOKEN}`,
      `, headers: { Authorization: "Bearer \${secret:HOOK_AUTH}" }`,
    );
    const { logger, text } = capture();
    const store = await fixture.open();
    const notifier = notifierOn(store, parseConfig(yaml, 'gantry.yaml'), {
      logger,
      secret: (name) => secrets[name],
    });
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    const failed = await waitUntil('the failure', async () => {
      const d = await onlyDelivery(notifier);
      return d.status === 'failed' && d;
    });
    expect(hook.requests[0]?.url).toBe('/hook/path-token-0123');
    expect(hook.requests[0]?.headers.authorization).toBe('Bearer auth-secret-4567');
    expect(failed.lastError).toBe(
      `unexpected status code 401: token <redacted> rejected for http://127.0.0.1:${hook.port}/<redacted>`,
    );
    const logs = text();
    expect(logs).toContain('notification failed');
    for (const value of Object.values(secrets)) {
      expect(logs).not.toContain(value);
      expect(JSON.stringify(await notifier.deliveries())).not.toContain(value);
    }
  });

  it('fails with the name of a secret that has no value, and never its value', async () => {
    const hook = await receiver();
    const { logger, text } = capture();
    const store = await fixture.open();
    const yaml = configYaml(`http://127.0.0.1:${hook.port}/hook`, `, secret: "\${secret:HOOK_SIGNING_KEY}"`);
    const notifier = notifierOn(store, parseConfig(yaml, 'gantry.yaml'), { logger, secret: () => undefined });
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    const failed = await waitUntil('the failure', async () => {
      const d = await onlyDelivery(notifier);
      return d.status === 'failed' && d;
    });
    expect(failed.lastError).toBe(
      'secret HOOK_SIGNING_KEY is not set: set the environment variable HOOK_SIGNING_KEY for the Gantry server (or fix the reference in gantry.yaml)',
    );
    expect(hook.requests).toEqual([]);
    expect(text()).toContain('HOOK_SIGNING_KEY');
  });

  it('uses the reloaded config for retries, and fails a delivery whose channel was removed', async () => {
    const hook = await receiver();
    hook.answer = () => ({ status: 503 });
    let loaded = parseConfig(configYaml(`http://127.0.0.1:${hook.port}/hook`), 'gantry.yaml');
    const store = await fixture.open();
    const notifier = notifierOn(store, () => loaded);
    await notifier.start();
    await notifier.handle(transition('high-5xx', 'OK', 'ALARM'));
    await waitUntil('a failed attempt', () => hook.requests.length >= 1);
    loaded = parseConfig(
      configYaml(`http://127.0.0.1:${hook.port}/hook`).replace(
        /notify:[\s\S]*$/,
        'notify:\n  oncall:\n    - { type: email, to: ops@example.com }\nsmtp: { host: 127.0.0.1, port: 2525, from: gantry@example.com }\n',
      ),
      'gantry.yaml',
    );
    const failed = await waitUntil('the failure', async () => {
      const d = await onlyDelivery(notifier);
      return d.status === 'failed' && d;
    });
    expect(failed.lastError).toBe(
      'notify group oncall no longer has a webhook channel at position 1 in gantry.yaml',
    );
  });
});
