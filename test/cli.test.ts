// The CLI against a real loopback HTTP server that answers the few endpoints it calls with canned,
// correctly shaped bodies: a test of the client; the end-to-end tests cover the real server.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseEventRecord, ReleaseRecord, StatusBody } from '../src/api/types.ts';
import type { ServerOptions } from '../src/cli/commands/server.ts';
import type { ValidateResult } from '../src/cli/commands/validate.ts';
import { type CliDeps, runCli } from '../src/cli/program.ts';

interface Seen {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

/** The outside peer: node:http on port 0, with routes set per test. */
class FakeGantry {
  readonly seen: Seen[] = [];
  readonly #routes = new Map<string, Handler>();
  readonly #server = http.createServer((req, res) => void this.#handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  reset(): void {
    this.seen.length = 0;
    this.#routes.clear();
  }

  on(method: string, pathname: string, handler: Handler): void {
    this.#routes.set(`${method} ${pathname}`, handler);
  }

  requests(method: string, pathname: string): Seen[] {
    return this.seen.filter((s) => s.method === method && s.url.pathname === pathname);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const body = Buffer.concat(chunks);
    this.seen.push({ method: req.method ?? '', url, headers: req.headers, body });
    const handler = this.#routes.get(`${req.method} ${url.pathname}`);
    if (!handler)
      return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } });
    await handler(req, res, body);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function apiError(res: ServerResponse, status: number, code: string, message: string, hint?: string): void {
  sendJson(res, status, { error: { code, message, ...(hint ? { hint } : {}) } });
}

function release(over: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    id: 'rel_test1',
    service: 'hello',
    environment: 'staging',
    kind: 'deploy',
    version: 'v2',
    previousVersion: 'v1',
    strategy: 'rolling',
    state: 'pending',
    reason: null,
    message: null,
    plan: { newInstanceIds: [], oldInstanceIds: [] },
    ref: null,
    createdBy: null,
    createdAt: '2026-05-01T12:03:00.000Z',
    updatedAt: '2026-05-01T12:03:00.000Z',
    finishedAt: null,
    ...over,
  };
}

function event(
  seq: number,
  state: ReleaseEventRecord['state'],
  message: string,
  type = 'state',
): ReleaseEventRecord {
  return {
    releaseId: 'rel_test1',
    seq,
    at: `2026-05-01T12:03:0${seq}.000Z`,
    type,
    state,
    message,
    data: null,
  };
}

const EVENTS = [
  event(1, 'starting', 'starting 1 instance of v2'),
  event(2, 'verifying', 'waiting for v2 to become ready'),
  event(3, null, '1/1 instances ready (v2)', 'instance.ready'),
  event(4, 'succeeded', 'staging now serves v2'),
];
const SUCCEEDED = release({
  state: 'succeeded',
  finishedAt: '2026-05-01T12:03:03.200Z',
  message: 'staging now serves v2',
});
const FAILED = release({
  version: 'v3',
  state: 'failed',
  reason: 'NotReady',
  message: 'v3 never became ready: instance staging-v3-ab12 exited with code 1; last output: "Error: boom"',
  finishedAt: '2026-05-01T12:03:05.000Z',
});

function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write('retry: 50\n\n');
}

function writeSse(res: ServerResponse, events: ReleaseEventRecord[], end?: ReleaseRecord): void {
  for (const e of events) res.write(`event: release-event\nid: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
  if (end) res.end(`event: end\ndata: ${JSON.stringify(end)}\n\n`);
}

/** `watch` fetches the release (for its header line) before following its events. */
function serveRelease(server: FakeGantry, rel: ReleaseRecord = release()): void {
  server.on('GET', '/api/v1/releases/rel_test1', (_req, res) =>
    sendJson(res, 200, { release: rel, events: [] }),
  );
}

function serveEvents(server: FakeGantry, events: ReleaseEventRecord[], end: ReleaseRecord): void {
  serveRelease(server);
  server.on('GET', '/api/v1/releases/rel_test1/events', (_req, res) => {
    openSse(res);
    writeSse(res, events, end);
  });
}

function acceptUpload(server: FakeGantry, status = 201): void {
  server.on('POST', '/api/v1/versions/v2/artifact', (_req, res, body) => {
    sendJson(res, status, {
      created: status === 201,
      version: {
        service: 'hello',
        version: 'v2',
        artifactKind: 'dir',
        sha256: 'ab'.repeat(32),
        sizeBytes: body.length,
        gitRef: null,
        gitCommit: null,
        createdAt: '2026-05-01T12:02:59.000Z',
      },
    });
  });
}

function startRelease(server: FakeGantry, rel: ReleaseRecord = release(), chosenBy?: string): void {
  server.on('POST', '/api/v1/releases', (_req, res) =>
    sendJson(res, 201, { release: rel, ...(chosenBy ? { chosenBy } : {}) }),
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const thisFile = fileURLToPath(import.meta.url);
let server: FakeGantry;
let tmp: string;
let appDir: string;

async function run(
  argv: string[],
  opts: { env?: Record<string, string>; deps?: CliDeps; tty?: boolean; url?: string } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const env = { GANTRY_URL: opts.url ?? server.url, GANTRY_DATA_DIR: path.join(tmp, 'no-data'), ...opts.env };
  const code = await runCli(
    argv,
    {
      stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty ?? false },
      stderr: { write: (s: string) => (stderr += s), isTTY: opts.tty ?? false },
      env,
    },
    opts.deps,
  );
  return { code, stdout, stderr };
}

function jsonLines(text: string): unknown[] {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

beforeAll(async () => {
  server = new FakeGantry();
  await server.start();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-cli-test-'));
  appDir = path.join(tmp, 'app');
  await mkdir(appDir);
  await writeFile(
    path.join(appDir, 'server.js'),
    `console.log('hello from v2');\n${'// padding\n'.repeat(200)}`,
  );
  await writeFile(path.join(appDir, 'package.json'), '{"name":"hello","type":"module"}\n');
});

afterAll(async () => {
  await server.stop();
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => server.reset());

describe('usage', () => {
  const commands = [
    'server',
    'validate',
    'deploy',
    'release',
    'promote',
    'rollback',
    'status',
    'history',
    'watch',
  ];

  it.each(['gantry', ...commands])('%s --help exits 0, shows an example and --json', async (name) => {
    const r = await run(name === 'gantry' ? ['--help'] : [name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('Examples:');
  });

  it.each([
    ['unknown command', ['deploi']],
    ['unknown option', ['status', '--bogus']],
    ['missing required option', ['deploy', '--env', 'staging', '--artifact', '.']],
    ['no command', []],
    [
      'both --artifact and --image',
      ['deploy', '--env', 's', '--version', 'v2', '--artifact', '.', '--image', 'x'],
    ],
    ['neither --artifact nor --image', ['deploy', '--env', 's', '--version', 'v2']],
    ['a bad --limit', ['history', '--env', 'staging', '--limit', '0']],
    ['an excess argument', ['status', 'extra']],
    ['a missing artifact', ['deploy', '--env', 's', '--version', 'v2', '--artifact', '/nonexistent/dir']],
    [
      'an artifact file that is no .tar.gz',
      ['deploy', '--env', 's', '--version', 'v2', '--artifact', thisFile],
    ],
  ])('%s is a usage error (exit 2)', async (_name, argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toBe('');
    expect(server.requests('POST', '/api/v1/releases')).toHaveLength(0);
  });

  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('validate', () => {
  const valid = (): ValidateResult => ({
    ok: true,
    summary: { service: 'hello', environments: ['staging', 'production'] },
  });
  const invalid = (): ValidateResult => ({
    ok: false,
    issues: [
      {
        file: 'gantry.yaml',
        line: 9,
        column: 16,
        path: 'environments.staging.instances',
        message: 'expected a whole number ≥ 1',
      },
      {
        file: 'gantry.yaml',
        line: 2,
        column: 1,
        path: 'servce',
        message: 'unknown key (did you mean "service"?)',
      },
    ],
  });

  it('says a valid file is valid', async () => {
    const files: string[] = [];
    const r = await run(['validate'], {
      deps: {
        validateConfig: (f) => {
          files.push(f);
          return valid();
        },
      },
    });
    expect(r.code).toBe(0);
    expect(files).toEqual(['gantry.yaml']);
    expect(r.stdout).toBe('gantry.yaml is valid: service hello, environments staging, production\n');
  });

  it('prints every issue as file:line:col path: message and exits 2', async () => {
    const r = await run(['validate', '--config', 'gantry.yaml'], {
      deps: { validateConfig: async () => invalid() },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'gantry.yaml:9:16 environments.staging.instances: expected a whole number ≥ 1\n',
    );
    expect(r.stderr).toContain('gantry.yaml:2:1 servce: unknown key');
  });

  it('--json prints {valid, issues}', async () => {
    const bad = await run(['validate', '--json'], { deps: { validateConfig: invalid } });
    expect(bad.code).toBe(2);
    const body = JSON.parse(bad.stdout) as { valid: boolean; issues: unknown[] };
    expect(body.valid).toBe(false);
    expect(body.issues).toHaveLength(2);
    const good = await run(['validate', '--json'], { deps: { validateConfig: valid } });
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, issues: [] });
  });
});

describe('server', () => {
  it('passes parsed options to the injected startServer', async () => {
    const calls: ServerOptions[] = [];
    const deps: CliDeps = { startServer: async (o) => void calls.push(o) };
    const r = await run(
      [
        'server',
        '--config',
        'x.yaml',
        '--listen',
        '127.0.0.1:0',
        '--initial-version',
        'v1',
        '--initial-artifact',
        'dist',
        '--log-level',
        'debug',
        '--data-plane-workers',
        '2',
        '--upgrade',
      ],
      { deps, env: { GANTRY_DATA_DIR: '/srv/gantry' } },
    );
    expect(r.code).toBe(0);
    expect(calls).toEqual([
      {
        config: ['x.yaml'],
        dataDir: '/srv/gantry',
        listen: '127.0.0.1:0',
        initialVersion: 'v1',
        initialArtifact: 'dist',
        logLevel: 'debug',
        json: false,
        dataPlaneWorkers: 2,
        upgrade: true,
      },
    ]);
    await run(['server'], { deps, env: { GANTRY_DATA_DIR: '' } });
    expect(calls[1]).toEqual({
      config: ['gantry.yaml'],
      dataDir: '.gantry',
      listen: '127.0.0.1:7070',
      json: false,
      dataPlaneWorkers: 1,
      upgrade: false,
    });
    const bad = await run(['server', '--data-plane-workers', '0'], { deps });
    expect(bad.code).toBe(2);
  });

  it('takes the refusal limit from --refusal-limit, else GANTRY_REFUSAL_LIMIT', async () => {
    const calls: ServerOptions[] = [];
    const deps: CliDeps = { startServer: async (o) => void calls.push(o) };
    expect((await run(['server', '--refusal-limit', '100'], { deps })).code).toBe(0);
    expect((await run(['server'], { deps, env: { GANTRY_REFUSAL_LIMIT: '7' } })).code).toBe(0);
    expect(calls.map((c) => c.refusalLimit)).toEqual([100, 7]);
    const bad = await run(['server'], { deps, env: { GANTRY_REFUSAL_LIMIT: 'lots' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('GANTRY_REFUSAL_LIMIT is not a count: lots');
  });

  it('takes the artifact entry limit from --max-artifact-entries, else GANTRY_MAX_ARTIFACT_ENTRIES', async () => {
    const calls: ServerOptions[] = [];
    const deps: CliDeps = { startServer: async (o) => void calls.push(o) };
    expect((await run(['server', '--max-artifact-entries', '250000'], { deps })).code).toBe(0);
    expect((await run(['server'], { deps, env: { GANTRY_MAX_ARTIFACT_ENTRIES: '5000' } })).code).toBe(0);
    expect((await run(['server'], { deps })).code).toBe(0);
    expect(calls.map((c) => c.maxArtifactEntries)).toEqual([250000, 5000, undefined]);
    const bad = await run(['server'], { deps, env: { GANTRY_MAX_ARTIFACT_ENTRIES: 'many' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('GANTRY_MAX_ARTIFACT_ENTRIES is not a count: many');
    const flag = await run(['server', '--max-artifact-entries', '0'], { deps });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('expected a whole number of at least 1, like 100000');
  });

  it('takes the store from --store, else GANTRY_STORE; without either, none (SQLite in the data dir)', async () => {
    const calls: ServerOptions[] = [];
    const deps: CliDeps = { startServer: async (o) => void calls.push(o) };
    const url = 'postgresql://gantry@db.internal:5432/gantry';
    expect(
      (await run(['server', '--store', url], { deps, env: { GANTRY_STORE: 'postgres://x/y' } })).code,
    ).toBe(0);
    expect((await run(['server'], { deps, env: { GANTRY_STORE: 'postgres://x/y' } })).code).toBe(0);
    expect((await run(['server'], { deps, env: { GANTRY_STORE: '' } })).code).toBe(0);
    expect(calls.map((c) => c.store)).toEqual([url, 'postgres://x/y', undefined]);
    const bad = await run(['server'], { deps, env: { GANTRY_STORE: 'mysql://db/gantry' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('GANTRY_STORE is not a PostgreSQL URL');
  });

  it.each([
    ['a --store that is no PostgreSQL URL', ['server', '--store', 'gantry.db']],
    ['a bad --listen', ['server', '--listen', 'localhost']],
    ['--initial-version alone', ['server', '--initial-version', 'v1']],
    ['an unknown --log-level', ['server', '--log-level', 'loud']],
    ['a --refusal-limit of 0', ['server', '--refusal-limit', '0']],
    ['a --refusal-limit that is no count', ['server', '--refusal-limit', '10/m']],
  ])('rejects %s with exit 2', async (_name, argv) => {
    const r = await run(argv, { deps: { startServer: async () => {} } });
    expect(r.code).toBe(2);
  });
});

describe('deploy and release', () => {
  it('streams a packed directory, then starts the release', async () => {
    let uploaded: Buffer = Buffer.alloc(0);
    server.on('POST', '/api/v1/versions/v2/artifact', (req, res, body) => {
      uploaded = body;
      expect(req.headers['content-type']).toBe('application/gzip');
      acceptUploadBody(res, body);
    });
    startRelease(server);
    const r = await run(['deploy', '--env', 'staging', '--version', 'v2', '--artifact', appDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect([uploaded[0], uploaded[1]]).toEqual([0x1f, 0x8b]);
    expect(uploaded.length).toBeGreaterThan(100);
    expect(gunzipSync(uploaded).toString('latin1')).toContain('hello from v2');
    expect(JSON.parse(server.requests('POST', '/api/v1/releases')[0]?.body.toString() ?? '')).toEqual({
      environment: 'staging',
      version: 'v2',
    });
    expect(r.stdout).toContain('uploaded v2 (');
    expect(r.stdout).toContain('release rel_test1 started: staging → v2 (rolling)');
  });

  it('streams a .tar.gz file as is, with progress on a terminal', async () => {
    const file = path.join(tmp, 'build.tar.gz');
    const bytes = gzipSync(Buffer.alloc(300_000, 7));
    await writeFile(file, bytes);
    acceptUpload(server);
    startRelease(server);
    const r = await run(
      ['deploy', '--env', 'staging', '--version', 'v2', '--artifact', file, '--commit', 'abc123'],
      {
        tty: true,
      },
    );
    expect(r.code).toBe(0);
    const [upload] = server.requests('POST', '/api/v1/versions/v2/artifact');
    expect(upload?.body.equals(bytes)).toBe(true);
    expect(upload?.url.searchParams.get('commit')).toBe('abc123');
    expect(r.stderr).toContain(`uploading v2: `);
    expect(r.stderr).toContain(' / ');
  });

  it('accepts bytes already uploaded (200) and says so', async () => {
    acceptUpload(server, 200);
    startRelease(server);
    const r = await run(['deploy', '--env', 'staging', '--version', 'v2', '--artifact', appDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('already uploaded with the same checksum');
  });

  it('fails (exit 1) when the version exists with other bytes (409), with message and hint', async () => {
    server.on('POST', '/api/v1/versions/v2/artifact', (_req, res) =>
      apiError(
        res,
        409,
        'VERSION_EXISTS',
        'version v2 already exists with different content',
        'Versions are immutable.',
      ),
    );
    const r = await run(['deploy', '--env', 'staging', '--version', 'v2', '--artifact', appDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: version v2 already exists with different content\nhint: Versions are immutable.\n',
    );
    expect(server.requests('POST', '/api/v1/releases')).toHaveLength(0);
  });

  it('release prints the environment the server chose and why', async () => {
    acceptUpload(server);
    startRelease(
      server,
      release({ kind: 'release', ref: 'refs/heads/main' }),
      'ref refs/heads/main matches staging track.branch main',
    );
    const r = await run(['release', '--ref', 'refs/heads/main', '--version', 'v2', '--artifact', appDir]);
    expect(r.code).toBe(0);
    expect(server.requests('POST', '/api/v1/versions/v2/artifact')[0]?.url.searchParams.get('ref')).toBe(
      'refs/heads/main',
    );
    expect(JSON.parse(server.requests('POST', '/api/v1/releases')[0]?.body.toString() ?? '')).toEqual({
      ref: 'refs/heads/main',
      version: 'v2',
    });
    expect(r.stdout).toContain(
      'environment staging chosen: ref refs/heads/main matches staging track.branch main',
    );
  });

  it('release exits 2 when no track rule matches (422 NO_TRACK_MATCH)', async () => {
    acceptUpload(server);
    server.on('POST', '/api/v1/releases', (_req, res) =>
      apiError(
        res,
        422,
        'NO_TRACK_MATCH',
        'no environment tracks ref refs/heads/feature-x',
        'Add a `track` rule.',
      ),
    );
    const r = await run([
      'release',
      '--ref',
      'refs/heads/feature-x',
      '--version',
      'v2',
      '--artifact',
      appDir,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: no environment tracks ref refs/heads/feature-x\nhint: Add a `track` rule.',
    );
  });

  it('--image has the server pull the image instead of uploading, and prints its error', async () => {
    server.on('POST', '/api/v1/versions/v2/image', (_req, res) =>
      apiError(
        res,
        422,
        'RUNTIME_UNAVAILABLE',
        'cannot release image registry.local/hello:v2: this server runs processes',
      ),
    );
    const r = await run([
      'deploy',
      '--env',
      'staging',
      '--version',
      'v2',
      '--image',
      'registry.local/hello:v2',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: cannot release image registry.local/hello:v2: this server runs processes',
    );
    expect(server.requests('POST', '/api/v1/versions/v2/artifact')).toHaveLength(0);
    expect(server.requests('POST', '/api/v1/releases')).toHaveLength(0);
    expect(
      JSON.parse(server.requests('POST', '/api/v1/versions/v2/image')[0]?.body.toString() ?? ''),
    ).toMatchObject({ image: 'registry.local/hello:v2' });
  });

  it('--json without --wait prints the response body', async () => {
    acceptUpload(server);
    startRelease(server);
    const r = await run(['deploy', '--env', 'staging', '--version', 'v2', '--artifact', appDir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ release: release() });
  });
});

function acceptUploadBody(res: ServerResponse, body: Buffer): void {
  sendJson(res, 201, {
    created: true,
    version: {
      service: 'hello',
      version: 'v2',
      artifactKind: 'dir',
      sha256: 'cd'.repeat(32),
      sizeBytes: body.length,
      gitRef: null,
      gitCommit: null,
      createdAt: '2026-05-01T12:02:59.000Z',
    },
  });
}

describe('--wait and watch', () => {
  it('deploy --wait follows the stream to success (exit 0)', async () => {
    acceptUpload(server);
    startRelease(server);
    serveEvents(server, EVENTS, SUCCEEDED);
    const r = await run(['deploy', '--env', 'staging', '--version', 'v2', '--artifact', appDir, '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d verifying {4}waiting for v2 to become ready\n/);
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d verifying {4}1\/1 instances ready \(v2\)\n/);
    expect(r.stdout).toContain('✔ staging now serves v2 (3.2 s)\n');
  });

  it('rollback --wait follows the stream to failure (exit 1) and prints the reason', async () => {
    server.on('POST', '/api/v1/rollback', (_req, res) =>
      sendJson(res, 201, { release: release({ kind: 'rollback' }) }),
    );
    serveEvents(
      server,
      [event(1, 'starting', 'starting v3'), event(2, 'failed', 'v3 never became ready')],
      FAILED,
    );
    const r = await run(['rollback', '--env', 'staging', '--to', 'v3', '--wait']);
    expect(r.code).toBe(1);
    expect(JSON.parse(server.requests('POST', '/api/v1/rollback')[0]?.body.toString() ?? '')).toEqual({
      environment: 'staging',
      to: 'v3',
    });
    expect(r.stdout).toContain(
      '✘ release rel_test1 failed: v3 never became ready: instance staging-v3-ab12 exited with code 1; last output: "Error: boom"\n',
    );
  });

  it('reconnects with Last-Event-ID after the server drops the stream', async () => {
    serveRelease(server);
    let connections = 0;
    server.on('GET', '/api/v1/releases/rel_test1/events', (_req, res) => {
      connections++;
      openSse(res);
      if (connections === 1) {
        writeSse(res, EVENTS.slice(0, 2));
        setTimeout(() => res.socket?.destroy(), 50);
      } else {
        // A server may resend from an older id: the client must not show an event twice.
        writeSse(res, EVENTS.slice(1), SUCCEEDED);
      }
    });
    const r = await run(['watch', 'rel_test1']);
    expect(r.code).toBe(0);
    const streams = server.requests('GET', '/api/v1/releases/rel_test1/events');
    expect(streams).toHaveLength(2);
    expect(streams[0]?.headers['last-event-id']).toBeUndefined();
    expect(streams[1]?.headers['last-event-id']).toBe('2');
    expect(streams[1]?.headers.accept).toBe('text/event-stream');
    expect(r.stdout.match(/waiting for v2 to become ready/g)).toHaveLength(1);
    expect(r.stdout).toContain('1/1 instances ready (v2)');
    expect(r.stdout).toContain('✔ staging now serves v2');
  });

  it('watch --json of a finished release prints one JSON object per line, the release last', async () => {
    serveEvents(server, EVENTS, SUCCEEDED);
    const r = await run(['watch', 'rel_test1', '--json']);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.slice(0, -1)).toEqual(EVENTS);
    expect(lines.at(-1)).toEqual(SUCCEEDED);
  });

  it('promote --wait --json ends with the failed release and exit 1', async () => {
    server.on('POST', '/api/v1/promote', (_req, res) =>
      sendJson(res, 201, { release: release({ kind: 'promote' }) }),
    );
    serveEvents(server, EVENTS.slice(0, 1), FAILED);
    const r = await run(['promote', '--from', 'staging', '--to', 'production', '--wait', '--json']);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ state: 'failed' });
  });

  it('shows a spinner on a terminal and still prints every event and the outcome', async () => {
    serveEvents(server, EVENTS, SUCCEEDED);
    const r = await run(['watch', 'rel_test1'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('release rel_test1: staging v1 → v2 (rolling), pending\n');
    expect(r.stdout).toMatch(/⠋ rel_test1 waiting · 0\.\d s/);
    expect(r.stdout).toContain('1/1 instances ready (v2)\n');
    expect(r.stdout.endsWith('✔ staging now serves v2 (3.2 s)\n')).toBe(true);
  });

  it('watch of an unknown release exits 2 with the server message', async () => {
    const r = await run(['watch', 'rel_nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no route /api/v1/releases/rel_nope\n');
    const j = await run(['watch', 'rel_nope', '--json']);
    expect(j.code).toBe(2);
    expect(j.stderr).toContain('error: no route /api/v1/releases/rel_nope/events');
  });
});

describe('status and history', () => {
  const body: StatusBody = {
    service: 'hello',
    server: { version: '0.1.0', startedAt: '2026-05-01T12:00:00.000Z', dataDir: '.gantry' },
    environments: [
      {
        service: 'hello',
        name: 'staging',
        url: 'http://127.0.0.1:8081',
        listen: '127.0.0.1:8081',
        currentVersion: 'v2',
        currentReleaseId: 'rel_test1',
        strategy: 'rolling',
        desiredInstances: 1,
        readyInstances: 1,
        activeRelease: null,
        track: { branch: ['main'] },
        requires: null,
        instances: [
          {
            id: 'staging-v2-ab12',
            environment: 'staging',
            version: 'v2',
            state: 'running',
            ready: true,
            handle: { driver: 'process', pid: 4242, startTime: '123456' },
            runtimeRef: 'pid 4242',
            port: 41234,
            restarts: 0,
            startedAt: '2026-05-01T12:03:01.000Z',
            lastExit: null,
            lastProbe: null,
          },
        ],
      },
    ],
  };

  it('status prints a table per environment; --json the body', async () => {
    server.on('GET', '/api/v1/status', (_req, res) => sendJson(res, 200, body));
    const r = await run(['status', '--env', 'staging']);
    expect(r.code).toBe(0);
    expect(server.seen[0]?.url.searchParams.get('environment')).toBe('staging');
    expect(r.stdout).toMatch(/staging\s+http:\/\/127\.0\.0\.1:8081\s+v2\s+1\/1 ready/);
    expect(r.stdout).toMatch(/staging-v2-ab12\s+v2\s+running\s+yes\s+pid 4242\s+41234\s+0/);
    const j = await run(['status', '--json']);
    expect(JSON.parse(j.stdout)).toEqual(body);
    const global = await run(['--json', 'status']);
    expect(JSON.parse(global.stdout)).toEqual(body);
  });

  it('history lists releases newest first; --json the body', async () => {
    const list = {
      releases: [
        SUCCEEDED,
        release({
          id: 'rel_old',
          version: 'v1',
          previousVersion: null,
          state: 'succeeded',
          finishedAt: '2026-05-01T12:03:10.000Z',
        }),
      ],
    };
    server.on('GET', '/api/v1/releases', (_req, res) => sendJson(res, 200, list));
    const r = await run(['history', '--env', 'staging', '--limit', '5']);
    expect(r.code).toBe(0);
    expect(server.seen[0]?.url.searchParams.get('limit')).toBe('5');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+VERSION\s+PREVIOUS\s+STATE\s+STARTED\s+DURATION\s+MESSAGE$/);
    expect(lines[1]).toMatch(
      /^rel_test1\s+deploy\s+v2\s+v1\s+succeeded\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+3\.2 s\s+staging now serves v2$/,
    );
    expect(lines[2]).toMatch(/^rel_old\s+deploy\s+v1\s+-\s+succeeded/);
    const j = await run(['history', '--env', 'staging', '--json']);
    expect(JSON.parse(j.stdout)).toEqual(list);
  });
});

describe('connection and auth', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmp, 'data-'));
    server.on('GET', '/api/v1/releases', (_req, res) => sendJson(res, 200, { releases: [] }));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says how to fix a refused connection (exit 1)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await run(['status'], { url });
    expect(r.code).toBe(1);
    const w = await run(['watch', 'rel_test1'], { url });
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('connection refused');
    expect(r.stderr).toBe(
      `error: cannot reach Gantry at ${url}: connection refused — is \`gantry server\` running? (--url or GANTRY_URL point elsewhere)\n`,
    );
  });

  it('rejects a GANTRY_URL that is not an http URL (exit 2)', async () => {
    const r = await run(['status'], { url: 'ftp://example' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GANTRY_URL');
  });

  it('takes --url and --token before or after the command name, over GANTRY_URL and GANTRY_TOKEN', async () => {
    await writeFile(path.join(dataDir, 'admin-token'), 'file-token\n');
    // GANTRY_URL points at a closed port: only --url reaches the server.
    const env = { GANTRY_URL: 'http://127.0.0.1:9', GANTRY_TOKEN: 'env-token', GANTRY_DATA_DIR: dataDir };
    const after = await run(['history', '--env', 'staging', '--url', server.url, '--token', 'flag-s3cret'], {
      env,
    });
    expect(after.code, after.stderr).toBe(0);
    expect(server.seen[0]?.headers.authorization).toBe('Bearer flag-s3cret');
    const before = await run(['--url', `${server.url}/`, '--token', 'first', 'history', '--env', 'staging'], {
      env,
    });
    expect(before.code, before.stderr).toBe(0);
    expect(server.seen[1]?.headers.authorization).toBe('Bearer first');
    // The command's own value wins over the program's, and --url alone keeps GANTRY_TOKEN.
    const both = await run(['--token', 'first', 'history', '--env', 'staging', '--token', 'second'], {
      env: { ...env, GANTRY_URL: server.url },
    });
    expect(both.code, both.stderr).toBe(0);
    expect(server.seen[2]?.headers.authorization).toBe('Bearer second');
    const urlOnly = await run(['alarms', 'list', '--url', server.url], { env });
    expect(server.seen[3]?.headers.authorization).toBe('Bearer env-token');
    expect(urlOnly.stdout + urlOnly.stderr + after.stdout + after.stderr).not.toContain('s3cret');
  });

  it('names --url when it is not an http URL, and refuses an empty --token (exit 2)', async () => {
    const bad = await run(['status', '--url', 'ftp://example']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--url must be an http:// or https:// URL');
    const empty = await run(['status', '--token', ' ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--token is empty');
  });

  it('sends GANTRY_TOKEN as a bearer token and never prints it', async () => {
    await writeFile(path.join(dataDir, 'admin-token'), 'file-token\n');
    const r = await run(['history', '--env', 'staging'], {
      env: { GANTRY_TOKEN: 'env-token-s3cret', GANTRY_DATA_DIR: dataDir },
    });
    expect(r.code).toBe(0);
    expect(server.seen[0]?.headers.authorization).toBe('Bearer env-token-s3cret');
    expect(r.stdout + r.stderr).not.toContain('s3cret');
  });

  it('falls back to <data-dir>/admin-token, from GANTRY_DATA_DIR or --data-dir', async () => {
    await writeFile(path.join(dataDir, 'admin-token'), 'file-token-s3cret\n', { mode: 0o600 });
    const r = await run(['history', '--env', 'staging'], { env: { GANTRY_DATA_DIR: dataDir } });
    expect(r.code).toBe(0);
    expect(server.seen[0]?.headers.authorization).toBe('Bearer file-token-s3cret');
    const r2 = await run(['history', '--env', 'staging', '--data-dir', dataDir]);
    expect(r2.code).toBe(0);
    expect(server.seen[1]?.headers.authorization).toBe('Bearer file-token-s3cret');
    const r3 = await run(['history', '--env', 'staging']);
    expect(r3.code).toBe(0);
    expect(server.seen[2]?.headers.authorization).toBeUndefined();
  });

  it('a 401 is bad input (exit 2) with the server hint', async () => {
    server.on('GET', '/api/v1/status', (_req, res) =>
      apiError(
        res,
        401,
        'UNAUTHORIZED',
        'missing or invalid token',
        'Pass a token (GANTRY_TOKEN for the CLI).',
      ),
    );
    const r = await run(['status', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(r.stderr).toContain('hint: Pass a token');
  });

  it('a 500 is a failed operation (exit 1)', async () => {
    server.on('GET', '/api/v1/status', (_req, res) => {
      res.writeHead(502).end('<html>bad gateway</html>');
    });
    const r = await run(['status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: server answered 502 Bad Gateway');
  });
});
