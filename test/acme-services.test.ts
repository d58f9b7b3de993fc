// Automatic HTTPS with several services on one server: two service files whose production
// environments share one HTTPS listen address (routed by `hosts`) and one plain redirect listener,
// each with `tls.acme` pointing at pebble. Pebble fetches both services' HTTP-01 answers from the
// shared redirect listener; each host is then served its own service's certificate by SNI and
// routed to its own service's instance; the certificate metrics and alarms carry the right
// service; the server stops both services with their instances, and a restart serves both stored
// certificates again without a new order.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView } from '../src/api/types.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { packDirectory } from '../src/artifacts/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, alive, freePort, helloBuild, pidOf, sleep, tempDir, waitFor } from './helpers/gantry.ts';
import { type Handshake, handshake, type PebblePeer, requirePebble, startPebble } from './helpers/pebble.ts';
import { hasExecutable, requirePeer } from './helpers/peers.ts';

const PROMTOOL = '/usr/bin/promtool';
const peers =
  requirePebble() === 'run' &&
  requirePeer('promtool', hasExecutable(PROMTOOL), `${PROMTOOL} not found (apt-get install prometheus)`) ===
    'run';

/** The two services, each with its own hosts on the shared address, and the version it deploys. */
const SERVICES = {
  shop: { hosts: ['shop.test', 'www.shop.test'], version: 's1' },
  blog: { hosts: ['blog.test'], version: 'b1' },
} as const;
type ServiceName = keyof typeof SERVICES;
const NAMES = Object.keys(SERVICES) as ServiceName[];
const ALL_HOSTS = NAMES.flatMap((n) => SERVICES[n].hosts);

/** GET / over HTTPS with SNI `servername` and Host `host`, the chain and name checked against `ca`. */
function httpsGet(
  port: number,
  host: string,
  ca: string,
  servername = host,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(
      { host: '127.0.0.1', port, path: '/', servername, headers: { host }, ca, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    )
      .on('error', reject)
      .end();
  });
}

function serviceFile(name: ServiceName, ports: { tls: number; redirect: number }, directory: string): string {
  return `service: ${name}
run:
  command: node server.js
  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }
  stop_timeout: 3s
  drain_timeout: 2s
health:
  readiness: { path: /readiness, interval: 100ms, timeout: 1s, failure_threshold: 2 }
  startup_timeout: 20s
environments:
  production:
    listen: 127.0.0.1:${ports.tls}
    instances: 1
    hosts: [${SERVICES[name].hosts.join(', ')}]
    tls:
      acme: { email: ops@example.com, directory: "${directory}", ca_file: pebble-ca.pem }
      redirect_http: 127.0.0.1:${ports.redirect}
`;
}

describe.skipIf(!peers)('automatic HTTPS for two services on one listener (pebble)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;
  let pebble: PebblePeer | undefined;
  let server: GantryServer | undefined;
  let start: () => Promise<GantryServer>;
  let root: string;
  let tlsPort: number;
  let redirectPort: number;
  /** The certificate first served for each host. */
  const issued = new Map<string, Handshake>();
  /** The processes of the deployed instances, which the server must stop. */
  const instancePids: number[] = [];

  const live = (): GantryServer => {
    if (!server) throw new Error('the server is not running');
    return server;
  };
  const certificateEvents = async (service: ServiceName) =>
    (await live().store.events.list({ service, environment: 'production' }))
      .filter((e) => e.type.startsWith('certificate.'))
      .map((e) => e.type);

  beforeAll(async () => {
    tmp = await tempDir('gantry-acme-services-');
    tlsPort = await freePort();
    redirectPort = await freePort();
    pebble = await startPebble({ dir: tmp.dir, httpPort: redirectPort });
    const servicesDir = path.join(tmp.dir, 'services');
    await mkdir(servicesDir);
    await writeFile(path.join(servicesDir, 'pebble-ca.pem'), pebble.directoryCa);
    for (const name of NAMES) {
      await writeFile(
        path.join(servicesDir, `${name}.yaml`),
        serviceFile(name, { tls: tlsPort, redirect: redirectPort }, pebble.directoryUrl),
      );
    }
    root = await pebble.issuerRoot();
    const dataDir = path.join(tmp.dir, 'data');
    start = () => startServer({ config: servicesDir, dataDir, listen: '127.0.0.1:0', logger: silentLogger });
    server = await start();
  }, 60_000);

  afterAll(async () => {
    try {
      await server?.close({ stopInstances: true });
    } finally {
      server = undefined;
      // Whatever a failed stop left running must not outlive the test (each stopped by its pid).
      for (const pid of instancePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await pebble?.stop();
      await tmp?.cleanup();
    }
  });

  it("obtains each service's certificate from pebble and serves it by SNI on the shared listener", async () => {
    expect([...live().services().keys()].sort()).toEqual(['blog', 'shop']);
    // Both challenges are answered on the one redirect listener; pebble's chain verifies for each name.
    await waitFor(
      "both services' ACME certificates to be served",
      async () => {
        for (const host of ALL_HOSTS) {
          if (issued.has(host)) continue;
          const h = await handshake(tlsPort, host, root);
          if (h.authorized) issued.set(host, h);
        }
        return issued.size === ALL_HOSTS.length;
      },
      90_000,
    ).catch(async (err: Error) => {
      const events = await Promise.all(
        NAMES.map(async (service) =>
          (await live().store.events.list({ service, environment: 'production' }))
            .filter((e) => e.type.startsWith('certificate.'))
            .map((e) => `${service}: ${e.type} ${e.message}`),
        ),
      );
      throw new Error(
        `${err.message}; served: ${[...issued.keys()].join(', ')}; ${events.flat().join('; ')}`,
      );
    });
    const shop = issued.get('shop.test') as Handshake;
    const blog = issued.get('blog.test') as Handshake;
    expect(shop.cert.subjectaltname).toBe('DNS:shop.test, DNS:www.shop.test');
    expect(issued.get('www.shop.test')?.cert.fingerprint256).toBe(shop.cert.fingerprint256);
    expect(blog.cert.subjectaltname).toBe('DNS:blog.test');
    expect(blog.cert.fingerprint256).not.toBe(shop.cert.fingerprint256);
    // Each service recorded one issued certificate (its own) and no failed order.
    for (const name of NAMES) {
      expect({ name, events: await certificateEvents(name) }).toEqual({
        name,
        events: ['certificate.issued'],
      });
    }
    // With both orders done, the shared redirect listener has no pending answer left.
    const none = await fetch(`http://127.0.0.1:${redirectPort}/.well-known/acme-challenge/none`);
    expect(none.status).toBe(404);
  }, 120_000);

  it("routes each host to its own service's instance over HTTPS", async () => {
    const admin = new ApiClient(live());
    for (const name of NAMES) {
      const base = `${live().url}/api/v1/services/${name}`;
      const { version } = SERVICES[name];
      const upload = await fetch(`${base}/versions/${version}/artifact`, {
        method: 'POST',
        headers: { ...admin.headers(), 'content-type': 'application/gzip' },
        body: Readable.toWeb(
          packDirectory(await helloBuild(tmp?.dir ?? '', `${name}-${version}`)),
        ) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(upload.status).toBe(201);
      const created = await fetch(`${base}/releases`, {
        method: 'POST',
        headers: { ...admin.headers(), 'content-type': 'application/json' },
        body: JSON.stringify({ environment: 'production', version }),
      });
      expect(created.status).toBe(201);
      const { release } = (await created.json()) as { release: { id: string } };
      const done = await waitFor(
        `the release of ${name}`,
        async () => {
          const r = (await fetch(`${base}/releases/${release.id}`, { headers: admin.headers() }).then((x) =>
            x.json(),
          )) as { release: { state: string; finishedAt: string | null } };
          return r.release.finishedAt ? r.release : undefined;
        },
        60_000,
      );
      expect(done.state).toBe('succeeded');
      const status = (await fetch(`${base}/status`, { headers: admin.headers() }).then((r) => r.json())) as {
        environments: Array<{ instances: InstanceView[] }>;
      };
      instancePids.push(...(status.environments[0]?.instances ?? []).map((i) => pidOf(i)));
    }
    expect(instancePids).toHaveLength(2);
    for (const name of NAMES) {
      const instances = (live().services().get(name)?.fleet.list() ?? []).map((m) => m.id);
      expect(instances).toHaveLength(1);
      for (const host of SERVICES[name].hosts) {
        const res = await httpsGet(tlsPort, host, root);
        expect({ host, status: res.status }).toEqual({ host, status: 200 });
        const body = JSON.parse(res.body) as { version: string; instance: string };
        expect({ host, version: body.version, instance: body.instance }).toEqual({
          host,
          version: SERVICES[name].version,
          instance: instances[0],
        });
      }
    }
    // A connection opened for one service's name does not carry the other service's requests.
    const misdirected = await httpsGet(tlsPort, 'blog.test', root, 'shop.test');
    expect(misdirected.status).toBe(421);
  }, 120_000);

  it('labels the certificate metrics with their service, and gives each service its ACME alarms', async () => {
    const admin = new ApiClient(live());
    const metrics = await fetch(`${live().url}/metrics`, { headers: admin.headers() }).then((r) => r.text());
    // Both environments are named production: only the service label tells the certificates apart.
    const expiries = [...metrics.matchAll(/^gantry_cert_expiry_seconds\{([^}]*)\} (-?\d+)$/gm)].map(
      (m) => [m[1], Number(m[2])] as const,
    );
    expect(expiries.map(([labels]) => labels).sort()).toEqual([
      'service="blog",environment="production",host="blog.test"',
      'service="shop",environment="production",host="shop.test"',
      'service="shop",environment="production",host="www.shop.test"',
    ]);
    for (const [labels, seconds] of expiries) {
      expect({ labels, enough: seconds > 364 * 86_400 }).toEqual({ labels, enough: true });
    }
    const failures = [...metrics.matchAll(/^gantry_acme_failures_total\{([^}]*)\} (\d+)$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(failures.sort()).toEqual([
      'service="blog",environment="production" 0',
      'service="shop",environment="production" 0',
    ]);
    const promtool = spawnSync(PROMTOOL, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    for (const name of NAMES) {
      const alarms = (await fetch(`${live().url}/api/v1/services/${name}/alarms`, {
        headers: admin.headers(),
      }).then((r) => r.json())) as { alarms: Array<{ alarm: string; environment: string }> };
      expect({
        name,
        alarms: alarms.alarms
          .filter((a) => a.alarm.startsWith('acme:'))
          .map((a) => `${a.alarm} ${a.environment}`)
          .sort(),
      }).toEqual({ name, alarms: ['acme:certificate-expiry production', 'acme:renewal-failing production'] });
    }
  });

  it('stops both services with their instances, and a restart serves the stored certificates without a new order', async () => {
    expect(instancePids.filter(alive)).toHaveLength(2);
    await live().close({ stopInstances: true });
    server = undefined;
    expect(instancePids.filter(alive)).toEqual([]);
    server = await start();
    for (const host of ALL_HOSTS) {
      const h = await handshake(tlsPort, host, root);
      expect({ host, authorized: h.authorized, fingerprint: h.cert.fingerprint256 }).toEqual({
        host,
        authorized: true,
        fingerprint: issued.get(host)?.cert.fingerprint256,
      });
    }
    // Time for a wrongly placed order to reach pebble and fail or succeed before counting the events.
    await sleep(2_000);
    for (const name of NAMES) {
      expect({ name, events: await certificateEvents(name) }).toEqual({
        name,
        events: ['certificate.issued'],
      });
    }
  }, 60_000);
});
