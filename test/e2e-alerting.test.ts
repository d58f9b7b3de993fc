// Alarms end to end with real receivers: the hello service made to fail through the proxy, a real
// webhook receiver checking Alertmanager's body and Gantry's signature, a real SMTP server, an
// incident opened with its timeline and post-mortem, recovery notified, silences and canaries.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import {
  ApiClient,
  freePort,
  helloBuild,
  sleep,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { serverStore, serverStoreKinds } from './helpers/server-store.ts';

interface Hook {
  at: number;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: {
    version: string;
    status: string;
    receiver: string;
    groupKey: string;
    commonLabels: Record<string, string>;
    alerts: Array<{
      status: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      fingerprint: string;
    }>;
  };
}

const HOOK_KEY = 'whsec-test-3f9a';

describe.each(serverStoreKinds())('alarms, notifications and incidents (%s store)', (storeKind) => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let ports: { staging: number; production: number };
  const hooks: Hook[] = [];
  const mails: string[] = [];
  let receiver: http.Server;
  let smtp: SMTPServer;

  beforeAll(async () => {
    tmp = await tempDir();
    receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        hooks.push({ at: Date.now(), headers: req.headers, raw, body: JSON.parse(raw) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    smtp = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, _session, cb) {
        let raw = '';
        stream.on('data', (c: Buffer) => {
          raw += c.toString('utf8');
        });
        stream.on('end', () => {
          mails.push(raw);
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    process.env.GANTRY_TEST_HOOK_KEY = HOOK_KEY;
    const hookPort = (receiver.address() as AddressInfo).port;
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    const cfg = await writeHelloConfig(tmp.dir, {
      ports: { staging: await freePort(), production: await freePort() },
      staging: `    strategy:
      canary:
        steps: [{ weight: 30, pause: 60s }, { weight: 100 }]
        analysis: { interval: 1s, min_requests: 10, step_deadline: 120s }`,
      extra: `alarms:
  - { name: high-5xx, environment: production, metric: http_5xx_rate, above: 10%, period: 1s,
      evaluation_periods: 2, datapoints_to_alarm: 2, severity: P2, notify: [oncall], runbook: docs/runbooks/high-5xx.md }
  - { name: slow-staging, environment: staging, metric: http_latency_p99, above: 200ms, period: 1s, severity: P3 }
notify:
  oncall:
    - { type: webhook, url: "http://127.0.0.1:${hookPort}/hook", secret: "\${secret:GANTRY_TEST_HOOK_KEY}" }
    - { type: email, to: ops@example.com }
smtp: { host: 127.0.0.1, port: ${smtpPort}, starttls: false, from: "Gantry <gantry@example.com>" }
incidents: { open_at: P2 }
`,
    });
    ports = cfg.ports;
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
      ...(await serverStore(storeKind)),
    });
    api = new ApiClient(server);
    for (const [v, knobs] of [
      ['v1', {}],
      ['slow', { latency_ms: 300 }],
    ] as const) {
      expect((await api.upload(v, await helloBuild(tmp.dir, v, knobs))).status).toBe(201);
    }
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
    expect((await api.waitRelease((await api.deploy('production', 'v1')).id)).release.state).toBe(
      'succeeded',
    );
  });

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await new Promise((r) => receiver?.close(r));
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    delete process.env.GANTRY_TEST_HOOK_KEY;
    await tmp?.cleanup();
  });

  /** Makes every production instance answer 500 (rate 1) or heal (rate ''). */
  async function outage(rate: string): Promise<void> {
    const env = (await api.status()).environments.find((e) => e.name === 'production');
    for (const i of env?.instances ?? []) {
      const res = await fetch(`http://127.0.0.1:${i.port}/admin/errors?rate=${rate}`, { method: 'POST' });
      expect(res.status).toBe(200);
    }
  }

  it('a failing service fires the alarm: signed Alertmanager webhook, email, incident; recovery resolves', async () => {
    const load = startPacedLoad(ports.production, 50);
    await sleep(1500);
    await outage('1');
    const firing = await waitFor(
      'firing webhook',
      async () => hooks.find((h) => h.body.status === 'firing'),
      20_000,
    );

    // Alertmanager's webhook format, and the signature over the raw body.
    expect(firing.body.version).toBe('4');
    expect(firing.body.receiver).toBe('oncall');
    expect(firing.body.commonLabels).toMatchObject({
      alertname: 'high-5xx',
      environment: 'production',
      severity: 'P2',
    });
    expect(firing.body.alerts[0]?.annotations.summary).toMatch(/http_5xx_rate/);
    const expected = createHmac('sha256', HOOK_KEY).update(firing.raw).digest('hex');
    expect(firing.headers['x-gantry-signature']).toBe(`sha256=${expected}`);
    expect(firing.headers['x-gantry-delivery']).toBeTruthy();
    expect(firing.raw).not.toContain(HOOK_KEY);

    const mail = await waitFor(
      'alarm email',
      async () => mails.find((m) => /Subject:.*ALARM/i.test(m)),
      20_000,
    );
    expect(mail).toMatch(/high-5xx/);
    expect(mail).toMatch(/To: ops@example\.com/i);

    const incident = await waitFor('incident opened', async () => {
      const r = await api.call<{ incidents: Array<{ id: string; severity: string; status: string }> }>(
        'GET',
        '/api/v1/incidents',
      );
      return r.body.incidents.find((i) => i.status === 'open');
    });
    expect(incident.severity).toBe('P2');

    await outage('');
    const resolved = await waitFor(
      'resolved webhook',
      async () => hooks.find((h) => h.body.status === 'resolved'),
      20_000,
    );
    expect(resolved.body.alerts[0]?.fingerprint).toBe(firing.body.alerts[0]?.fingerprint);
    await waitFor('resolved email', async () => mails.find((m) => /Subject:.*RESOLVED/i.test(m)), 20_000);
    await load.stop();

    const detail = await api.call<{ timeline: Array<{ type: string; message: string }> }>(
      'GET',
      `/api/v1/incidents/${incident.id}`,
    );
    const types = detail.body.timeline.map((e) => e.type);
    expect(types.some((t) => t.startsWith('release'))).toBe(true); // the production deploy before it
    expect(detail.body.timeline.some((e) => /high-5xx/.test(e.message) && /ALARM/.test(e.message))).toBe(
      true,
    );
    expect(detail.body.timeline.some((e) => /webhook|email/.test(e.message))).toBe(true);

    expect((await api.call('POST', `/api/v1/incidents/${incident.id}/ack`, { by: 'alice' })).status).toBe(
      200,
    );
    expect(
      (
        await api.call('POST', `/api/v1/incidents/${incident.id}/resolve`, {
          by: 'alice',
          resolution: 'error knob reset',
        })
      ).status,
    ).toBe(200);
    const pm = await (
      await fetch(`${server.url}/api/v1/incidents/${incident.id}/postmortem`, { headers: api.headers() })
    ).text();
    for (const section of ['Summary', 'Severity', 'Timeline', 'Root cause', 'Resolution', 'Prevention']) {
      expect(pm).toMatch(new RegExp(`#+ .*${section}`, 'i'));
    }
    expect(pm).toMatch(/error knob reset/);
  });

  it('a silence suppresses the notifications of a firing alarm', async () => {
    const before = hooks.length;
    const silence = await api.call<{ silence: { id: string } }>('POST', '/api/v1/silences', {
      matchers: [{ name: 'alertname', value: 'high-5xx' }],
      duration: '10m',
      comment: 'maintenance',
    });
    expect(silence.status).toBe(201);
    const load = startPacedLoad(ports.production, 50);
    await outage('1');
    await waitFor(
      'alarm firing',
      async () => {
        const r = await api.call<{ alarms: Array<{ alarm: string; state: string }> }>(
          'GET',
          '/api/v1/alarms',
        );
        return r.body.alarms.find((a) => a.alarm === 'high-5xx')?.state === 'ALARM';
      },
      20_000,
    );
    await sleep(1500);
    expect(hooks.slice(before).filter((h) => h.body.status === 'firing')).toEqual([]);
    await outage('');
    await load.stop();
    expect((await api.call('DELETE', `/api/v1/silences/${silence.body.silence.id}`)).status).toBeLessThan(
      300,
    );
  });

  it('an alarm firing during a canary aborts it, with the alarm as the reason', async () => {
    const load = startPacedLoad(ports.staging, 100);
    await sleep(1000);
    const rel = await api.deploy('staging', 'slow');
    expect(rel.strategy).toBe('canary');
    const done = await api.waitRelease(rel.id, 60_000);
    await load.stop();
    expect(done.release.state).toBe('aborted');
    expect(done.release.message).toMatch(/alarm slow-staging fired/);
    expect(done.events.some((e) => e.type === 'control' && /slow-staging/.test(e.message))).toBe(true);
  });
});
