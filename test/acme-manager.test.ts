// The ACME manager against Debian's pebble on loopback, with challenges answered by a plain HTTP
// server of the test (the responder the data plane will be): a certificate issued at start and
// kept sealed in the store, a restart that serves the stored certificate without a new order, a
// renewal at two thirds of a short lifetime, a failed challenge that keeps the old certificate
// serving, is counted, and is retried until it succeeds; and changes of the config followed.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AcmeManager,
  type AcmeTarget,
  type ChallengeResponder,
  certificateMetrics,
} from '../src/acme/index.ts';
import { SecretService } from '../src/secrets/index.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { freePort, tempDir } from './helpers/gantry.ts';
import { type PebblePeer, requirePebble, startPebble } from './helpers/pebble.ts';

const HOSTS = ['shop.test', 'www.shop.test'];
const FAST = { retry: { minMs: 300, maxMs: 1_000 }, poll: { minMs: 100, maxMs: 500 } };

/** Answers HTTP-01 on a real port; `broken` makes it answer every challenge with a wrong value. */
class TestResponder implements ChallengeResponder {
  readonly tokens = new Map<string, string>();
  readonly set_: string[] = [];
  broken = false;
  server: Server | undefined;

  async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      const token = req.url?.replace('/.well-known/acme-challenge/', '') ?? '';
      const answer = this.tokens.get(token);
      if (answer === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(this.broken ? `${answer}x` : answer);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
  }

  async set(token: string, keyAuthorization: string): Promise<void> {
    this.set_.push(token);
    this.tokens.set(token, keyAuthorization);
  }

  async remove(token: string): Promise<void> {
    this.tokens.delete(token);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(requirePebble() === 'skip')('ACME manager with pebble', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let responder: TestResponder;
  let pebble: PebblePeer | undefined;
  const opened: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('gantry-acme-'));
    responder = new TestResponder();
  });

  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
    await responder.close();
    await pebble?.stop();
    pebble = undefined;
    await cleanup();
  });

  async function start(validitySeconds?: number): Promise<PebblePeer> {
    const port = await freePort();
    await responder.listen(port);
    pebble = await startPebble({ dir, httpPort: port, ...(validitySeconds ? { validitySeconds } : {}) });
    return pebble;
  }

  async function open(): Promise<{ store: Store; secrets: SecretService }> {
    const database = path.join(dir, 'gantry.db');
    const store = await openStore({ kind: 'sqlite', path: database });
    opened.push(store);
    const secrets = await SecretService.open({ store, service: 'shop', dataDir: dir, database, env: {} });
    return { store, secrets };
  }

  function manager(
    p: PebblePeer,
    store: Store,
    secrets: SecretService,
    targets: (t: AcmeTarget) => AcmeTarget[] = (t) => [t],
  ): AcmeManager {
    const target: AcmeTarget = {
      environment: 'production',
      hosts: HOSTS,
      email: 'ops@example.com',
      directory: p.directoryUrl,
      directoryCa: p.directoryCa,
    };
    const m = new AcmeManager({
      service: 'shop',
      targets: () => targets(target),
      store,
      sealer: secrets,
      responder,
      ...FAST,
    });
    opened.push({ close: () => m.stop() });
    return m;
  }

  async function events(store: Store, type: string) {
    return (await store.events.list({ service: 'shop', environment: 'production' })).filter(
      (e) => e.type === type,
    );
  }

  it('issues at start, keeps the key sealed, and a restart serves the stored certificate without a new order', async () => {
    const p = await start();
    const { store, secrets } = await open();
    const first = manager(p, store, secrets);
    await first.start();
    const cert = await waitFor('the certificate', () => first.certificate('production'));

    const x509 = new X509Certificate(cert.cert);
    expect(x509.subjectAltName).toBe('DNS:shop.test, DNS:www.shop.test');
    expect(x509.checkPrivateKey(createPrivateKey(cert.key))).toBe(true);
    // The chain after the leaf is pebble's intermediate, signed by the root pebble shows.
    const chain = cert.cert.split(/(?=-----BEGIN CERTIFICATE-----)/).map((pem) => new X509Certificate(pem));
    const root = new X509Certificate(await p.issuerRoot());
    expect(chain.length).toBeGreaterThanOrEqual(2);
    expect(x509.verify((chain[1] as X509Certificate).publicKey)).toBe(true);
    expect((chain[chain.length - 1] as X509Certificate).verify(root.publicKey)).toBe(true);

    const row = await store.acme.certificate('shop', 'production');
    expect(row?.certPem).toBe(cert.cert);
    expect(JSON.stringify(row)).not.toContain('PRIVATE KEY');
    const account = await store.acme.account(p.directoryUrl, 'ops@example.com');
    expect(account?.accountUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
    expect(JSON.stringify(account)).not.toContain('PRIVATE KEY');
    expect(await events(store, 'certificate.issued')).toHaveLength(1);
    const orders = responder.set_.length;
    expect(orders).toBe(2); // one challenge per host
    await first.stop();
    await store.close();

    const again = await open();
    const second = manager(p, again.store, again.secrets);
    await second.start();
    expect(second.certificate('production')?.cert).toBe(cert.cert);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(responder.set_).toHaveLength(orders);
    expect(await events(again.store, 'certificate.issued')).toHaveLength(1);
  });

  it('renews at two thirds of the lifetime; a failed challenge keeps the old certificate, is counted and retried', async () => {
    const p = await start(24);
    const { store, secrets } = await open();
    const m = manager(p, store, secrets);
    await m.start();
    const issued = await waitFor('the certificate', () => m.certificate('production'));
    // Renewal is due at notBefore + 16 s; until then, challenges fail.
    responder.broken = true;
    const failed = await waitFor(
      'a failed renewal',
      () => m.statuses().find((s) => s.failuresTotal > 0),
      40_000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(
      issued.notBefore + (issued.notAfter - issued.notBefore) * (2 / 3),
    );
    expect(failed.consecutiveFailures).toBeGreaterThan(0);
    expect(m.certificate('production')?.cert).toBe(issued.cert);
    const [failure] = await events(store, 'certificate.failed');
    expect(failure?.message).toContain(
      `still serving the certificate valid until ${new Date(issued.notAfter).toISOString()}`,
    );
    const exposed = certificateMetrics(m.statuses(), Date.now());
    expect(exposed.find((f) => f.name === 'gantry_acme_failures_total')?.samples[0]?.value).toBeGreaterThan(
      0,
    );

    responder.broken = false;
    const renewed = await waitFor('the renewed certificate', () => {
      const c = m.certificate('production');
      return c && c.cert !== issued.cert ? c : undefined;
    });
    expect(renewed.notAfter).toBeGreaterThan(issued.notAfter);
    expect(m.statuses()[0]?.consecutiveFailures).toBe(0);
    expect(await events(store, 'certificate.renewed')).toHaveLength(1);
    expect((await store.acme.certificate('shop', 'production'))?.certPem).toBe(renewed.cert);
    const expiry = certificateMetrics(m.statuses(), Date.now()).find(
      (f) => f.name === 'gantry_cert_expiry_seconds',
    );
    expect(expiry?.samples.map((s) => s.labels?.host)).toEqual(HOSTS);
  });

  it('follows the config: new hosts order a new certificate, a new email keeps it, a removed environment stops', async () => {
    const p = await start();
    const { store, secrets } = await open();
    let change: (t: AcmeTarget) => AcmeTarget[] = (t) => [t];
    const m = manager(p, store, secrets, (t) => change(t));
    await m.start();
    const first = await waitFor('the certificate', () => m.certificate('production'));

    change = (t) => [{ ...t, email: 'dev@example.com' }];
    await m.reconcile();
    expect(m.certificate('production')?.cert).toBe(first.cert);

    change = (t) => [{ ...t, hosts: [...HOSTS, 'api.shop.test'] }];
    await m.reconcile();
    expect(m.certificate('production')).toBeUndefined();
    expect(m.served('production')?.hosts).toEqual([...HOSTS, 'api.shop.test']);
    const second = await waitFor('the certificate of three hosts', () => m.certificate('production'));
    expect(new X509Certificate(second.cert).subjectAltName).toBe(
      'DNS:shop.test, DNS:www.shop.test, DNS:api.shop.test',
    );

    change = () => [];
    await m.reconcile();
    expect(m.served('production')).toBeUndefined();
    expect(m.statuses()).toEqual([]);
  });
});
