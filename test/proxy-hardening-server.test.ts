// Proxy hardening in the real server, configured from gantry.yaml: HTTPS with certificate paths
// relative to the config file, the redirect, security headers, limits, and a reload that applies
// edge settings live but refuses (changing nothing) a config whose certificate is missing.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, freePort, helloApp, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';
import { send } from './helpers/proxy.ts';
import { httpsSend, installCert, makeCert, type TestCert } from './proxy-hardening-fixtures.ts';

describe('proxy hardening in gantry server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let cert: TestCert;
  let configFile: string;
  let original: string;
  let ports: { staging: number; production: number };
  let redirectPort: number;

  beforeAll(async () => {
    tmp = await tempDir('gantry-proxy-hardening-');
    const tlsDir = path.join(tmp.dir, 'tls');
    await mkdir(tlsDir);
    cert = await installCert(tlsDir, await makeCert(tmp.dir, 'staging'));
    redirectPort = await freePort();
    const cfg = await writeHelloConfig(tmp.dir, {
      productionInstances: 1,
      staging: [
        `    tls: { cert: tls/cert.pem, key: tls/key.pem, redirect_http: 127.0.0.1:${redirectPort} }`,
        '    rate_limit: { per_client: 1000/s, burst: 1000 }',
        '    security_headers: { frame_options: DENY, extra: { X-Served-By: gantry } }',
        '    limits: { max_body: 1KB }',
      ].join('\n'),
      extra: `synthetics:
  - { name: staging-health, environment: staging, every: 1s, http: { path: /health, expect_status: 200 } }`,
    });
    configFile = cfg.file;
    ports = cfg.ports;
    original = await readFile(configFile, 'utf8');
    server = await startServer({
      config: configFile,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
      initialVersion: 'v1',
      initialArtifact: helloApp,
    });
    await waitFor('staging to serve v1 over HTTPS', async () => {
      const r = await httpsSend(ports.staging, { ca: cert.cert });
      return r.status === 200;
    });
  }, 90_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('serves the environment over HTTPS with the configured headers and limits', async () => {
    const res = await httpsSend(ports.staging, { ca: cert.cert });
    expect(JSON.parse(res.body)).toMatchObject({ version: 'v1' });
    expect(res.headers['strict-transport-security']).toBe('max-age=15552000');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['x-served-by']).toBe('gantry');

    const redirect = await send(redirectPort, { path: '/a?b=c', headers: { host: 'localhost' } });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`https://localhost:${ports.staging}/a?b=c`);

    // Production has no TLS: the default headers, but no HSTS on plain HTTP.
    const plain = await send(ports.production);
    expect(plain.status).toBe(200);
    expect(plain.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // 2 KB is over staging's 1KB max_body, and reaches production's service (which allows no POST).
    const body = Buffer.alloc(2048, 'x');
    const refused = await httpsSend(ports.staging, { ca: cert.cert, method: 'POST', body });
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
    expect((await send(ports.production, { method: 'POST', body })).status).toBe(405);
  });

  it('shows the https URL, and synthetics check the environment through its TLS listener', async () => {
    const api = new ApiClient(server);
    const status = await api.status();
    expect(status.environments.find((e) => e.name === 'staging')?.url).toBe(
      `https://127.0.0.1:${ports.staging}`,
    );
    expect(status.environments.find((e) => e.name === 'production')?.url).toMatch(/^http:/);
    const result = await waitFor('a synthetic result', async () => {
      const r = await api.call<{
        synthetics: Array<{ lastResults: Array<{ ok: boolean; message: string }> }>;
      }>('GET', '/api/v1/synthetics');
      return r.body.synthetics[0]?.lastResults[0];
    });
    expect(result.message).toMatch(/GET \/health → 200/);
    expect(result.ok).toBe(true);
  });

  it('applies edge settings on reload, and refuses a reload whose certificate is missing', async () => {
    try {
      await writeFile(
        configFile,
        original
          .replace('frame_options: DENY', 'frame_options: SAMEORIGIN')
          .replace('per_client: 1000/s, burst: 1000', 'per_client: 1/s, burst: 2'),
      );
      const result = await server.reload();
      expect(result.applied).toEqual([
        'environments.staging.rate_limit',
        'environments.staging.security_headers',
      ]);
      const after = await httpsSend(ports.staging, { ca: cert.cert });
      expect(after.headers['x-frame-options']).toBe('SAMEORIGIN');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await httpsSend(ports.staging, { ca: cert.cert })).status);
      expect(statuses).toContain(429);

      await writeFile(configFile, original.replace('tls/cert.pem', 'tls/missing.pem'));
      const missing = path.join(tmp.dir, 'tls', 'missing.pem');
      await expect(server.reload()).rejects.toThrow(`the TLS certificate file ${missing} does not exist`);
      // Nothing changed: still HTTPS with the same certificate, still the reloaded rate limit.
      const still = await httpsSend(ports.staging, { ca: cert.cert });
      expect(still.fingerprint).toBe(after.fingerprint);
      expect([200, 429]).toContain(still.status);
    } finally {
      await writeFile(configFile, original);
      await server.reload().catch(() => {});
    }
  });
});
