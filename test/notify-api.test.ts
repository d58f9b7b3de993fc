// The silences, delivery log and acknowledgement routes over a real notifier and store: through
// fastify's inject(), and through `gantry silences` / `gantry notifications` against the same
// routes listening on a loopback port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AlarmTransition } from '../src/alarms/types.ts';
import {
  type AckResponse,
  type DeliveryListResponse,
  notifyRouteDocs,
  registerNotifyRoutes,
  type SilenceListResponse,
  type SilenceResponse,
} from '../src/api/notify-routes.ts';
import { runCli } from '../src/cli/program.ts';
import { parseConfig } from '../src/config/load.ts';
import { createNotifier, type Notifier } from '../src/notify/notifier.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const WAIT_MS = 15_000;

let app: FastifyInstance;
let notifier: Notifier;
let hook: http.Server;
let hookHits = 0;

beforeEach(async () => {
  hookHits = 0;
  hook = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hookHits += 1;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = (hook.address() as AddressInfo).port;
  const loaded = parseConfig(
    `service: shop-api
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
notify:
  oncall:
    - { type: webhook, url: "http://127.0.0.1:${port}/hook" }
`,
    'gantry.yaml',
  );
  notifier = createNotifier({
    config: () => loaded,
    store: await fixture.open(),
    externalUrl: 'http://gantry.test',
  });
  await notifier.start();
  app = Fastify({ logger: false });
  registerNotifyRoutes(app, { notifier });
});

afterEach(async () => {
  await app.close();
  await notifier.stop();
  hook.closeAllConnections();
  await new Promise<void>((resolve) => hook.close(() => resolve()));
});

const firing: AlarmTransition = {
  id: 'alt_api_1',
  service: 'shop-api',
  alarm: 'high-5xx',
  environment: 'production',
  metric: 'http_5xx_rate',
  severity: 'P2',
  from: 'OK',
  to: 'ALARM',
  at: new Date().toISOString(),
  reason: 'http_5xx_rate 4.2% > 1%',
  datapoints: [0.042],
  threshold: { above: 0.01 },
  notify: ['oncall'],
  runbook: null,
  description: null,
};

async function delivered(): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while ((await notifier.deliveries({ status: 'delivered' })).length === 0) {
    if (Date.now() > deadline) throw new Error('no delivery within the time limit');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('silences API', () => {
  it('creates, lists and expires a silence', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      payload: {
        matchers: [
          { name: 'alertname', value: 'high-5xx' },
          { name: 'environment', value: 'prod.*', isRegex: true },
        ],
        duration: '1h',
        comment: 'deploying the fix',
        createdBy: 'alice',
      },
    });
    expect(created.statusCode).toBe(201);
    const { silence } = created.json<SilenceResponse>();
    expect(silence).toMatchObject({
      id: expect.stringMatching(/^sil_/),
      state: 'active',
      comment: 'deploying the fix',
      createdBy: 'alice',
      matchers: [
        { name: 'alertname', value: 'high-5xx', isRegex: false },
        { name: 'environment', value: 'prod.*', isRegex: true },
      ],
    });
    expect(Date.parse(silence.endsAt) - Date.parse(silence.startsAt)).toBe(3_600_000);

    const list = await app.inject({ method: 'GET', url: '/api/v1/silences' });
    expect(list.json<SilenceListResponse>().silences.map((s) => s.id)).toEqual([silence.id]);

    const expired = await app.inject({ method: 'DELETE', url: `/api/v1/silences/${silence.id}` });
    expect(expired.statusCode).toBe(200);
    expect(expired.json<SilenceResponse>().silence.state).toBe('expired');
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/silences' })).json<SilenceListResponse>().silences,
    ).toEqual([]);
    const all = await app.inject({ method: 'GET', url: '/api/v1/silences?expired=true' });
    expect(all.json<SilenceListResponse>().silences.map((s) => s.state)).toEqual(['expired']);
  });

  it.each([
    ['no matchers', { matchers: [], duration: '1h', comment: 'x' }, 'matchers'],
    [
      'a bad label name',
      { matchers: [{ name: 'alert name', value: 'x' }], duration: '1h', comment: 'x' },
      'label name',
    ],
    [
      'a bad regex',
      { matchers: [{ name: 'alertname', value: '[', isRegex: true }], duration: '1h', comment: 'x' },
      'regular expression',
    ],
    [
      'a bad duration',
      { matchers: [{ name: 'alertname', value: 'x' }], duration: 'an hour', comment: 'x' },
      'duration',
    ],
    ['no end', { matchers: [{ name: 'alertname', value: 'x' }], comment: 'x' }, 'endsAt'],
    ['no comment', { matchers: [{ name: 'alertname', value: 'x' }], duration: '1h' }, 'comment'],
    [
      'an unknown key',
      { matchers: [{ name: 'alertname', value: 'x' }], duration: '1h', comment: 'x', until: 'x' },
      'until',
    ],
  ])('answers 400 for %s', async (_what, payload, words) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/silences', payload });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { code: string; message: string; hint?: string } }>();
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toContain(words);
  });

  it('answers 404 with a hint for an unknown silence', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/silences/sil_missing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: 'UNKNOWN_SILENCE',
        message: 'no silence sil_missing',
        hint: 'Run `gantry silences list --all` to see the silences.',
      },
    });
  });
});

describe('notifications and acknowledgement API', () => {
  it('lists deliveries by status and acknowledges a firing alarm', async () => {
    const notFiring = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/ack',
      payload: { alarm: 'high-5xx', environment: 'production' },
    });
    expect(notFiring.statusCode).toBe(409);
    expect(notFiring.json<{ error: { code: string } }>().error.code).toBe('ALERT_NOT_FIRING');

    await notifier.handle(firing);
    await delivered();
    const log = await app.inject({ method: 'GET', url: '/api/v1/notifications?status=delivered&limit=5' });
    expect(log.statusCode).toBe(200);
    expect(log.json<DeliveryListResponse>().deliveries).toEqual([
      expect.objectContaining({
        id: 'alt_api_1:oncall:0',
        alarm: 'high-5xx',
        environment: 'production',
        receiver: 'oncall',
        channel: 'webhook',
        kind: 'firing',
        alertStatus: 'firing',
        status: 'delivered',
        attempts: 1,
        lastError: null,
      }),
    ]);
    const failed = await app.inject({ method: 'GET', url: '/api/v1/notifications?status=failed' });
    expect(failed.json<DeliveryListResponse>().deliveries).toEqual([]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/notifications?status=lost' });
    expect(bad.statusCode).toBe(400);

    const ack = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/ack',
      payload: { alarm: 'high-5xx', environment: 'production', by: 'bob' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json<AckResponse>().ack).toMatchObject({
      alarm: 'high-5xx',
      ackedBy: 'bob',
      firingSince: firing.at,
    });
  });

  it('documents every route with schemas that convert to JSON Schema', () => {
    expect(notifyRouteDocs.map((d) => `${d.method} ${d.path}`)).toEqual([
      'GET /api/v1/silences',
      'POST /api/v1/silences',
      'DELETE /api/v1/silences/:id',
      'GET /api/v1/notifications',
      'POST /api/v1/alerts/ack',
    ]);
    for (const doc of notifyRouteDocs) {
      for (const schema of [doc.body, doc.query]) {
        if (schema) expect(z.toJSONSchema(schema, { io: 'input' })).toHaveProperty('type', 'object');
      }
    }
  });
});

describe('gantry silences and gantry notifications', () => {
  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
    const address = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GANTRY_URL: address, GANTRY_TOKEN: 'test-token', USER: 'carol' },
    });
    return { code, stdout, stderr };
  }

  it('creates, lists and expires silences', async () => {
    const created = await cli([
      'silences',
      'create',
      '--match',
      'alertname=high-5xx',
      '--match',
      'environment=~prod.*',
      '--for',
      '2h',
      '--reason',
      'deploying the fix',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { silence } = JSON.parse(created.stdout) as SilenceResponse;
    expect(silence.createdBy).toBe('carol');
    expect(silence.matchers).toEqual([
      { name: 'alertname', value: 'high-5xx', isRegex: false },
      { name: 'environment', value: 'prod.*', isRegex: true },
    ]);

    const listed = await cli(['silences']);
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+STATE\s+MATCHERS\s+STARTS\s+ENDS\s+BY\s+REASON$/);
    expect(row).toContain(silence.id);
    expect(row).toContain('alertname=high-5xx,environment=~prod.*');
    expect(row).toContain('deploying the fix');

    const expired = await cli(['silences', 'expire', silence.id]);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toContain(`expired ${silence.id}`);
    expect((await cli(['silences'])).stdout.trim()).toBe('no active silences (--all shows expired ones)');
    expect((await cli(['silences', 'list', '--all'])).stdout).toContain('expired');
  });

  it('exits 2 on bad usage and says why', async () => {
    const badMatch = await cli(['silences', 'create', '--match', 'high-5xx', '--for', '1h', '--reason', 'x']);
    expect(badMatch.code).toBe(2);
    expect(badMatch.stderr).toContain('expected label=value or label=~regex');
    const noEnd = await cli(['silences', 'create', '--match', 'alertname=x', '--reason', 'x']);
    expect(noEnd.code).toBe(2);
    expect(noEnd.stderr).toContain('give exactly one of --for DURATION or --until TIME');
    const unknown = await cli(['silences', 'expire', 'sil_nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no silence sil_nope');
  });

  it('shows the delivery log', async () => {
    expect((await cli(['notifications'])).stdout.trim()).toBe('no notifications yet');
    await notifier.handle(firing);
    await delivered();
    expect(hookHits).toBe(1);
    const text = await cli(['notifications', '--status', 'delivered']);
    expect(text.code).toBe(0);
    const [header, row] = text.stdout.trim().split('\n');
    expect(header).toMatch(/^CREATED\s+ALARM\s+ENVIRONMENT\s+WHAT\s+TO\s+STATUS\s+ATTEMPTS\s+DETAIL$/);
    expect(row).toMatch(/high-5xx\s+production\s+firing\s+oncall\/webhook\s+delivered\s+1\s+delivered /);
    const json = await cli(['notifications', '--limit', '1', '--json']);
    expect((JSON.parse(json.stdout) as DeliveryListResponse).deliveries).toHaveLength(1);
    const bad = await cli(['notifications', '--status', 'lost']);
    expect(bad.code).toBe(2);
  });
});
