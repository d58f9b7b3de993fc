import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthConfig, ProbeConfig } from '../src/config/types.ts';
import { createInstanceProber } from '../src/probes/instance-prober.ts';
import type { InstanceProber, ProbeEvent } from '../src/probes/types.ts';
import { type HealthServer, startHealthServer } from './fixtures/probes/health-server.ts';
import { sleep } from './helpers/gantry.ts';

function probe(path: string, over: Partial<ProbeConfig> = {}): ProbeConfig {
  return {
    path,
    type: 'http',
    interval: 50,
    timeout: 2000,
    failure_threshold: 2,
    success_threshold: 1,
    headers: {},
    ...over,
  };
}

/** Resolves with the first event of a type, or rejects after timeoutMs. */
function nextEvent<T extends ProbeEvent['type']>(
  p: InstanceProber,
  type: T,
  timeoutMs = 15_000,
): Promise<ProbeEvent & { type: T }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = p.onChange((e) => {
      if (e.type !== type) return;
      clearTimeout(timer);
      off();
      resolve(e as ProbeEvent & { type: T });
    });
  });
}

describe('createInstanceProber', () => {
  let srv: HealthServer;
  const probers: InstanceProber[] = [];
  const make = (health: HealthConfig) => {
    const p = createInstanceProber({ target: { host: srv.host, port: srv.port }, health });
    probers.push(p);
    return p;
  };
  beforeEach(async () => {
    srv = await startHealthServer();
  });
  afterEach(async () => {
    await Promise.all(probers.splice(0).map((p) => p.stop()));
    await srv.close();
  });

  it('becomes ready after success_threshold passes, unready after failure_threshold failures, and back', async () => {
    srv.set('/ready', { status: 200 });
    const p = make({
      readiness: probe('/ready', { success_threshold: 3, failure_threshold: 2 }),
      startup_timeout: 30_000,
    });
    const events: string[] = [];
    p.onChange((e) => {
      events.push(e.type);
    });
    const ready = nextEvent(p, 'ready');
    p.start();
    expect(p.ready).toBe(false);
    await ready;
    expect(srv.count('/ready', 200)).toBe(3);
    expect(p.ready).toBe(true);

    const unready = nextEvent(p, 'unready');
    srv.set('/ready', { status: 503, body: 'draining' });
    const e = await unready;
    expect(srv.count('/ready', 503)).toBe(2);
    expect(e.result.detail).toContain('503');
    expect(p.ready).toBe(false);

    const again = nextEvent(p, 'ready');
    const passesBefore = srv.count('/ready', 200);
    srv.set('/ready', { status: 200 });
    await again;
    expect(srv.count('/ready', 200) - passesBefore).toBe(3);
    expect(events).toEqual(['ready', 'unready', 'ready']);
  });

  it('notices an instance that becomes ready during startup fast, even with the default 2 s interval', async () => {
    // The release waits for this probe before switching traffic: a fixed 500 ms startup pace
    // noticed a service ready at 700 ms only at 1000 ms, after two probes.
    srv.set('/ready', { status: 503, body: 'starting' });
    const p = make({ readiness: probe('/ready', { interval: 2000 }), startup_timeout: 30_000 });
    const ready = nextEvent(p, 'ready');
    p.start();
    await sleep(700);
    const probesWhileStarting = srv.count('/ready');
    const listening = performance.now();
    srv.set('/ready', { status: 200 });
    await ready;
    const lagMs = performance.now() - listening;
    expect(probesWhileStarting).toBeGreaterThanOrEqual(6);
    expect(lagMs).toBeLessThan(300);
  });

  it('uses the port as readiness when no readiness probe is configured', async () => {
    const p = make({ startup_timeout: 30_000 });
    const r = p.waitReady(15_000);
    p.start();
    const res = await r;
    expect(res.ready).toBe(true);
    expect(res.result.detail).toContain('accepted a connection');
  });

  it('does not count liveness during startup, then reports liveness_failed once per threshold', async () => {
    srv.set('/ready', { status: 503 });
    srv.set('/live', { status: 500, body: 'stuck' });
    const p = make({
      readiness: probe('/ready'),
      liveness: probe('/live', { failure_threshold: 3 }),
      startup_timeout: 30_000,
    });
    const failures: number[] = [];
    p.onChange((e) => {
      if (e.type === 'liveness_failed') failures.push(e.failures);
    });
    p.start();
    // Several readiness rounds, each longer than a liveness interval, while still starting up.
    await srv.until(() => srv.count('/ready') >= 6);
    expect(srv.count('/live')).toBe(0);
    expect(failures).toEqual([]);

    const failed = nextEvent(p, 'liveness_failed');
    srv.set('/ready', { status: 200 });
    const e = await failed;
    expect(e.failures).toBe(3);
    expect(e.result.detail).toContain('500');
    expect(srv.count('/live')).toBe(3);
    expect(p.lastLiveness?.ok).toBe(false);

    // The counter starts over: the next report needs three more failures.
    await nextEvent(p, 'liveness_failed');
    expect(srv.count('/live')).toBe(6);
    expect(failures).toEqual([3, 3]);
  });

  it('resets the liveness count on a pass', async () => {
    srv.set('/ready', { status: 200 });
    srv.set('/live', { status: 200 });
    const p = make({
      readiness: probe('/ready'),
      liveness: probe('/live', { failure_threshold: 2 }),
      startup_timeout: 30_000,
    });
    const failed: ProbeEvent[] = [];
    p.onChange((e) => {
      if (e.type === 'liveness_failed') failed.push(e);
    });
    p.start();
    await srv.until(() => srv.count('/live', 200) >= 3);
    expect(failed).toEqual([]);
    expect(p.lastLiveness?.ok).toBe(true);
  });

  it('reports startup_failed once when not ready within startup_timeout', async () => {
    srv.set('/ready', { status: 503, body: 'warming up' });
    const p = make({ readiness: probe('/ready'), startup_timeout: 300 });
    const events: ProbeEvent[] = [];
    p.onChange((e) => {
      events.push(e);
    });
    p.start();
    const e = await nextEvent(p, 'startup_failed');
    expect(e.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(e.result.ok).toBe(false);
    expect(e.result.detail).toContain('warming up');
    const seen = srv.count('/ready');
    await srv.until(() => srv.count('/ready') >= seen + 4);
    expect(events.filter((x) => x.type === 'startup_failed')).toHaveLength(1);
    expect(p.ready).toBe(false);
  });

  it('waitReady resolves as soon as the instance becomes ready', async () => {
    srv.set('/ready', { status: 503 });
    const p = make({ readiness: probe('/ready', { interval: 100 }), startup_timeout: 30_000 });
    p.start();
    const waiting = p.waitReady(20_000);
    await srv.until(() => srv.count('/ready', 503) >= 2);
    srv.set('/ready', { status: 200 });
    const res = await waiting;
    expect(res.ready).toBe(true);
    expect(res.result.ok).toBe(true);
    // Already ready: resolves at once.
    expect((await p.waitReady(1)).ready).toBe(true);
  });

  it('waitReady gives up with reason timeout, or stopped when the prober stops', async () => {
    srv.set('/ready', { status: 503 });
    const p = make({ readiness: probe('/ready'), startup_timeout: 30_000 });
    p.start();
    const timedOut = await p.waitReady(200);
    expect(timedOut).toMatchObject({ ready: false, reason: 'timeout' });

    const waiting = p.waitReady(20_000);
    await p.stop();
    expect(await waiting).toMatchObject({ ready: false, reason: 'stopped' });
    expect(await p.waitReady(20_000)).toMatchObject({ ready: false, reason: 'stopped' });
  });

  it('stop() cancels an in-flight probe, and probes never overlap', async () => {
    srv.set('/slow', { status: 200, delayMs: 10_000 });
    srv.set('/fast', { status: 503 });
    const slow = make({
      readiness: probe('/slow', { interval: 10, timeout: 20_000 }),
      startup_timeout: 30_000,
    });
    const fast = make({ readiness: probe('/fast', { interval: 10 }), startup_timeout: 30_000 });
    slow.start();
    fast.start();
    await srv.until(() => srv.count('/fast') >= 10);
    expect(srv.count('/slow')).toBe(1);
    await slow.stop();
    expect(slow.lastReadiness).toBeUndefined();
    expect(slow.ready).toBe(false);
  });
});
