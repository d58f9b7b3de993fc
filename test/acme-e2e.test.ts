// Automatic HTTPS end to end: a Gantry server whose production environment sets `tls.acme` gets
// its certificate from pebble (which fetches the HTTP-01 answer from Gantry's redirect listener),
// serves it by SNI with pebble's chain, shows it on /metrics and in the built-in alarms, and after
// a restart serves the stored certificate without placing a new order.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, freePort, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';
import { handshake, type PebblePeer, requirePebble, startPebble } from './helpers/pebble.ts';
import { hasExecutable, requirePeer } from './helpers/peers.ts';

const PROMTOOL = '/usr/bin/promtool';
const peers =
  requirePebble() === 'run' &&
  requirePeer('promtool', hasExecutable(PROMTOOL), `${PROMTOOL} not found (apt-get install prometheus)`) ===
    'run';

describe.skipIf(!peers)('automatic HTTPS through ACME (pebble)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let pebble: PebblePeer;
  let server: GantryServer | undefined;

  beforeEach(async () => {
    tmp = await tempDir('gantry-acme-e2e-');
  });

  afterEach(async () => {
    await server?.close({ stopInstances: true });
    server = undefined;
    await pebble?.stop();
    await tmp.cleanup();
  });

  it('obtains the certificate at start, serves it by SNI, and a restart re-uses it', async () => {
    const redirectPort = await freePort();
    pebble = await startPebble({ dir: tmp.dir, httpPort: redirectPort });
    await writeFile(path.join(tmp.dir, 'pebble-ca.pem'), pebble.directoryCa);
    const cfg = await writeHelloConfig(tmp.dir, {
      production: `    hosts: [shop.test, www.shop.test]
    tls:
      acme: { email: ops@example.com, directory: "${pebble.directoryUrl}", ca_file: pebble-ca.pem }
      redirect_http: 127.0.0.1:${redirectPort}`,
    });
    const root = await pebble.issuerRoot();
    const start = async () =>
      startServer({
        config: cfg.file,
        dataDir: path.join(tmp.dir, 'data'),
        listen: '127.0.0.1:0',
        logger: silentLogger,
      });
    server = await start();
    const port = cfg.ports.production;

    const issued = await waitFor(
      'the ACME certificate to be served',
      async () => {
        const h = await handshake(port, 'www.shop.test', root);
        return h.authorized ? h : undefined;
      },
      60_000,
    );
    expect(issued.cert.subjectaltname).toBe('DNS:shop.test, DNS:www.shop.test');

    // The redirect listener answers only pending challenges; everything else is redirected.
    const redirect = await fetch(`http://127.0.0.1:${redirectPort}/.well-known/acme-challenge/none`);
    expect(redirect.status).toBe(404);

    const api = new ApiClient(server);
    const metrics = await fetch(`${server.url}/metrics`, { headers: api.headers() }).then((r) => r.text());
    const expiry = metrics.match(
      /^gantry_cert_expiry_seconds\{environment="production",host="shop\.test"\} (\d+)$/m,
    );
    expect(Number(expiry?.[1])).toBeGreaterThan(364 * 86_400);
    expect(metrics).toMatch(/^gantry_acme_failures_total\{environment="production"\} 0$/m);
    const promtool = spawnSync(PROMTOOL, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    const alarms = await api.call<{ alarms: Array<{ alarm: string; environment: string; state: string }> }>(
      'GET',
      '/api/v1/alarms',
    );
    expect(
      alarms.body.alarms
        .filter((a) => a.alarm.startsWith('acme:'))
        .map((a) => `${a.alarm} ${a.environment}`)
        .sort(),
    ).toEqual(['acme:certificate-expiry production', 'acme:renewal-failing production']);
    const issuedEvents = async () =>
      (await server?.store.events.list({ service: 'hello', environment: 'production' }))?.filter(
        (e) => e.type === 'certificate.issued',
      ) ?? [];
    expect(await issuedEvents()).toHaveLength(1);

    await server.close({ stopInstances: true });
    server = await start();
    const again = await handshake(port, 'shop.test', root);
    expect(again.authorized).toBe(true);
    expect(again.cert.fingerprint256).toBe(issued.cert.fingerprint256);
    expect(await issuedEvents()).toHaveLength(1);
  }, 120_000);

  it('serves a stand-in and counts the failure when the CA cannot reach the challenge', async () => {
    const redirectPort = await freePort();
    // The CA checks another port than the one Gantry answers on: as if port 80 were firewalled.
    pebble = await startPebble({ dir: tmp.dir, httpPort: await freePort() });
    await writeFile(path.join(tmp.dir, 'pebble-ca.pem'), pebble.directoryCa);
    const cfg = await writeHelloConfig(tmp.dir, {
      production: `    hosts: [shop.test]
    tls:
      acme: { email: ops@example.com, directory: "${pebble.directoryUrl}", ca_file: pebble-ca.pem }
      redirect_http: 127.0.0.1:${redirectPort}`,
    });
    server = await startServer({
      config: cfg.file,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    const live = server;
    const failed = await waitFor(
      'the failed order',
      async () =>
        (await live.store.events.list({ service: 'hello', environment: 'production' })).find(
          (e) => e.type === 'certificate.failed',
        ),
      60_000,
    );
    expect(failed.message).toContain('the ACME order for shop.test failed (1 in a row)');
    expect(failed.message).toContain(
      'connect: connection refused; no certificate to serve yet; next attempt at',
    );
    const api = new ApiClient(live);
    const metrics = await fetch(`${live.url}/metrics`, { headers: api.headers() }).then((r) => r.text());
    expect(metrics).toMatch(/^gantry_acme_failures_total\{environment="production"\} 1$/m);
    expect(metrics).not.toMatch(/^gantry_cert_expiry_seconds/m);
    const standIn = await handshake(cfg.ports.production, 'shop.test', await pebble.issuerRoot());
    expect(standIn.authorized).toBe(false);
    expect(standIn.cert.subjectaltname).toBe('DNS:shop.test');
  }, 120_000);
});
