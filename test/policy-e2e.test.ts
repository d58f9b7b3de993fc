import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentPolicyResponse, ScanUploadResponse } from '../src/api/policy-routes.ts';
import type { ReleaseRecord } from '../src/api/types.ts';
import type { PolicyDecision } from '../src/policy/types.ts';
import {
  ApiClient,
  ChildServer,
  helloBuild,
  hit,
  repoRoot,
  runGantry,
  tempDir,
  writeHelloConfig,
} from './helpers/gantry.ts';

const scans = path.join(repoRoot, 'test/fixtures/scans');

interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: { policy?: PolicyDecision } };
}

const gantry = (args: string[], env: Record<string, string>) => runGantry(args, { env, timeoutMs: 180_000 });

const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);

describe('release policy end to end', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let api: ApiClient;
  let cliEnv: Record<string, string>;
  let ports: { staging: number; production: number };
  // A one-minute daily window 12 hours from now: closed for the whole test, whatever the time.
  const opensAt = Math.floor((Date.now() + 12 * 3600_000) / 60_000) * 60_000;
  const window = `{ from: "${hhmm(opensAt)}", to: "${hhmm(opensAt + 60_000)}", tz: UTC }`;

  async function putScan(
    version: string,
    file: string,
  ): Promise<{ status: number; body: ScanUploadResponse }> {
    const res = await fetch(`${api.base}/api/v1/versions/${version}/scan`, {
      method: 'PUT',
      headers: { ...api.headers(), 'content-type': 'application/json' },
      body: await readFile(path.join(scans, file)),
    });
    return { status: res.status, body: (await res.json()) as ScanUploadResponse };
  }

  async function nothingStarted(environment: string): Promise<void> {
    const releases = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      `/api/v1/releases?environment=${environment}`,
    );
    const instances = await api.call<{ instances: unknown[] }>(
      'GET',
      `/api/v1/instances?environment=${environment}`,
    );
    expect(releases.body.releases.filter((r) => r.state !== 'succeeded')).toEqual([]);
    expect(instances.body.instances.length).toBeLessThanOrEqual(1);
  }

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      startupTimeout: '10s',
      productionInstances: 1,
      staging:
        '    scan: { fail_on: high, allow: [{ id: CVE-2023-5363, until: 2099-12-31, reason: "not reachable" }] }',
      production: `    window: ${window}`,
    });
    ports = cfg.ports;
    const dataDir = path.join(tmp.dir, 'data');
    server = new ChildServer({ config: cfg.file, dataDir });
    await server.start();
    api = new ApiClient(server.url);
    cliEnv = { GANTRY_URL: server.url, GANTRY_DATA_DIR: dataDir };
    for (const v of ['v1', 'v2']) {
      const up = await api.upload(v, await helloBuild(tmp.dir, v));
      expect(up.status).toBe(201);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('a version without a scan report is refused where the environment has a scan gate', async () => {
    const r = await api.call<ErrorBody>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v1',
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('POLICY_REFUSED');
    expect(r.body.error.message).toMatch(/scan: no scan report for v1; upload one with --scan/);
    await nothingStarted('staging');
  });

  it('a report with findings above fail_on refuses, naming them; nothing starts', async () => {
    const up = await putScan('v1', 'trivy-image.json');
    expect(up.status).toBe(201);
    const bytes = await readFile(path.join(scans, 'trivy-image.json'));
    expect(up.body.scan).toMatchObject({
      format: 'trivy',
      findings: 6,
      bySeverity: { critical: 1, high: 3 },
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.length,
    });
    const r = await api.call<ErrorBody>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v1',
    });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(
      /scan: v1 has 2 vulnerabilities at or above high .*CVE-2023-45133 \(critical, @babel\/traverse 7\.22\.5\), CVE-2021-23337 \(high, lodash 4\.17\.20\); allowed by the allow-list: CVE-2023-5363, CVE-2023-5363/,
    );
    expect(r.body.error.details?.policy?.outcome).toBe('refused');
    await nothingStarted('staging');
    const bad = await api.call<ErrorBody>('PUT', '/api/v1/versions/v1/scan', { runs: [] });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('BAD_SCAN_REPORT');
    const unknown = await putScan('v9', 'trivy-clean.json');
    expect(unknown.status).toBe(404);
    const huge = await fetch(`${api.base}/api/v1/versions/v1/scan`, {
      method: 'PUT',
      headers: { ...api.headers(), 'content-type': 'application/json' },
      body: Buffer.alloc(17 * 1024 * 1024, 0x20),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as ErrorBody).error.code).toBe('SCAN_REPORT_TOO_LARGE');
  });

  it('a clean report passes, and the decision is recorded with the release', async () => {
    expect((await putScan('v2', 'npm-audit-clean.json')).status).toBe(201);
    const r = await api.call<{ release: ReleaseRecord; policy: PolicyDecision }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
    });
    expect(r.status).toBe(201);
    expect(r.body.policy).toMatchObject({ outcome: 'passed', rules: [{ rule: 'scan', outcome: 'pass' }] });
    const done = await api.waitRelease(r.body.release.id);
    expect(done.release.state).toBe('succeeded');
    const detail = await api.call<{
      policy: PolicyDecision;
      events: Array<{ type: string; message: string }>;
    }>('GET', `/api/v1/releases/${r.body.release.id}`);
    expect(detail.body.policy.outcome).toBe('passed');
    expect(detail.body.events[1]).toMatchObject({ type: 'policy', message: 'policy passed (scan passed)' });
  });

  it('outside the window: 422 naming the window and its next opening; nothing starts in production', async () => {
    const r = await api.call<ErrorBody>('POST', '/api/v1/releases', {
      environment: 'production',
      version: 'v2',
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('POLICY_REFUSED');
    const day = new Date(opensAt).toISOString().slice(0, 10);
    expect(r.body.error.message).toContain(
      `window: production is outside its deployment window (every day ${hhmm(opensAt)}–${hhmm(opensAt + 60_000)} UTC); the next opens`,
    );
    expect(r.body.error.message).toContain(`${day} ${hhmm(opensAt)} UTC`);
    const releases = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      '/api/v1/releases?environment=production',
    );
    expect(releases.body.releases).toEqual([]);
    const instances = await api.call<{ instances: unknown[] }>(
      'GET',
      '/api/v1/instances?environment=production',
    );
    expect(instances.body.instances).toEqual([]);

    const policy = await api.call<EnvironmentPolicyResponse>('GET', '/api/v1/environments/production/policy');
    expect(policy.body.policy).toMatchObject({
      open: false,
      reason: 'outside every deployment window',
      nextOpen: { at: new Date(opensAt).toISOString() },
      nextClose: { at: new Date(opensAt + 60_000).toISOString() },
      requires: { passed: 'staging' },
    });
  });

  it('an override needs a reason', async () => {
    const r = await api.call<ErrorBody>('POST', '/api/v1/promote', {
      from: 'staging',
      to: 'production',
      override: { reason: '' },
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('OVERRIDE_REASON_REQUIRED');
  });

  it('the CLI: --scan uploads the report before the release, and the refusal names the findings (exit 2)', async () => {
    const dir = await helloBuild(tmp.dir, 'v3');
    const r = await gantry(
      [
        'deploy',
        '--env',
        'staging',
        '--version',
        'v3',
        '--artifact',
        dir,
        '--scan',
        path.join(scans, 'grype-dir.json'),
      ],
      cliEnv,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      /scan report grype \(grype 0\.74\.7\) attached to v3: 1 critical, 1 high, 1 medium, 1 negligible/,
    );
    expect(r.stderr).toMatch(
      /error: deploy of v3 to staging refused by policy: scan: v3 has 2 vulnerabilities/,
    );
    expect(r.stderr).toMatch(/GHSA-xvch-5gv4-984h \(critical, minimist 1\.2\.5\)/);
    await nothingStarted('staging');
  });

  it('the CLI: status --env shows the policy; an admin promotes with --override-policy and it is recorded', async () => {
    const status = await gantry(['status', '--env', 'production'], cliEnv);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /closed now \(outside every deployment window\); opens \w{3} \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
    expect(status.stdout).toMatch(/requires\s+a version that succeeded in staging/);

    const r = await gantry(
      [
        'promote',
        '--from',
        'staging',
        '--to',
        'production',
        '--override-policy',
        'hotfix for INC-42',
        '--wait',
      ],
      cliEnv,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/policy overridden by .* \(admin\): "hotfix for INC-42"/);
    expect(r.stdout).toMatch(/overrode window: production is outside its deployment window/);
    expect((await hit(ports.production)).version).toBe('v2');

    const list = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      '/api/v1/releases?environment=production',
    );
    const id = list.body.releases[0]?.id as string;
    const detail = await api.call<{ policy: PolicyDecision }>('GET', `/api/v1/releases/${id}`);
    expect(detail.body.policy).toMatchObject({
      outcome: 'overridden',
      kind: 'promote',
      override: { reason: 'hotfix for INC-42', role: 'admin', applied: true },
    });
    expect(detail.body.policy.rules.map((r) => [r.rule, r.outcome])).toEqual([
      ['requires', 'pass'],
      ['window', 'refuse'],
    ]);
  });
});
