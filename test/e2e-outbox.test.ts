// The notification outbox across a crash: the receiver is down when the alarm fires, the server
// is SIGKILLed with the notification undelivered, the receiver comes up, the server restarts:
// the notification arrives, once.
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatusBody } from '../src/api/types.ts';
import {
  ApiClient,
  ChildServer,
  freePort,
  helloBuild,
  sleep,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';

describe('notification outbox across SIGKILL', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let receiver: http.Server | undefined;
  let hookPort: number;
  let productionPort: number;

  beforeEach(async () => {
    tmp = await tempDir();
    hookPort = await freePort(); // nothing listens there yet
    const cfg = await writeHelloConfig(tmp.dir, {
      extra: `alarms:
  - { name: outage, environment: production, metric: http_5xx_rate, above: 50%, period: 1s, severity: P3, notify: [hook] }
notify:
  hook: [{ type: webhook, url: "http://127.0.0.1:${hookPort}/" }]
`,
    });
    productionPort = cfg.ports.production;
    server = new ChildServer({ config: cfg.file, dataDir: `${tmp.dir}/data` });
    const api = new ApiClient(await server.start());
    await api.upload('v1', await helloBuild(tmp.dir, 'v1'));
    await api.waitRelease((await api.deploy('staging', 'v1')).id);
    await api.waitRelease((await api.deploy('production', 'v1')).id);
  });

  afterEach(async () => {
    await server.stop();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
    await tmp.cleanup();
  });

  it('delivers after the restart, exactly once', async () => {
    const api0 = new ApiClient(server.url);
    const load = startPacedLoad(productionPort, 50);
    const status = (await api0.call<StatusBody>('GET', '/api/v1/status')).body;
    for (const i of status.environments.find((e) => e.name === 'production')?.instances ?? []) {
      await fetch(`http://127.0.0.1:${i.port}/admin/errors?rate=1`, { method: 'POST' });
    }
    const pending = await waitFor(
      'a failed attempt',
      async () => {
        const r = await api0.call<{
          deliveries: Array<{ id: string; status: string; attempts: number; lastError: string | null }>;
        }>('GET', '/api/v1/notifications');
        return r.body.deliveries.find((d) => d.attempts >= 1 && d.status !== 'delivered');
      },
      20_000,
    );
    expect(pending.lastError).toMatch(/refused|ECONNREFUSED/i);
    await load.stop();

    await server.kill9();
    const received: Array<{ delivery: string; status: string }> = [];
    receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        received.push({
          delivery: String(req.headers['x-gantry-delivery']),
          status: (JSON.parse(raw) as { status: string }).status,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver?.listen(hookPort, '127.0.0.1', r));

    const api = new ApiClient(await server.start());
    await waitFor('delivered after restart', async () => received.length > 0, 60_000);
    await sleep(2000);
    const firing = received.filter((r) => r.status === 'firing');
    expect(firing).toHaveLength(1);
    expect(firing[0]?.delivery).toBe(pending.id);
    const log = await api.call<{ deliveries: Array<{ id: string; status: string }> }>(
      'GET',
      '/api/v1/notifications',
    );
    expect(log.body.deliveries.find((d) => d.id === pending.id)?.status).toBe('delivered');
  });
});
