// The process runtime with real child processes: start, env, output capture, supervision, stop.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkloadDriver } from '../src/runtime/driver.ts';
import { createProcessDriver } from '../src/runtime/index.ts';
import { pickFreePort } from '../src/runtime/local/free-port.ts';
import {
  EventRecorder,
  FIXTURES,
  httpGet,
  isGone,
  makeSpec,
  makeTempDir,
  pidOf,
  waitFor,
  waitForHttp,
} from './fixtures/services/rt-harness.ts';

let dataDir: { path: string; remove: () => Promise<void> };
let workDir: { path: string; remove: () => Promise<void> };
let driver: WorkloadDriver;
let rec: EventRecorder;

beforeEach(async () => {
  dataDir = await makeTempDir('data');
  workDir = await makeTempDir('work');
  driver = createProcessDriver({
    dataDir: dataDir.path,
    backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 60_000 },
  });
  rec = new EventRecorder(driver);
});

afterEach(async () => {
  await driver.close({ stopInstances: true, graceMs: 2_000 });
  await dataDir.remove();
  await workDir.remove();
});

describe('process driver: start', () => {
  it('serves on a picked port passed in the port variable, with the expected environment', async () => {
    process.env.RT_SHOULD_NOT_LEAK = 'server-secret';
    try {
      const spec = makeSpec(workDir.path, {
        portEnv: 'HTTP_PORT',
        env: { PATH: process.env.PATH ?? '', RT_PORT_ENV: 'HTTP_PORT', GREETING: 'hello world' },
      });
      const info = await driver.start(spec);
      expect(info).toMatchObject({ id: spec.id, status: 'running', host: '127.0.0.1', restarts: 0 });
      expect(info.handle).toMatchObject({
        driver: 'process',
        pid: expect.any(Number),
        startTime: expect.stringMatching(/^\d+$/),
      });
      expect(info.port).toBeGreaterThan(0);

      expect((await waitForHttp(info.port)).body).toBe(`ok ${spec.id}`);
      const env = JSON.parse((await httpGet(info.port, '/env')).body) as Record<string, string>;
      expect(env).toMatchObject({
        HTTP_PORT: String(info.port),
        GREETING: 'hello world',
        GANTRY_INSTANCE_ID: spec.id,
        GANTRY_SERVICE: 'rt-svc',
        GANTRY_ENVIRONMENT: 'staging',
        GANTRY_VERSION: 'v1',
      });
      expect(env.RT_SHOULD_NOT_LEAK).toBeUndefined();
      expect(rec.of('started', spec.id)).toHaveLength(1);
      expect(driver.get(spec.id)?.status).toBe('running');
      expect(driver.list().map((i) => i.id)).toEqual([spec.id]);
    } finally {
      delete process.env.RT_SHOULD_NOT_LEAK;
    }
  });

  it('uses the port given in the spec and never hands out a live instance’s port', async () => {
    const port = await pickFreePort(new Set());
    const a = await driver.start(makeSpec(workDir.path, { port }));
    expect(a.port).toBe(port);
    const b = await driver.start(makeSpec(workDir.path));
    expect(b.port).not.toBe(port);
    await waitForHttp(port);
    await waitForHttp(b.port);
  });

  it('rejects a missing working directory and a duplicate id with a clear message', async () => {
    await expect(driver.start(makeSpec(join(workDir.path, 'missing')))).rejects.toThrow(/does not exist/);
    const spec = makeSpec(workDir.path);
    await driver.start(spec);
    await expect(driver.start(spec)).rejects.toThrow(/already exists/);
  });
});

describe('process driver: output', () => {
  it('captures stdout and stderr lines in order, joins partial lines and keeps a last line without newline', async () => {
    const info = await driver.start(makeSpec(workDir.path));
    const id = info.id;
    await rec.waitForLine(id, `listening on ${info.port}`);
    const write = async (stream: string, text: string, nl = true) => {
      const q = new URLSearchParams({ stream, text, nl: nl ? '1' : '0' });
      await httpGet(info.port, `/write?${q}`);
    };
    await write('stdout', 'out one');
    await rec.waitForLine(id, 'out one');
    await write('stderr', 'err one');
    await rec.waitForLine(id, 'err one');
    await write('stdout', 'out two');
    await rec.waitForLine(id, 'out two');
    await write('stderr', 'par', false);
    await write('stderr', 'tial', false);
    await write('stderr', ' line');
    await rec.waitForLine(id, 'partial line');
    await write('stdout', 'no newline at exit', false);
    await httpGet(info.port, '/exit?code=0');
    await rec.waitForLine(id, 'no newline at exit');

    const logs = driver.recentLogs(id).map((l) => `${l.stream}:${l.line}`);
    expect(logs).toEqual([
      `stdout:listening on ${info.port}`,
      'stdout:out one',
      'stderr:err one',
      'stdout:out two',
      'stderr:partial line',
      'stdout:no newline at exit',
    ]);
    expect(driver.recentLogs(id, 2).map((l) => l.line)).toEqual(['partial line', 'no newline at exit']);
    // Once read, the raw output is overwritten (it may hold secrets): the file keeps only zeros.
    const raw = await readFile(join(dataDir.path, 'instances', id, 'stderr.log'));
    expect(raw.length).toBeGreaterThan('err one\npartial line\n'.length - 1);
    expect(raw.every((b) => b === 0)).toBe(true);
  });
});

describe('process driver: supervision', () => {
  it('restarts a crash-looping service with growing delays and reports each exit code', async () => {
    const spec = makeSpec(workDir.path, { command: `node ${FIXTURES}/rt-crash.mjs` });
    await driver.start(spec);
    const exits = await rec.waitForCount('exited', spec.id, 5);
    expect(exits.slice(0, 5).map((e) => e.restartInMs)).toEqual([50, 100, 200, 400, 400]);
    for (const e of exits) expect(e.exit.code).toBe(3);
    expect(exits[0]?.instance.status).toBe('backoff');
    await rec.waitForCount('started', spec.id, 5);
    expect(driver.get(spec.id)?.restarts).toBeGreaterThanOrEqual(4);
    expect(rec.lines(spec.id)).toContain('boom');
  });

  it('restarts a long-running service that crashes once, on the same port', async () => {
    const info = await driver.start(makeSpec(workDir.path));
    await waitForHttp(info.port);
    await httpGet(info.port, '/exit?code=7');
    const [exited] = await rec.waitForCount('exited', info.id, 1);
    expect(exited?.exit.code).toBe(7);
    expect(exited?.restartInMs).toBe(50);
    await rec.waitForCount('started', info.id, 2);
    expect((await waitForHttp(info.port)).status).toBe(200);
    const now = driver.get(info.id);
    expect(now).toMatchObject({ status: 'running', restarts: 1, port: info.port });
    expect(pidOf(now)).not.toBe(pidOf(info));
    expect(now?.lastExit?.code).toBe(7);
  });

  it('restart() replaces the process at once and counts a restart', async () => {
    const info = await driver.start(makeSpec(workDir.path));
    await waitForHttp(info.port);
    await driver.restart(info.id, 'liveness failed');
    const now = driver.get(info.id);
    expect(now).toMatchObject({ status: 'running', restarts: 1 });
    expect(pidOf(now)).not.toBe(pidOf(info));
    expect(rec.of('exited', info.id)[0]?.restartInMs).toBe(0);
    expect(isGone(pidOf(info))).toBe(true);
    await waitForHttp(info.port);
  });
});

describe('process driver: stop', () => {
  it('sends SIGTERM to the whole process group, grandchildren included, and never restarts', async () => {
    const pidFile = join(workDir.path, 'grandchild.pid');
    const spec = makeSpec(workDir.path, { command: `node ${FIXTURES}/rt-sleeper.mjs ${pidFile} & wait` });
    const info = await driver.start(spec);
    const grandchild = await waitFor('grandchild pid', async () => {
      const text = await readFile(pidFile, 'utf8').catch(() => '');
      return text ? Number(text) : undefined;
    });
    expect(isGone(grandchild)).toBe(false);

    await driver.stop(spec.id, { graceMs: 10_000 });
    expect(isGone(pidOf(info))).toBe(true);
    await waitFor('grandchild to be gone', () => isGone(grandchild));
    expect(driver.get(spec.id)?.status).toBe('stopped');
    expect(rec.of('stopped', spec.id)).toHaveLength(1);
    expect(rec.of('exited', spec.id)).toHaveLength(0);

    await driver.stop(spec.id, { graceMs: 10_000 });
    expect(rec.of('stopped', spec.id)).toHaveLength(1);
    await driver.restart(spec.id, 'liveness failed while stopping');
    await expect(driver.restart('rt-unknown', 'test')).rejects.toThrow(/not run by this server/);
    // A crash would be followed by a restart after 50 ms; wait well past that.
    await new Promise((r) => setTimeout(r, 500));
    expect(rec.of('started', spec.id)).toHaveLength(1);
  });

  it('sends SIGKILL after the grace period to a process that ignores SIGTERM', async () => {
    const spec = makeSpec(workDir.path, { command: `node ${FIXTURES}/rt-stubborn.mjs` });
    await driver.start(spec);
    const ready = await rec.waitForLine(spec.id, /^ready pid=\d+$/);
    const nodePid = Number(ready.split('=')[1]);
    const began = Date.now();
    await driver.stop(spec.id, { graceMs: 500 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(450);
    expect(isGone(nodePid)).toBe(true);
    expect(rec.lines(spec.id)).toContain('got SIGTERM, ignoring it');
    expect(driver.get(spec.id)?.status).toBe('stopped');
  });

  it('cancels the pending restart of an instance in backoff', async () => {
    const slow = createProcessDriver({
      dataDir: dataDir.path,
      backoff: { initialMs: 60_000, maxMs: 60_000, resetAfterMs: 60_000 },
    });
    const events = new EventRecorder(slow);
    try {
      const spec = makeSpec(workDir.path, { command: `node ${FIXTURES}/rt-crash.mjs` });
      await slow.start(spec);
      await events.waitForCount('exited', spec.id, 1);
      expect(slow.get(spec.id)?.status).toBe('backoff');
      await slow.stop(spec.id, { graceMs: 1_000 });
      expect(slow.get(spec.id)).toMatchObject({ status: 'stopped', handle: null, restarts: 0 });
      expect(events.of('stopped', spec.id)).toHaveLength(1);
    } finally {
      await slow.close({ stopInstances: true, graceMs: 1_000 });
    }
  });

  it('close({ stopInstances: true }) stops every instance', async () => {
    const a = await driver.start(makeSpec(workDir.path));
    const b = await driver.start(makeSpec(workDir.path));
    await driver.close({ stopInstances: true, graceMs: 5_000 });
    expect(isGone(pidOf(a))).toBe(true);
    expect(isGone(pidOf(b))).toBe(true);
    await expect(driver.start(makeSpec(workDir.path))).rejects.toThrow(/closed/);
  });
});
