// Step checks against a real loopback HTTP server and real shell commands.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/checks/index.ts';
import type { CheckConfig, HttpCheck } from '../src/config/types.ts';

const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url === '/health') return res.end('ok');
    if (req.url === '/bad') {
      res.statusCode = 503;
      return res.end('database\nunavailable');
    }
    if (req.url === '/created') {
      res.statusCode = 201;
      return res.end();
    }
    if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 400);
      return;
    }
    if (req.url === '/hang') return; // never answers
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function http(path: string, over: Partial<HttpCheck> = {}): HttpCheck {
  return { method: 'GET', path, expect_status: 200, headers: {}, ...over };
}

function httpCheck(checks: HttpCheck[], timeout = 10_000): CheckConfig {
  return { name: 'smoke', http: checks, timeout };
}

function commandCheck(command: string, timeout = 20_000): CheckConfig {
  return { name: 'e2e', command, timeout };
}

describe('HTTP checks', () => {
  it('passes when every request gets its expected status', async () => {
    const r = await runCheck(httpCheck([http('/health'), http('/created', { expect_status: 201 })]), { url });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^GET \/health → 200 in \d+ ms; GET \/created → 201 in \d+ ms$/);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('names the first failure, with the body', async () => {
    const r = await runCheck(httpCheck([http('/health'), http('/bad'), http('/missing')]), { url });
    expect(r.ok).toBe(false);
    expect(r.message).toBe('GET /bad → 503, expected 200: database unavailable');
    expect(seen.some((s) => s.url === '/missing')).toBe(false);
  });

  it('fails a response slower than max_latency', async () => {
    const r = await runCheck(httpCheck([http('/slow', { max_latency: 100 })]), { url });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^GET \/slow → 200 in \d+ ms, expected at most 100 ms$/);
  });

  it('sends the method and headers, and joins the path to a URL with a trailing slash', async () => {
    const check = http('created', {
      method: 'POST',
      expect_status: 201,
      headers: { 'x-check-token': 'abc' },
    });
    const r = await runCheck(httpCheck([check]), { url: `${url}/` });
    expect(r.ok).toBe(true);
    const last = seen.at(-1);
    expect(last).toMatchObject({ method: 'POST', url: '/created' });
    expect(last?.headers['x-check-token']).toBe('abc');
  });

  it("stops at the check's timeout", async () => {
    const r = await runCheck(httpCheck([http('/hang')], 300), { url });
    expect(r.ok).toBe(false);
    expect(r.message).toBe("GET /hang: no complete response within 300ms (the check's timeout)");
  });

  it('says when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCheck(httpCheck([http('/health')]), { url: `http://127.0.0.1:${port}` });
    expect(r).toMatchObject({
      ok: false,
      message: 'GET /health: connection refused; is the instance listening?',
    });
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    const before = seen.length;
    const pending = runCheck(httpCheck([http('/hang')]), { url }, { signal: ac.signal });
    await waitFor(() => seen.slice(before).some((s) => s.url === '/hang'));
    ac.abort();
    expect(await pending).toMatchObject({ ok: false, message: 'GET /hang: cancelled' });
  });
});

describe('command checks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-checks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on exit 0, in the given directory', async () => {
    const r = await runCheck(commandCheck('pwd > where.txt'), { url }, { cwd: dir });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^`pwd > where.txt` exited with code 0 after /);
    expect((await readFile(join(dir, 'where.txt'), 'utf8')).trim()).toBe(dir);
  });

  it('fails on another exit code, quoting the last 5 lines of output', async () => {
    const command = 'for i in 1 2 3 4 5 6 7; do echo "line $i"; done; exit 3';
    const r = await runCheck(commandCheck(command), { url }, { cwd: dir });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/exited with code 3 after \d+/);
    expect(r.message.split('\n').slice(1)).toEqual(['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
  });

  it('quotes standard error too, and masks the values it is told to', async () => {
    const r = await runCheck(
      commandCheck('echo "login failed for token s3cr3t-value" >&2; exit 1'),
      { url },
      {
        cwd: dir,
        redact: ['s3cr3t-value'],
      },
    );
    expect(r.ok).toBe(false);
    expect(r.message).toContain('login failed for token ***');
    expect(r.message).not.toContain('s3cr3t-value');
  });

  it('passes GANTRY_TARGET_URL and the given env, but not the server’s own variables', async () => {
    process.env.GANTRY_CHECK_TEST_SECRET = 'do-not-pass';
    try {
      const command =
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
        'echo "$GANTRY_TARGET_URL|$FOO|${GANTRY_CHECK_TEST_SECRET:-unset}|${PATH:+path}"; exit 1';
      const r = await runCheck(commandCheck(command), { url }, { cwd: dir, env: { FOO: 'bar' } });
      expect(r.message.split('\n').at(-1)).toBe(`${url}|bar|unset|path`);
    } finally {
      delete process.env.GANTRY_CHECK_TEST_SECRET;
    }
  });

  it('stops a command at its timeout, with everything it started', async () => {
    const r = await runCheck(
      commandCheck('sleep 30 & echo $! > sleeper.pid; echo waiting; wait', 500),
      { url },
      { cwd: dir },
    );
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      '`sleep 30 & echo $! > sleeper.pid; echo waiting; wait` timed out after 500ms and was stopped; last output:\nwaiting',
    );
    expect(isLive(readPid(join(dir, 'sleeper.pid')))).toBe(false);
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const command = "trap '' TERM; sleep 30 & echo $! > stubborn.pid; wait; wait";
    const r = await runCheck(commandCheck(command, 300), { url }, { cwd: dir, killGraceMs: 300 });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/timed out after 300ms and was stopped$/);
    expect(isLive(readPid(join(dir, 'stubborn.pid')))).toBe(false);
  });

  it('ends what a passing command left running in the background', async () => {
    const r = await runCheck(commandCheck('sleep 30 & echo $! > leftover.pid'), { url }, { cwd: dir });
    expect(r.ok).toBe(true);
    expect(isLive(readPid(join(dir, 'leftover.pid')))).toBe(false);
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    const pending = runCheck(
      commandCheck('touch started; sleep 30'),
      { url },
      { cwd: dir, signal: ac.signal },
    );
    await waitFor(() => existsSync(join(dir, 'started')));
    ac.abort();
    const r = await pending;
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^`touch started; sleep 30` was cancelled after /);
  });

  it('says when the working directory is missing', async () => {
    const r = await runCheck(commandCheck('true'), { url }, { cwd: join(dir, 'nope') });
    expect(r).toMatchObject({
      ok: false,
      message: `cannot run \`true\`: working directory ${join(dir, 'nope')} does not exist`,
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

function readPid(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

/** Alive and not a zombie: an orphan whose reaper is slow still counts as ended. */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
