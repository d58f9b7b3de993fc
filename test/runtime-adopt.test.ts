// Adoption across a server restart: driver A leaves its instance running, driver B takes it over.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdoptRecord, InstanceInfo, WorkloadDriver } from '../src/runtime/driver.ts';
import { createProcessDriver } from '../src/runtime/index.ts';
import {
  EventRecorder,
  httpGet,
  isAlive,
  isGone,
  makeSpec,
  makeTempDir,
  waitFor,
  waitForHttp,
} from './fixtures/services/rt-harness.ts';

const BACKOFF = { initialMs: 50, maxMs: 400, resetAfterMs: 60_000 };

let dataDir: { path: string; remove: () => Promise<void> };
let workDir: { path: string; remove: () => Promise<void> };
let drivers: WorkloadDriver[];
let groups: number[];

function newDriver(): WorkloadDriver {
  const driver = createProcessDriver({ dataDir: dataDir.path, backoff: BACKOFF });
  drivers.push(driver);
  return driver;
}

function recordOf(info: InstanceInfo): AdoptRecord {
  return {
    spec: info.spec,
    pid: info.pid as number,
    pidStartTime: info.pidStartTime as string,
    port: info.port,
    restarts: info.restarts,
  };
}

/** Starts an instance with a first driver, then closes that driver leaving the instance running. */
async function startAndLeave(): Promise<InstanceInfo> {
  const a = newDriver();
  const events = new EventRecorder(a);
  const info = await a.start(makeSpec(workDir.path));
  groups.push(info.pid as number);
  await waitForHttp(info.port);
  await events.waitForLine(info.id, `listening on ${info.port}`);
  await a.close({ stopInstances: false, graceMs: 1_000 });
  expect(isAlive(info.pid as number, info.pidStartTime as string)).toBe(true);
  return info;
}

beforeEach(async () => {
  dataDir = await makeTempDir('data');
  workDir = await makeTempDir('work');
  drivers = [];
  groups = [];
});

afterEach(async () => {
  for (const d of drivers) await d.close({ stopInstances: true, graceMs: 2_000 });
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await dataDir.remove();
  await workDir.remove();
});

describe('process driver: adoption', () => {
  it('adopts a running instance: still serving, output still captured, restarted when it dies', async () => {
    const left = await startAndLeave();
    const b = newDriver();
    const events = new EventRecorder(b);
    const adopted = await b.adopt(recordOf(left));
    expect(adopted).toMatchObject({ id: left.id, status: 'running', pid: left.pid, port: left.port });
    expect(adopted?.pidStartTime).toBe(left.pidStartTime);
    expect(b.list().map((i) => i.id)).toEqual([left.id]);
    expect((await httpGet(left.port, '/')).body).toBe(`ok ${left.id}`);

    await httpGet(left.port, '/write?text=after-adoption');
    await events.waitForLine(left.id, 'after-adoption');
    await httpGet(left.port, '/write?stream=stderr&text=err-after-adoption');
    await events.waitForLine(left.id, 'err-after-adoption');
    expect(b.recentLogs(left.id).map((l) => l.line)).not.toContain(`listening on ${left.port}`);

    process.kill(-(left.pid as number), 'SIGKILL');
    const [exited] = await events.waitForCount('exited', left.id, 1);
    expect(exited?.restartInMs).toBe(50);
    const [started] = await events.waitForCount('started', left.id, 1);
    expect(started?.instance.pid).not.toBe(left.pid);
    groups.push(started?.instance.pid as number);
    await waitForHttp(left.port);
    expect(b.get(left.id)).toMatchObject({ status: 'running', restarts: 1 });
    await events.waitForLine(left.id, `listening on ${left.port}`);
  });

  it('returns undefined for a pid that is gone', async () => {
    const a = newDriver();
    const info = await a.start(makeSpec(workDir.path));
    await a.stop(info.id, { graceMs: 2_000 });
    expect(await newDriver().adopt(recordOf(info))).toBeUndefined();
  });

  it('returns undefined, and leaves the process alone, when the pid has another start time', async () => {
    const left = await startAndLeave();
    const b = newDriver();
    expect(await b.adopt({ ...recordOf(left), pidStartTime: '1' })).toBeUndefined();
    expect(b.list()).toEqual([]);
    expect((await httpGet(left.port, '/')).status).toBe(200);
  });
});

describe('process driver: reap', () => {
  it('kills a leftover process group only when its start time matches', async () => {
    const left = await startAndLeave();
    const pid = left.pid as number;
    const b = newDriver();
    await b.reap(pid, '1', 500);
    expect(isAlive(pid, left.pidStartTime as string)).toBe(true);
    await b.reap(pid, left.pidStartTime as string, 5_000);
    await waitFor('leftover to be gone', () => isGone(pid));
    await expect(httpGet(left.port, '/', 2_000)).rejects.toThrow();
  });
});
