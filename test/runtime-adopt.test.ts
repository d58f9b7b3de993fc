// Adoption across a server restart: driver A leaves its instance running, driver B takes it over.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdoptRecord, InstanceHandle, InstanceInfo, WorkloadDriver } from '../src/runtime/driver.ts';
import { createProcessDriver } from '../src/runtime/index.ts';
import {
  EventRecorder,
  httpGet,
  isAlive,
  isGone,
  makeSpec,
  makeTempDir,
  pidOf,
  startTimeOf,
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
    handle: info.handle as InstanceHandle,
    port: info.port,
    restarts: info.restarts,
  };
}

/** Starts an instance with a first driver, then closes that driver leaving the instance running. */
async function startAndLeave(): Promise<InstanceInfo> {
  const a = newDriver();
  const events = new EventRecorder(a);
  const info = await a.start(makeSpec(workDir.path));
  groups.push(pidOf(info));
  await waitForHttp(info.port);
  await events.waitForLine(info.id, `listening on ${info.port}`);
  await a.close({ stopInstances: false, graceMs: 1_000 });
  expect(isAlive(pidOf(info), startTimeOf(info))).toBe(true);
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
    const [adopted, ...more] = await b.adopt([recordOf(left)]);
    expect(more).toEqual([]);
    expect(adopted).toMatchObject({ id: left.id, status: 'running', handle: left.handle, port: left.port });
    expect(b.list().map((i) => i.id)).toEqual([left.id]);
    expect((await httpGet(left.port, '/')).body).toBe(`ok ${left.id}`);

    await httpGet(left.port, '/write?text=after-adoption');
    await events.waitForLine(left.id, 'after-adoption');
    await httpGet(left.port, '/write?stream=stderr&text=err-after-adoption');
    await events.waitForLine(left.id, 'err-after-adoption');
    expect(b.recentLogs(left.id).map((l) => l.line)).not.toContain(`listening on ${left.port}`);

    process.kill(-pidOf(left), 'SIGKILL');
    const [exited] = await events.waitForCount('exited', left.id, 1);
    expect(exited?.restartInMs).toBe(50);
    const [started] = await events.waitForCount('started', left.id, 1);
    expect(pidOf(started?.instance)).not.toBe(pidOf(left));
    groups.push(pidOf(started?.instance));
    await waitForHttp(left.port);
    expect(b.get(left.id)).toMatchObject({ status: 'running', restarts: 1 });
    await events.waitForLine(left.id, `listening on ${left.port}`);
  });

  it('leaves out a process that is gone', async () => {
    const a = newDriver();
    const info = await a.start(makeSpec(workDir.path));
    await a.stop(info.id, { graceMs: 2_000 });
    expect(await newDriver().adopt([recordOf(info)])).toEqual([]);
  });

  it('leaves out, and leaves alone, a process whose pid has another start time', async () => {
    const left = await startAndLeave();
    const b = newDriver();
    const handle = { ...(left.handle as InstanceHandle), startTime: '1' };
    expect(await b.adopt([{ ...recordOf(left), handle }])).toEqual([]);
    expect(b.list()).toEqual([]);
    expect((await httpGet(left.port, '/')).status).toBe(200);
  });
});

describe('process driver: orphans', () => {
  it('removes the processes and files of unclaimed instances, and keeps claimed ones', async () => {
    const kept = await startAndLeave();
    const orphan = await startAndLeave();
    const b = newDriver();
    const removed = await b.removeOrphans(new Set([kept.id]), 5_000);
    expect(removed).toEqual([orphan.id]);
    await waitFor('orphan to be gone', () => isGone(pidOf(orphan)));
    await expect(httpGet(orphan.port, '/', 2_000)).rejects.toThrow();
    expect(isAlive(pidOf(kept), startTimeOf(kept))).toBe(true);
    expect((await httpGet(kept.port, '/')).status).toBe(200);
  });

  it('never touches the instances of another driver (another data directory)', async () => {
    const left = await startAndLeave();
    const otherData = await makeTempDir('other-data');
    try {
      const other = createProcessDriver({ dataDir: otherData.path });
      drivers.push(other);
      expect(await other.removeOrphans(new Set(), 500)).toEqual([]);
      expect(isAlive(pidOf(left), startTimeOf(left))).toBe(true);
    } finally {
      await otherData.remove();
    }
  });
});
