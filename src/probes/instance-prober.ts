// Watches one instance: readiness decides whether it may get traffic, liveness whether it must be
// restarted, startup_timeout how long it may take to become ready.
import { DEFAULT_READINESS } from '../config/defaults.ts';
import type { HealthConfig, ProbeConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import { probeOnce } from './probe-once.ts';
import { startupProbeDelay } from './startup-cadence.ts';
import type { InstanceProber, ProbeEvent, ProbeResult, ProbeTarget, WaitReadyResult } from './types.ts';

/** Readiness when gantry.yaml has none: the port accepts connections. */
export const IMPLICIT_READINESS: ProbeConfig = { ...DEFAULT_READINESS, path: '', type: 'tcp', headers: {} };

export interface InstanceProberOptions {
  target: ProbeTarget;
  health: HealthConfig;
  clock?: Clock;
  logger?: Logger;
}

export function createInstanceProber(opts: InstanceProberOptions): InstanceProber {
  const clock = opts.clock ?? systemClock;
  const readiness = opts.health.readiness ?? IMPLICIT_READINESS;
  const liveness = opts.health.liveness;
  const listeners = new Set<(e: ProbeEvent) => void>();
  const stopWaiters = new Set<() => void>();
  const lifetime = new AbortController();
  const loops: Promise<void>[] = [];
  const s = {
    started: false,
    startedAt: 0,
    ready: false,
    everReady: false,
    startupOver: false,
    passes: 0,
    failures: 0,
    livenessFailures: 0,
    lastReadiness: undefined as ProbeResult | undefined,
    lastLiveness: undefined as ProbeResult | undefined,
  };

  const inStartup = () => !s.everReady && !s.startupOver;

  function onChange(fn: (e: ProbeEvent) => void): () => void {
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  }

  function emit(e: ProbeEvent): void {
    for (const fn of [...listeners]) {
      try {
        fn(e);
      } catch (err) {
        opts.logger?.error({ err, event: e.type }, 'probe event listener failed');
      }
    }
  }

  function recordReadiness(r: ProbeResult): void {
    s.lastReadiness = r;
    if (r.ok) {
      s.passes++;
      s.failures = 0;
      if (!s.ready && s.passes >= readiness.success_threshold) {
        s.ready = true;
        s.everReady = true;
        opts.logger?.info({ from: 'unready', to: 'ready', detail: r.detail }, 'instance ready');
        emit({ type: 'ready', result: r });
      }
    } else {
      s.failures++;
      s.passes = 0;
      if (s.ready && s.failures >= readiness.failure_threshold) {
        s.ready = false;
        opts.logger?.warn(
          { from: 'ready', to: 'unready', failures: s.failures, detail: r.detail },
          'instance unready',
        );
        emit({ type: 'unready', result: r });
      }
    }
  }

  function recordLiveness(probe: ProbeConfig, r: ProbeResult): void {
    s.lastLiveness = r;
    if (r.ok) {
      s.livenessFailures = 0;
      return;
    }
    s.livenessFailures++;
    if (s.livenessFailures >= probe.failure_threshold) {
      const failures = s.livenessFailures;
      s.livenessFailures = 0;
      opts.logger?.warn({ failures, detail: r.detail }, 'liveness failed');
      emit({ type: 'liveness_failed', failures, result: r });
    }
  }

  async function runReadiness(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const r = await probeOnce(opts.target, readiness, { signal });
      if (signal.aborted) return;
      recordReadiness(r);
      // While starting, fast and then slower (startup-cadence.ts): the release waits for this probe.
      const wait = inStartup()
        ? startupProbeDelay(clock.now() - s.startedAt, readiness.interval)
        : readiness.interval;
      await pause(clock, wait, signal);
    }
  }

  async function runLiveness(probe: ProbeConfig, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await pause(clock, probe.interval, signal);
      // A slow start is what startup_timeout is for; liveness must not kill it meanwhile.
      if (signal.aborted || inStartup()) continue;
      const r = await probeOnce(opts.target, probe, { signal });
      if (signal.aborted) return;
      recordLiveness(probe, r);
    }
  }

  async function watchStartup(signal: AbortSignal): Promise<void> {
    await pause(clock, opts.health.startup_timeout, signal);
    if (signal.aborted || s.everReady) return;
    s.startupOver = true;
    const elapsedMs = clock.now() - s.startedAt;
    const result = s.lastReadiness ?? noResultYet(clock);
    opts.logger?.warn({ elapsedMs, detail: result.detail }, 'instance not ready within startup_timeout');
    emit({ type: 'startup_failed', result, elapsedMs });
  }

  return {
    start() {
      if (s.started || lifetime.signal.aborted) return;
      s.started = true;
      s.startedAt = clock.now();
      const signal = lifetime.signal;
      loops.push(runReadiness(signal), watchStartup(signal));
      if (liveness) loops.push(runLiveness(liveness, signal));
    },
    async stop() {
      if (!lifetime.signal.aborted) lifetime.abort(new Error('prober stopped'));
      for (const fn of [...stopWaiters]) fn();
      await Promise.allSettled(loops);
    },
    get ready() {
      return s.ready;
    },
    get lastReadiness() {
      return s.lastReadiness;
    },
    get lastLiveness() {
      return s.lastLiveness;
    },
    onChange,
    waitReady(timeoutMs, signal) {
      const current = () => s.lastReadiness ?? noResultYet(clock);
      if (s.ready) return Promise.resolve({ ready: true, result: current() });
      if (lifetime.signal.aborted || signal?.aborted) {
        return Promise.resolve({ ready: false, result: current(), reason: 'stopped' });
      }
      return new Promise<WaitReadyResult>((resolve) => {
        const timer = new AbortController();
        const finish = (r: WaitReadyResult) => {
          timer.abort();
          unsubscribe();
          stopWaiters.delete(onStop);
          signal?.removeEventListener('abort', onStop);
          resolve(r);
        };
        const onStop = () => finish({ ready: false, result: current(), reason: 'stopped' });
        const unsubscribe = onChange((e) => {
          if (e.type === 'ready') finish({ ready: true, result: e.result });
        });
        stopWaiters.add(onStop);
        signal?.addEventListener('abort', onStop, { once: true });
        pause(clock, timeoutMs, timer.signal).then(() => {
          if (!timer.signal.aborted) finish({ ready: false, result: current(), reason: 'timeout' });
        });
      });
    },
  };
}

/** Sleeps, resolving early (never rejecting) when the signal aborts. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return clock.sleep(ms, signal).catch(() => undefined);
}

function noResultYet(clock: Clock): ProbeResult {
  return { ok: false, at: clock.now(), latencyMs: 0, detail: 'no readiness probe has finished yet' };
}
