// Adversarial review of the release policy through a real server (a child process): scan reports
// as scanners really write them in their corner cases (an old Grype's clean report with
// `"matches": null`, a bare `[]` that is no scanner's report), uploads without a content type or
// too large while chunked, and overrides by actors who may not give them or without a reason.
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../src/api/types.ts';
import type { EnvironmentConfig, FreezeConfig, WindowConfig } from '../src/config/types.ts';
import { environmentPolicyView, nextOpenAndClose, scheduleAt } from '../src/policy/index.ts';
import { environmentConfig } from './helpers/environment.ts';
import { ApiClient, ChildServer, helloBuild, tempDir, writeHelloConfig } from './helpers/gantry.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

/** The raw PUT of a scan report (any content type, or none), answered status and JSON body. */
function putRaw(
  base: string,
  token: string,
  version: string,
  body: Buffer | Iterable<Buffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/api/v1/versions/${version}/scan`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
    req.setTimeout(60_000, () => req.destroy(new Error('no answer in 60 s')));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else {
      for (const chunk of body) req.write(chunk);
      req.end();
    }
  });
}

describe('review: release policy edges through a real server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let api: ApiClient;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      startupTimeout: '10s',
      productionInstances: 1,
      staging: '    scan: { fail_on: high }',
      // Open only on a date long past: production is outside its windows whatever the time.
      production: '    freezes: [{ from: 2000-01-01, to: 2999-12-31, reason: "review" }]',
    });
    server = new ChildServer({ config: cfg.file, dataDir: path.join(tmp.dir, 'data') });
    await server.start();
    api = new ApiClient(server.url);
    for (const v of ['v1', 'v2', 'v3']) {
      expect((await api.upload(v, await helloBuild(tmp.dir, v))).status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('an old Grype clean report ("matches": null) is a clean Grype report, and the gate passes it', async () => {
    const report = {
      matches: null,
      source: { type: 'directory', target: '.' },
      distro: { name: '', version: '', idLike: null },
      descriptor: { name: 'grype', version: '0.34.7' },
    };
    const put = await putRaw(server.url, server.token, 'v1', Buffer.from(JSON.stringify(report)), {
      'content-type': 'application/json',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect((put.body as { scan: { format: string; findings: number } }).scan).toMatchObject({
      format: 'grype',
      findings: 0,
    });
    const release = await api.deploy('staging', 'v1');
    expect((await api.waitRelease(release.id)).release.state).toBe('succeeded');
  });

  it('a bare [] is no scanner report: 422, and the version stays without one', async () => {
    const put = await putRaw(server.url, server.token, 'v2', Buffer.from('[]'), {
      'content-type': 'application/json',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(422);
    expect((put.body as ErrorBody).error.code).toBe('BAD_SCAN_REPORT');
    const refused = await api.call<ErrorBody>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('no scan report for v2');
  });

  it('a report sent without a content type is read all the same', async () => {
    const report = { SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem', Results: [] };
    const put = await putRaw(server.url, server.token, 'v3', Buffer.from(JSON.stringify(report)));
    expect(put.status, JSON.stringify(put.body)).toBe(201);
  });

  it('a chunked report over 16 MiB is answered 413 (readable by the client), and nothing is stored', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const chunks = function* () {
      yield Buffer.from('{"matches":[');
      for (let i = 0; i < 17; i++) yield chunk;
      yield Buffer.from(']}');
    };
    const put = await putRaw(server.url, server.token, 'v2', chunks(), {
      'content-type': 'application/json',
    });
    expect(put.status).toBe(413);
    expect((put.body as ErrorBody).error.code).toBe('SCAN_REPORT_TOO_LARGE');
    expect((await api.call('GET', '/api/v1/versions/v2/scan')).status).toBe(404);
  });

  it('an override by an admin of staging only, by a deployer, or with a blank reason is refused; nothing starts', async () => {
    const token = async (body: Record<string, unknown>) => {
      const r = await api.call<{ secret: string }>('POST', '/api/v1/tokens', body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.secret;
    };
    const stagingAdmin = api.as(
      await token({ name: 'staging-admin', role: 'admin', environments: ['staging'] }),
    );
    const deployer = api.as(await token({ name: 'deployer', role: 'deployer' }));
    const ask = (client: ApiClient, reason: string) =>
      client.call<ErrorBody>('POST', '/api/v1/promote', {
        from: 'staging',
        to: 'production',
        override: { reason },
      });
    // The staging admin is no deployer of production either: refused before the policy is read.
    expect((await ask(stagingAdmin, 'hotfix')).status).toBe(403);
    const byDeployer = await ask(deployer, 'hotfix');
    expect(byDeployer.status).toBe(403);
    expect(byDeployer.body.error.code).toBe('POLICY_OVERRIDE_FORBIDDEN');
    for (const reason of ['', '   ', '\n\t ']) {
      const blank = await ask(api, reason);
      expect(blank.status, reason).toBe(422);
      expect(blank.body.error.code).toBe('OVERRIDE_REASON_REQUIRED');
    }
    const plain = await api.call<ErrorBody>('POST', '/api/v1/promote', { from: 'staging', to: 'production' });
    expect(plain.status).toBe(422);
    expect(plain.body.error.message).toContain('frozen by freeze 2000-01-01…2999-12-31 (review)');
    const releases = await api.call<{ releases: ReleaseRecord[] }>(
      'GET',
      '/api/v1/releases?environment=production',
    );
    expect(releases.body.releases).toEqual([]);
  });
});

describe('review: who may replace a scan report a gate has read', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let api: ApiClient;
  const clean = (target: string) =>
    Buffer.from(JSON.stringify({ SchemaVersion: 2, ArtifactName: target, Results: [] }));

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      startupTimeout: '10s',
      productionInstances: 1,
      staging: '    scan: { fail_on: high }',
      production: '    scan: { fail_on: high }',
    });
    server = new ChildServer({ config: cfg.file, dataDir: path.join(tmp.dir, 'data') });
    await server.start();
    api = new ApiClient(server.url);
    for (const v of ['r1', 'r2']) {
      expect((await api.upload(v, await helloBuild(tmp.dir, v))).status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('a staging-scoped deployer may attach and redo a report until a gate reads it, then not; an unscoped one may', async () => {
    const token = async (body: Record<string, unknown>) => {
      const r = await api.call<{ secret: string }>('POST', '/api/v1/tokens', body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.secret;
    };
    const staging = await token({ name: 'ci-staging', role: 'deployer', environments: ['staging'] });
    const unscoped = await token({ name: 'ci', role: 'deployer' });
    const put = (who: string, v: string, body: Buffer) =>
      putRaw(server.url, who, v, body, { 'content-type': 'application/json' });

    expect((await put(staging, 'r1', clean('first'))).status).toBe(201);
    // No gate has read it yet: CI may scan again.
    expect((await put(staging, 'r1', clean('second'))).status).toBe(200);
    const release = await api.deploy('staging', 'r1');
    expect((await api.waitRelease(release.id)).release.state).toBe('succeeded');

    const refused = await put(staging, 'r1', clean('doctored'));
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect((refused.body as ErrorBody).error.message).toMatch(
      new RegExp(`read by the scan gate of ${release.id} \\(staging\\).*ci-staging acts on staging only`),
    );
    const shown = await api.call<{ scan: { target: string } }>('GET', '/api/v1/versions/r1/scan');
    expect(shown.body.scan.target).toBe('second');
    // The same bytes again replace nothing; another version not yet checked is still the scoped CI's.
    expect((await put(staging, 'r1', clean('second'))).status).toBe(200);
    expect((await put(staging, 'r2', clean('r2'))).status).toBe(201);
    // A token that acts on every environment may replace a checked report (and the audit log says who).
    expect((await put(unscoped, 'r1', clean('rescanned'))).status).toBe(200);
  });
});

// Windows at boundaries not covered elsewhere, on an injected clock: Lord Howe's half-hour
// daylight saving, London's Sunday gap, seconds within the closing minute, `to` at midnight, the
// small hours after the last allowed day, a freeze whose days are read in New York.
describe('review: window and freeze boundaries', () => {
  const t = (iso: string) => Date.parse(iso);
  const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
  const env = (windows: WindowConfig[], freezes: FreezeConfig[] = []) =>
    environmentConfig({ windows, freezes });
  const openAt = (e: EnvironmentConfig, at: string) => scheduleAt(e, t(at)).open;
  const next = (e: EnvironmentConfig, at: string) => {
    const r = nextOpenAndClose(e, t(at));
    return { open: r.open, nextOpen: iso(r.nextOpen), nextClose: iso(r.nextClose) };
  };

  it('Lord Howe springs forward by 30 minutes: a window inside the gap skips that Sunday; one straddling it opens at the jump', () => {
    const gap = env([{ days: ['sun'], from: '02:00', to: '02:20', tz: 'Australia/Lord_Howe' }]);
    expect(next(gap, '2026-10-03T12:00:00Z')).toEqual({
      open: false,
      nextOpen: '2026-10-10T15:00:00.000Z',
      nextClose: '2026-10-10T15:20:00.000Z',
    });
    const straddle = env([{ days: ['sun'], from: '02:10', to: '03:00', tz: 'Australia/Lord_Howe' }]);
    expect(openAt(straddle, '2026-10-03T15:29:59Z')).toBe(false);
    expect(next(straddle, '2026-10-03T12:00:00Z')).toEqual({
      open: false,
      nextOpen: '2026-10-03T15:30:00.000Z',
      nextClose: '2026-10-03T16:00:00.000Z',
    });
  });

  it('Lord Howe falls back by 30 minutes: a 01:30–02:00 window is open through both half-hours', () => {
    const w = env([{ days: ['sun'], from: '01:30', to: '02:00', tz: 'Australia/Lord_Howe' }]);
    expect(next(w, '2026-04-04T12:00:00Z')).toEqual({
      open: false,
      nextOpen: '2026-04-04T14:30:00.000Z',
      nextClose: '2026-04-04T15:30:00.000Z',
    });
    expect(openAt(w, '2026-04-04T15:00:00Z')).toBe(true);
  });

  it('London: a Sunday 01:00–02:00 window never opens on the day the clocks skip that hour, and lasts two hours when they repeat it', () => {
    const w = env([{ days: ['sun'], from: '01:00', to: '02:00', tz: 'Europe/London' }]);
    expect(next(w, '2026-03-28T12:00:00Z').nextOpen).toBe('2026-04-05T00:00:00.000Z');
    expect(next(w, '2026-10-24T12:00:00Z')).toEqual({
      open: false,
      nextOpen: '2026-10-25T00:00:00.000Z',
      nextClose: '2026-10-25T02:00:00.000Z',
    });
  });

  it('seconds count: 03:59:59.999 is inside, and the close is exactly 04:00:00', () => {
    const w = env([{ days: ['tue'], from: '02:00', to: '04:00', tz: 'UTC' }]);
    expect(next(w, '2026-05-12T03:59:59.999Z')).toEqual({
      open: true,
      nextClose: '2026-05-12T04:00:00.000Z',
      nextOpen: '2026-05-19T02:00:00.000Z',
    });
    expect(next(w, '2026-05-12T01:59:59.999Z').nextOpen).toBe('2026-05-12T02:00:00.000Z');
  });

  it('`to: 00:00` closes at midnight; a fri 23:00–01:00 window is open early Saturday, not late Saturday', () => {
    const midnight = env([{ days: ['sun'], from: '22:00', to: '00:00', tz: 'UTC' }]);
    expect(openAt(midnight, '2026-05-17T23:59:59Z')).toBe(true);
    expect(openAt(midnight, '2026-05-18T00:00:00Z')).toBe(false);
    expect(next(midnight, '2026-05-17T22:30:00Z').nextClose).toBe('2026-05-18T00:00:00.000Z');
    const friday = env([{ days: ['fri'], from: '23:00', to: '01:00', tz: 'UTC' }]);
    expect(openAt(friday, '2026-05-16T00:30:00Z')).toBe(true);
    expect(openAt(friday, '2026-05-16T01:00:00Z')).toBe(false);
    expect(openAt(friday, '2026-05-16T23:30:00Z')).toBe(false);
    expect(openAt(friday, '2026-05-15T00:30:00Z')).toBe(false);
    expect(next(friday, '2026-05-16T01:00:00Z').nextOpen).toBe('2026-05-22T23:00:00.000Z');
  });

  it('a freeze read in New York: closed from midnight there on its first day, next opening after its last day', () => {
    const e = env(
      [
        {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          from: '09:00',
          to: '17:00',
          tz: 'America/New_York',
        },
      ],
      [{ from: '2026-07-03', to: '2026-07-05', reason: 'holiday' }],
    );
    expect(next(e, '2026-07-02T20:59:00Z')).toEqual({
      open: true,
      nextClose: '2026-07-02T21:00:00.000Z',
      nextOpen: '2026-07-06T13:00:00.000Z',
    });
    const view = environmentPolicyView(e, t('2026-07-06T03:59:59Z'));
    expect(view.open).toBe(false);
    expect(view.reason).toContain('holiday');
    expect(view.freezes[0]).toMatchObject({
      startsAt: '2026-07-03T04:00:00.000Z',
      endsAt: '2026-07-06T04:00:00.000Z',
    });
    expect(view.nextOpen?.at).toBe('2026-07-06T13:00:00.000Z');
  });
});
