// The example services run directly (no Gantry): each started the way gantry.yaml says, with
// PORT=0 so it picks a free loopback port and names it in its startup output.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  canImportPython,
  hasExecutable,
  MissingPeerError,
  type PeerProcess,
  requirePeer,
  startPeer,
  stopPeers,
} from './helpers/peers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WAIT_MS = 30_000;

type Json = Record<string, unknown>;

const tempDirs: string[] = [];

afterEach(async () => {
  await stopPeers();
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function readRunCommand(example: string): Promise<string> {
  const doc = parse(await readFile(join(ROOT, 'examples', example, 'gantry.yaml'), 'utf8'));
  return doc.run.command;
}

/** A private copy of an example's artifact directory, as Gantry gives each version. */
async function copyArtifact(example: string, knobFile?: Json): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-example-${example}-`));
  tempDirs.push(dir);
  await cp(join(ROOT, 'examples', example, 'app'), dir, { recursive: true });
  if (knobFile) await writeFile(join(dir, 'hello.json'), JSON.stringify(knobFile));
  return dir;
}

/** Runs an example's run.command in `cwd` with PORT=0, so it picks a free port and names it. */
async function startExample(example: string, cwd: string, env: Record<string, string>): Promise<PeerProcess> {
  const command = await readRunCommand(example);
  // `exec` so that the app itself gets SIGTERM and its exit status is what we observe: a plain
  // `sh -c` (dash) would be killed by the signal while the app still drains.
  return startPeer(['/bin/sh', '-c', `exec ${command}`], {
    cwd,
    env: {
      // Our Node (24) first, as under `npm test`; the rest mirrors the process runtime's minimal env.
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? '/tmp',
      LANG: 'C.UTF-8',
      PORT: '0',
      PYTHONDONTWRITEBYTECODE: '1',
      ...env,
    },
  });
}

function jsonLines(p: PeerProcess): Json[] {
  return p.stdout.flatMap((line) => {
    try {
      return [JSON.parse(line) as Json];
    } catch {
      return [];
    }
  });
}

function waitForLog(p: PeerProcess, msg: string): Promise<Json> {
  return p.waitFor(`log line "${msg}"`, () => jsonLines(p).find((l) => l.msg === msg));
}

async function get(base: string, path: string, init: RequestInit = {}) {
  const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(WAIT_MS) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: JSON.parse(text) as Json };
}

async function startHello(env: Record<string, string> = {}, knobFile?: Json) {
  const p = await startExample('hello', await copyArtifact('hello', knobFile), env);
  const line = await waitForLog(p, 'listening');
  return { p, base: `http://127.0.0.1:${line.port}` };
}

describe('examples/hello', () => {
  it('answers every endpoint and logs one JSON line per request', async () => {
    const env = { GANTRY_VERSION: 'v7', GANTRY_ENVIRONMENT: 'staging', GANTRY_INSTANCE_ID: 'staging-v7-1' };
    const { p, base } = await startHello(env);

    const root = await get(base, '/');
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({
      service: 'hello',
      version: 'v7',
      environment: 'staging',
      instance: 'staging-v7-1',
    });
    expect(root.body).toHaveProperty('hostname');
    expect(typeof root.body.uptime_s).toBe('number');

    for (const path of ['/health', '/readiness']) {
      const h = await get(base, path);
      expect(h.status).toBe(200);
      expect(h.type).toContain('application/health+json');
      expect(h.body).toMatchObject({ status: 'pass', version: 'v7' });
      expect(Object.keys(h.body.checks as Json).length).toBeGreaterThan(0);
    }

    const items = await get(base, '/api/items');
    expect(items.status).toBe(200);
    expect((items.body.items as unknown[]).length).toBeGreaterThan(0);
    const echo = await get(base, '/api/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kettle' }),
    });
    expect(echo.status).toBe(201);
    expect(echo.body.received).toEqual({ name: 'kettle' });
    expect((await get(base, '/api/items', { method: 'POST', body: '{nope' })).status).toBe(400);

    expect((await get(base, '/slow?ms=50')).body).toMatchObject({ slept_ms: 50 });
    expect((await get(base, '/slow?ms=abc')).status).toBe(400);
    expect((await get(base, '/nowhere')).status).toBe(404);

    const logged = await p.waitFor('request log of /nowhere', () =>
      jsonLines(p).find((l) => l.msg === 'request' && l.path === '/nowhere'),
    );
    expect(logged).toMatchObject({ level: 30, method: 'GET', status: 404 });
    expect(typeof logged.time).toBe('number');
    expect(typeof logged.ms).toBe('number');
  });

  const knobCases: Array<{
    name: string;
    env: string;
    value: unknown;
    verify: (env: Record<string, string>, file?: Json) => Promise<void>;
  }> = [
    {
      name: 'error_rate',
      env: 'HELLO_ERROR_RATE',
      value: '50%',
      verify: async (env, file) => {
        const { base } = await startHello(env, file);
        const statuses: number[] = [];
        for (let i = 0; i < 10; i++) statuses.push((await get(base, i % 2 ? '/' : '/api/items')).status);
        expect(statuses.filter((s) => s === 500)).toHaveLength(5);
        expect((await get(base, '/health')).status).toBe(200);
      },
    },
    {
      name: 'not_found_rate',
      env: 'HELLO_NOT_FOUND_RATE',
      value: '40%',
      verify: async (env, file) => {
        const { base } = await startHello(env, file);
        const statuses: number[] = [];
        for (let i = 0; i < 10; i++) statuses.push((await get(base, i % 2 ? '/' : '/api/items')).status);
        expect(statuses.filter((s) => s === 404)).toHaveLength(4);
        expect(statuses.filter((s) => s === 200)).toHaveLength(6);
        expect((await get(base, '/health')).status).toBe(200);
      },
    },
    {
      name: 'latency_ms',
      env: 'HELLO_LATENCY_MS',
      value: 300,
      verify: async (env, file) => {
        const { p, base } = await startHello(env, file);
        const began = performance.now();
        expect((await get(base, '/api/items')).status).toBe(200);
        expect(performance.now() - began).toBeGreaterThanOrEqual(290);
        const line = await p.waitFor('request log', () => jsonLines(p).find((l) => l.path === '/api/items'));
        expect(line.ms).toBeGreaterThanOrEqual(290);
      },
    },
    {
      name: 'fail_readiness',
      env: 'HELLO_FAIL_READINESS',
      value: true,
      verify: async (env, file) => {
        const { base } = await startHello(env, file);
        const ready = await get(base, '/readiness');
        expect(ready.status).toBe(503);
        expect(ready.type).toContain('application/health+json');
        expect(ready.body.status).toBe('fail');
        expect((await get(base, '/health')).status).toBe(200);
        expect((await get(base, '/')).status).toBe(200);
      },
    },
    {
      name: 'crash_on_start',
      env: 'HELLO_CRASH_ON_START',
      value: true,
      verify: async (env, file) => {
        const p = await startExample('hello', await copyArtifact('hello', file), env);
        expect((await p.waitForExit()).code).toBe(1);
        expect(p.stderr.join('\n')).toContain('crash_on_start is set');
        expect(jsonLines(p).find((l) => l.msg === 'listening')).toBeUndefined();
      },
    },
    {
      name: 'startup_delay_ms',
      env: 'HELLO_STARTUP_DELAY_MS',
      value: 3000,
      verify: async (env, file) => {
        const { p, base } = await startHello(env, file);
        const early = await get(base, '/readiness');
        expect(early.status).toBe(503);
        expect(early.body.status).toBe('fail');
        expect((await get(base, '/health')).status).toBe(200);
        await pollStatus(p, base, '/readiness', 200);
      },
    },
    {
      name: 'fail_liveness_after_ms',
      env: 'HELLO_FAIL_LIVENESS_AFTER_MS',
      value: 3000,
      verify: async (env, file) => {
        const { p, base } = await startHello(env, file);
        expect((await get(base, '/health')).status).toBe(200);
        const failed = await pollStatus(p, base, '/health', 503);
        expect(failed.status).toBe('fail');
      },
    },
  ];

  for (const c of knobCases) {
    it(`knob ${c.name} works from ${c.env}`, () => c.verify({ [c.env]: String(c.value) }));
    it(`knob ${c.name} works from hello.json`, () => c.verify({}, { [c.name]: c.value }));
  }

  it('lets hello.json override the environment', async () => {
    const { base } = await startHello({ HELLO_ERROR_RATE: '1' }, { error_rate: 0 });
    expect((await get(base, '/')).status).toBe(200);
  });

  it.each([
    [{ HELLO_LATENCY_MS: 'soon' }, undefined, 'HELLO_LATENCY_MS'],
    [{}, { eror_rate: 1 }, 'unknown key "eror_rate"'],
  ])('refuses a malformed knob (%j %j) and says which', async (env, file, expected) => {
    const p = await startExample('hello', await copyArtifact('hello', file), env);
    expect((await p.waitForExit()).code).toBe(1);
    const messages = p.stderr.map((l) => (JSON.parse(l) as Json).msg);
    expect(messages.join('\n')).toContain(expected);
  });

  it('on SIGTERM stops accepting, finishes the in-flight request and exits 0', async () => {
    const { p, base } = await startHello();
    const slow = get(base, '/slow?ms=1500');
    await waitForLog(p, 'slow request started');
    p.signal('SIGTERM');
    await waitForLog(p, 'shutting down');
    await expect(tryConnect(new URL(base).port)).rejects.toThrow(/ECONNREFUSED/);
    const res = await slow;
    expect(res.status).toBe(200);
    expect(res.body.slept_ms).toBe(1500);
    expect(await p.waitForExit()).toEqual({ code: 0, signal: null });
  });
});

/** Polls `path` until it answers `status`; returns that answer's body. */
function pollStatus(p: PeerProcess, base: string, path: string, status: number): Promise<Json> {
  return p.waitFor(`${path} to answer ${status}`, async () => {
    const res = await get(base, path).catch(() => undefined);
    return res?.status === status ? res.body : undefined;
  });
}

function tryConnect(port: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

const PYTHON = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';
const fastapiPeer = requirePeer(
  'gunicorn with FastAPI and Uvicorn',
  hasExecutable(GUNICORN) && canImportPython(PYTHON, ['fastapi', 'uvicorn.workers']),
  `${GUNICORN} or Debian's FastAPI/Uvicorn modules are missing; apt-get install -y python3-fastapi gunicorn python3-uvicorn`,
);

describe.skipIf(fastapiPeer === 'skip')('examples/fastapi under gunicorn', () => {
  it('answers /health and /, and exits 0 on SIGTERM', async () => {
    const dir = await copyArtifact('fastapi');
    const p = await startExample('fastapi', dir, {
      GANTRY_VERSION: 'v3',
      GANTRY_ENVIRONMENT: 'staging',
      PYTHONUNBUFFERED: '1',
    });
    const port = await p.waitFor('gunicorn to listen', () =>
      p.stderr.map((l) => /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(l)?.[1]).find(Boolean),
    );
    const base = `http://127.0.0.1:${port}`;
    // The master listens before its workers have booted.
    const health = await pollStatus(p, base, '/health', 200);
    expect(health).toMatchObject({ status: 'pass', version: 'v3' });
    const h = await get(base, '/readiness');
    expect(h.type).toContain('application/health+json');
    expect(h.body.status).toBe('pass');

    const root = await get(base, '/');
    expect(root.status).toBe(200);
    expect(root.body).toMatchObject({ service: 'items-api', version: 'v3', environment: 'staging' });
    expect(((await get(base, '/items')).body.items as unknown[]).length).toBeGreaterThan(0);
    const echo = await get(base, '/items', { method: 'POST', body: JSON.stringify({ name: 'kettle' }) });
    expect(echo).toMatchObject({ status: 201, body: { received: { name: 'kettle' } } });

    p.signal('SIGTERM');
    expect((await p.waitForExit()).code).toBe(0);
  });
});

describe('requirePeer', () => {
  it('runs with the peer, skips without it, and fails without it under CI=true', () => {
    expect(requirePeer('x', true, 'missing', { CI: 'true' })).toBe('run');
    expect(requirePeer('x', false, 'missing', {})).toBe('skip');
    expect(() => requirePeer('x', false, 'missing', { CI: 'true' })).toThrow(MissingPeerError);
  });
});
