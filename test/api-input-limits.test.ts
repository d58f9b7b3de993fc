// Input at the edges, against a real server and the real CLI (in process): durations and relative
// times far too large for a date are 400s naming the bound (they were 500 RangeError); a version
// name of 128 characters works in bodies, the webhook's naming and every URL (101–128 answered
// 414); promote to the environment it comes from is refused; the CLI shows control characters in
// user text instead of sending them to the terminal.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { runCli } from '../src/cli/program.ts';
import { escapeControls, escapeControlsKeepingLines } from '../src/cli/terminal-text.ts';
import { parseConfig } from '../src/config/load.ts';
import { MAX_DURATION_MS, parseDuration } from '../src/config/units.ts';
import { silentLogger } from '../src/lib/log.ts';
import { MAX_VERSION_NAME_LENGTH } from '../src/lib/names.ts';
import { versionForRef } from '../src/triggers/index.ts';
import { ApiClient, helloBuild, tempDir, writeHelloConfig } from './helpers/gantry.ts';

const HUGE = '99999999999d';

describe('input limits through a real server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;

  const cli = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GANTRY_URL: server.url, GANTRY_TOKEN: api.token ?? '' },
    });
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { startupTimeout: '10s', productionInstances: 1 });
    server = await startServer({
      config: cfg.file,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('answers 400 naming the bound to every duration and relative time beyond 100 years', async () => {
    const asks: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/tokens', { role: 'viewer', expiresIn: HUGE }],
      [
        'POST',
        '/api/v1/silences',
        { matchers: [{ name: 'alertname', value: 'x' }], duration: HUGE, comment: 'long' },
      ],
      ['GET', `/api/v1/logs?since=-${HUGE}`],
      ['GET', `/api/v1/logs?until=${HUGE}`],
      ['GET', `/api/v1/metrics?environment=staging&metric=http_requests&from=-${HUGE}`],
      ['GET', `/api/v1/metrics?environment=staging&metric=http_requests&to=now-${HUGE}`],
      ['GET', `/api/v1/metrics?environment=staging&metric=http_requests&step=${HUGE}`],
      ['GET', `/api/v1/incidents/stats?since=-${HUGE}`],
    ];
    for (const [method, p, body] of asks) {
      const res = await api.call<{ error: { code: string; message: string } }>(method, p, body);
      expect(res.status, `${method} ${p}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.message, p).toContain('36500d');
    }
    // Just inside the bound still works.
    const ok = await api.call('POST', '/api/v1/tokens', { role: 'viewer', expiresIn: '36500d' });
    expect(ok.status).toBe(201);
  });

  it('the CLI refuses such durations before asking (exit 2), naming the bound', async () => {
    for (const args of [
      ['tokens', 'create', '--role', 'viewer', '--expires', HUGE],
      ['logs', '--env', 'staging', '--since', `-${HUGE}`],
      ['metrics', '--env', 'staging', '--metric', 'http_requests', '--since', HUGE],
      ['silences', 'create', '--match', 'alertname=x', '--for', HUGE, '--reason', 'r'],
      ['incidents', 'stats', '--since', HUGE],
    ]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain('36500d');
    }
  });

  it('a version name of the longest allowed length works in bodies and every URL; one longer is a 400 naming the limit', async () => {
    const long = `v${'1'.repeat(MAX_VERSION_NAME_LENGTH - 1)}`;
    expect(versionForRef(`refs/tags/${long}`).version).toBe(long);
    expect((await api.upload(long, await helloBuild(tmp.dir, 'long'))).status).toBe(201);
    const scan = await api.call<{ error: { code: string } }>('GET', `/api/v1/versions/${long}/scan`);
    expect(scan.status).toBe(404);
    expect(scan.body.error.code).toBe('NOT_FOUND');
    const release = await api.call<{ release: { id: string } }>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: long,
    });
    expect(release.status, JSON.stringify(release.body)).toBe(201);
    expect((await api.waitRelease(release.body.release.id)).release.state).toBe('succeeded');
    const tooLong = `${long}1`;
    expect(versionForRef(`refs/tags/${tooLong}`).error).toContain(`at most ${MAX_VERSION_NAME_LENGTH}`);
    for (const p of [`/api/v1/versions/${tooLong}/scan`]) {
      const res = await api.call<{ error: { message: string } }>('GET', p);
      expect(res.status, p).toBe(400);
      expect(res.body.error.message).toContain(`at most ${MAX_VERSION_NAME_LENGTH}`);
    }
  }, 60_000);

  it('promote to the environment it comes from is refused with 400 (CLI exit 2), starting nothing', async () => {
    const before = await api.call<{ releases: unknown[] }>('GET', '/api/v1/releases?limit=500');
    const res = await api.call<{ error: { code: string; message: string } }>('POST', '/api/v1/promote', {
      from: 'staging',
      to: 'staging',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('from and to name the same environment');
    const run = await cli(['promote', '--from', 'staging', '--to', 'staging']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('same environment');
    const after = await api.call<{ releases: unknown[] }>('GET', '/api/v1/releases?limit=500');
    expect(after.body.releases).toHaveLength(before.body.releases.length);
  });

  it('the CLI prints control characters of user text visibly, in tables and lines', async () => {
    const evil = 'deploy \x1b]0;pwned\x07\x1b[2J\x1b[31mred\r\u009b1m';
    const created = await cli([
      'silences',
      'create',
      '--match',
      'alertname=x',
      '--for',
      '1h',
      '--reason',
      evil,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const token = await api.call('POST', '/api/v1/tokens', { role: 'viewer', name: 'ci\x1b[8mhidden' });
    expect(token.status).toBe(201);
    for (const args of [
      ['silences', 'list'],
      ['tokens', 'list'],
      ['silences', 'create', '--match', 'alertname=y', '--for', '1h', '--reason', evil],
    ]) {
      const run = await cli(args);
      const out = run.stdout + run.stderr;
      for (const c of ['\x1b', '\x07', '\r', '\u009b']) expect(out, args.join(' ')).not.toContain(c);
    }
    const listed = (await cli(['silences', 'list'])).stdout;
    expect(listed).toContain('deploy \\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x0d\\x9b1m');
    expect((await cli(['tokens', 'list'])).stdout).toContain('ci\\x1b[8mhidden');
  });
});

describe('durations and control characters, directly', () => {
  it('parseDuration refuses what is beyond 100 years; gantry.yaml says so at the key', () => {
    expect(parseDuration('36500d')).toBe(MAX_DURATION_MS);
    expect(parseDuration('36500d1ms')).toBeUndefined();
    expect(parseDuration(HUGE)).toBeUndefined();
    expect(() =>
      parseConfig(
        `service: s\nrun: { command: x }\nenvironments:\n  staging:\n    listen: 127.0.0.1:9\nhealth:\n  startup_timeout: ${HUGE}\n`,
        'gantry.yaml',
      ),
    ).toThrow(/gantry.yaml:7:\d+ health.startup_timeout: .*at most 36500d/);
  });

  it('escapes C0, DEL, C1 and direction overrides; lines keep newlines and tabs', () => {
    expect(escapeControls('a\x1b[1mb\nc\td\x7f\u009b\u202e')).toBe('a\\x1b[1mb\\x0ac\\x09d\\x7f\\x9b\\u202e');
    expect(escapeControlsKeepingLines('a\x1b[1mb\nc\td\r')).toBe('a\\x1b[1mb\nc\td\\x0d');
    expect(escapeControls('plain ünïcödé ✓')).toBe('plain ünïcödé ✓');
  });
});
