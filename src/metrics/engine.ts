// The metrics engine: every proxied request lands in a per-second bucket of its
// (environment, version); closed seconds are announced to subscribers (alarms), closed minutes are
// rolled up into the store, and windows and queries read both.
import { type Clock, systemClock } from '../lib/clock.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { MetricsSink, RequestRecord } from '../proxy/types.ts';
import type { Store } from '../store/types.ts';
import { type InstanceSample, InstanceSamples } from './instance-samples.ts';
import { runQuery } from './query.ts';
import { collectMinute, MINUTE_MS, mergeRollups, type PendingRollup, rollupTally } from './rollup.ts';
import { SeriesState } from './series.ts';
import { quantileOf } from './sketch.ts';
import { type ClosedSecond, countersOf, type SeriesCounters, secondStats } from './snapshots.ts';
import { addToTally, emptyTally, type Tally } from './tally.ts';
import type { MetricsQuery, MetricsReader, Series, WindowStats } from './types.ts';
import { computeWindow, DEFAULT_MAX_SAMPLES } from './window.ts';

export type { InstanceSample } from './instance-samples.ts';
export type { ClosedSecond, SecondStats, SeriesCounters } from './snapshots.ts';

export const DEFAULT_RETENTION_MS = 30 * 24 * 3600 * 1000;
export const DEFAULT_MEMORY_SECONDS = 900;
export const DEFAULT_SAMPLES_PER_SECOND = 1000;
/** A second is announced this long after it ends, so requests still in flight at its end count. */
export const SECOND_GRACE_MS = 1000;
/** A minute is rolled up this long after it ends, for the same reason. */
export const MINUTE_GRACE_MS = 5000;
const TICK_MS = 250;
const PRUNE_EVERY_MS = 3600 * 1000;
const INSTANCE_MEMORY_MS = 3600 * 1000;

export interface MetricsEngineOptions {
  /** Where closed minutes are rolled up; without one, only memory is queried. */
  store?: Store;
  service: string;
  clock?: Clock;
  /** How long minute rollups are kept (30 days by default). */
  retentionMs?: number;
  /** Seconds of per-second data kept in memory (900 by default, at least 120). */
  memorySeconds?: number;
  /** Reservoir cap of raw latencies per (environment, version, second); 1000 by default. */
  samplesPerSecond?: number;
  logger?: Logger;
}

/** Request statistics of every version of an environment together over a time window. */
export type EnvironmentWindow = Omit<WindowStats, 'version' | 'latencies'>;

export interface MetricsEngine extends MetricsSink, MetricsReader {
  /** Starts the timers: seconds announced, minutes rolled up, memory and old rollups pruned. */
  start(): void;
  /** Stops the timers and writes what memory holds of the minutes not rolled up yet. */
  stop(): Promise<void>;
  /** The timers' work, once, now (tests drive it with an injected clock). */
  tick(): Promise<void>;
  /**
   * Calls fn once for every (environment, version) that had requests in a second, SECOND_GRACE_MS
   * after that second ended; seconds without requests are not announced. Returns the unsubscriber.
   */
  subscribeSecond(fn: (s: ClosedSecond) => void): () => void;
  setInstanceSample(s: InstanceSample): void;
  counters(): SeriesCounters[];
  /**
   * Every version of an environment merged over [from, to) (what alarms evaluate): the seconds
   * memory holds, and before them the minute rollups of the store (a minute counts in the window
   * holding its middle, so windows not aligned to minutes share none).
   */
  environmentWindow(environment: string, from: number, to: number): Promise<EnvironmentWindow>;
  /**
   * The same sums as environmentWindow, as a tally with its merged latency sketch (what SLOs count);
   * with `withSketch` false, counts only, which spares decoding a sketch per minute.
   */
  environmentTally(environment: string, from: number, to: number, withSketch?: boolean): Promise<Tally>;
}

export function createMetricsEngine(opts: MetricsEngineOptions): MetricsEngine {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const memorySeconds = opts.memorySeconds ?? DEFAULT_MEMORY_SECONDS;
  const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const sampleCap = opts.samplesPerSecond ?? DEFAULT_SAMPLES_PER_SECOND;
  checkOptions(memorySeconds, retentionMs, sampleCap);
  // Headroom past memorySeconds so a slot is never reused before the tick has dropped it.
  const ringSize = memorySeconds + 120;
  const createdAt = clock.now();
  const byEnv = new Map<string, Map<string, SeriesState>>();
  const instances = new InstanceSamples();
  let subscribers: Array<(s: ClosedSecond) => void> = [];
  let emittedThrough = Math.floor(createdAt / 1000) - 1;
  let rolledThrough = floorMinute(createdAt) - MINUTE_MS;
  let prunedAt = Number.NEGATIVE_INFINITY;
  let last: SeriesState | undefined;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let ticking = false;

  const seriesFor = (environment: string, version: string): SeriesState => {
    let byVersion = byEnv.get(environment);
    if (!byVersion) {
      byVersion = new Map();
      byEnv.set(environment, byVersion);
    }
    let s = byVersion.get(version);
    if (!s) {
      s = new SeriesState(environment, version, ringSize, sampleCap);
      byVersion.set(version, s);
    }
    return s;
  };

  const allSeries = (): SeriesState[] => [...byEnv.values()].flatMap((m) => [...m.values()]);

  const memoryFrom = (now: number): number => {
    const oldest = (Math.floor(now / 1000) - memorySeconds) * 1000;
    if (!opts.store) return oldest;
    return Math.max(floorMinute(createdAt), Math.ceil(oldest / MINUTE_MS) * MINUTE_MS);
  };

  const announce = (now: number): void => {
    const closed = Math.floor((now - SECOND_GRACE_MS) / 1000) - 1;
    const first = Math.max(emittedThrough + 1, closed - memorySeconds);
    if (subscribers.length > 0) {
      for (let s = first; s <= closed; s++) {
        for (const series of allSeries()) {
          const b = series.bucketAt(s);
          if (!b || b.requests + b.clientAborts === 0) continue;
          const event: ClosedSecond = {
            environment: series.environment,
            version: series.version,
            second: s * 1000,
            stats: secondStats(b),
          };
          for (const fn of subscribers) {
            try {
              fn(event);
            } catch (err) {
              logger.error({ err }, 'a subscriber to closed seconds failed');
            }
          }
        }
      }
    }
    emittedThrough = Math.max(emittedThrough, closed);
  };

  /** Rolls up minutes [from, through] (minute starts); false when the store refused. */
  const rollUp = async (from: number, through: number): Promise<boolean> => {
    const store = opts.store;
    if (!store) return true;
    for (let m = from; m <= through; m += MINUTE_MS) {
      const pending = allSeries()
        .map((s) => collectMinute(opts.service, s, m))
        .filter((p): p is PendingRollup => p !== undefined);
      try {
        await store.metrics.add(
          pending.map((p) => p.row),
          mergeRollups,
        );
      } catch (err) {
        for (const p of pending) for (const b of p.buckets) b.rolled = false;
        logger.warn({ err, minute: new Date(m).toISOString() }, 'could not write metric rollups; will retry');
        return false;
      }
    }
    return true;
  };

  const tickOnce = async (): Promise<void> => {
    const now = clock.now();
    announce(now);
    const closedMinute = floorMinute(now - MINUTE_GRACE_MS) - MINUTE_MS;
    const firstMinute = Math.max(rolledThrough + MINUTE_MS, floorMinute(now - memorySeconds * 1000));
    if (await rollUp(firstMinute, closedMinute)) rolledThrough = Math.max(rolledThrough, closedMinute);
    const oldest = Math.floor(now / 1000) - memorySeconds;
    for (const s of allSeries()) s.dropBefore(oldest);
    instances.dropBefore(now - INSTANCE_MEMORY_MS);
    if (opts.store && now - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = now;
      const before = new Date(now - retentionMs).toISOString();
      const removed = await opts.store.metrics.prune(before).catch((err: unknown) => {
        logger.warn({ err }, 'could not prune old metric rollups');
        return 0;
      });
      if (removed > 0) logger.debug({ removed, before }, 'pruned metric rollups');
    }
  };

  const tick = (): Promise<void> => {
    const run = chain.then(tickOnce);
    chain = run.catch((err: unknown) => logger.error({ err }, 'metrics tick failed'));
    return run;
  };

  const environmentTally = async (
    environment: string,
    from: number,
    to: number,
    withSketch = true,
  ): Promise<Tally> => {
    const now = clock.now();
    const memoryStart = memoryFrom(now);
    const tally = emptyTally();
    const first = Math.floor(Math.max(from, memoryStart) / 1000);
    const last = Math.min(Math.ceil(to / 1000) - 1, Math.floor(now / 1000) + 60);
    for (const series of byEnv.get(environment)?.values() ?? []) {
      for (let s = first; s <= last; s++) {
        const b = series.bucketAt(s);
        if (b && b.requests > 0) addToTally(tally, b, withSketch);
      }
    }
    const rollupsTo = Math.min(to, memoryStart);
    if (opts.store && from < rollupsTo) {
      const half = MINUTE_MS / 2;
      const rows = await opts.store.metrics.list({
        service: opts.service,
        environment,
        from: new Date(Math.ceil((from - half) / MINUTE_MS) * MINUTE_MS).toISOString(),
        to: new Date(Math.ceil((rollupsTo - half) / MINUTE_MS) * MINUTE_MS).toISOString(),
      });
      for (const row of rows) addToTally(tally, rollupTally(row, withSketch), withSketch);
    }
    return tally;
  };

  return {
    record(r: RequestRecord): void {
      let s = last;
      if (s === undefined || s.version !== r.version || s.environment !== r.environment) {
        s = seriesFor(r.environment, r.version);
        last = s;
      }
      s.record(r);
    },

    window(environment, version, from, to, maxSamples = DEFAULT_MAX_SAMPLES): WindowStats {
      const nowSecond = Math.floor(clock.now() / 1000);
      const series = byEnv.get(environment)?.get(version);
      return computeWindow(series, environment, version, {
        from,
        to,
        oldestSecond: nowSecond - memorySeconds,
        // Records carry the proxy's clock, which may run a little ahead of this one.
        newestSecond: nowSecond + 60,
        maxSamples,
      });
    },

    query(q: MetricsQuery): Promise<Series[]> {
      const now = clock.now();
      return runQuery(
        {
          service: opts.service,
          now,
          memoryFrom: memoryFrom(now),
          seriesOf: (env) => [...(byEnv.get(env)?.values() ?? [])],
          rollups: opts.store?.metrics,
          instances,
        },
        q,
      );
    },

    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        if (ticking) return;
        ticking = true;
        tick().finally(() => {
          ticking = false;
        });
      }, TICK_MS);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await chain;
      const now = clock.now();
      const current = floorMinute(now);
      chain = chain.then(async () => {
        announce(now + SECOND_GRACE_MS + 1000);
        const from = Math.max(rolledThrough + MINUTE_MS, floorMinute(now - memorySeconds * 1000));
        // The current minute stays open: seconds recorded after a restart are merged into its row.
        if (await rollUp(from, current)) rolledThrough = Math.max(rolledThrough, current - MINUTE_MS);
      });
      await chain;
    },

    tick,

    subscribeSecond(fn) {
      subscribers = [...subscribers, fn];
      return () => {
        subscribers = subscribers.filter((s) => s !== fn);
      };
    },

    setInstanceSample(s: InstanceSample): void {
      instances.add(s);
    },

    counters(): SeriesCounters[] {
      return allSeries().map(countersOf);
    },

    environmentTally,

    async environmentWindow(environment, from, to): Promise<EnvironmentWindow> {
      const tally = await environmentTally(environment, from, to);
      return {
        environment,
        from,
        to,
        requests: tally.requests,
        byClass: { '2xx': tally.c2xx, '3xx': tally.c3xx, '4xx': tally.c4xx, '5xx': tally.c5xx },
        errorRate: tally.requests > 0 ? tally.c5xx / tally.requests : 0,
        p50: quantileOf(tally.sketch, 0.5),
        p95: quantileOf(tally.sketch, 0.95),
        p99: quantileOf(tally.sketch, 0.99),
      };
    },
  };
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function checkOptions(memorySeconds: number, retentionMs: number, sampleCap: number): void {
  if (!Number.isInteger(memorySeconds) || memorySeconds < 120)
    throw new Error(`memorySeconds must be a whole number ≥ 120, got ${memorySeconds}`);
  if (!(retentionMs > memorySeconds * 1000))
    throw new Error(`retentionMs (${retentionMs}) must be longer than memorySeconds (${memorySeconds} s)`);
  if (!Number.isInteger(sampleCap) || sampleCap < 1)
    throw new Error(`samplesPerSecond must be a whole number ≥ 1, got ${sampleCap}`);
}
