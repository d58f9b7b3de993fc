// The alarm engine: each rule of gantry.yaml is evaluated the moment each of its
// periods closes (plus a small grace), on timers aligned to period boundaries, never by polling.
// Every transition is written to the store, then published; a restarted engine resumes from the
// persisted states.
import { certificateAlarmRules } from '../acme/metrics.ts';
import { backupAlarmRules } from '../backup/alarm.ts';
import type { LoadedConfig } from '../config/types.ts';
import { responseTargetRules } from '../incidents/response-targets.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import { sloAlarmRules } from '../slo/burn-alarms.ts';
import type { Store } from '../store/types.ts';
import { computeDatapoints, type DatapointSources, type ExtraMetricSource } from './datapoints.ts';
import { evaluateAlarm, evaluationRange } from './evaluate.ts';
import { type LiveAlarm, newLiveAlarm, statusOf, transitionOf } from './live-alarm.ts';
import { alarmKey, checkRules, lastDuePeriodEnd, nextEvaluationAt, periodBoundary } from './rules.ts';
import { SeriesStore } from './series-store.ts';
import type { AlarmStatus, AlarmTransition, AlarmTransitionSource } from './types.ts';

export interface AlarmEngineOptions {
  config: () => LoadedConfig;
  metrics: Pick<MetricsEngine, 'environmentWindow' | 'query'> &
    Partial<Pick<MetricsEngine, 'environmentTally'>>;
  store: Pick<Store, 'alarms' | 'events' | 'incidents'>;
  /** Where synthetics results are (shared with the synthetics runner); an empty one by default. */
  series?: SeriesStore;
  clock?: Clock;
  logger?: Logger;
  /** Metrics other modules feed (log_matches:<name>); missing until one is given. */
  extraMetrics?: ExtraMetricSource;
}

export interface AlarmEngine extends AlarmTransitionSource {
  /** Restores the persisted states, evaluates the periods just closed, then runs the timers. */
  start(): Promise<void>;
  /** Stops the timers and waits for an evaluation in progress. */
  stop(): Promise<void>;
  /**
   * Re-reads the rules from config(): alarms with the same name, environment and metric keep their
   * state and history. Throws CONFIG_INVALID, changing nothing, when a rule cannot run.
   */
  reload(): void;
  statuses(): AlarmStatus[];
  /** Transitions, newest first. */
  history(q?: { alarm?: string; environment?: string; limit?: number }): Promise<AlarmTransition[]>;
  /** Evaluates every period due by now, once (the timers' work; tests drive it with a clock). */
  tick(): Promise<void>;
}

/** Longest sleep between checks of the schedule, so a clock jump is noticed. */
const MAX_SLEEP_MS = 60_000;

export function createAlarmEngine(opts: AlarmEngineOptions): AlarmEngine {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const series = opts.series ?? new SeriesStore();
  let alarms = new Map<string, LiveAlarm>();
  let subscribers: Array<(t: AlarmTransition) => void> = [];
  let watchingSince = clock.now();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake = new AbortController();
  let chain: Promise<void> = Promise.resolve();

  const service = () => opts.config().config.service;

  const install = (): void => {
    const config = opts.config().config;
    checkRules(config);
    const now = clock.now();
    const next = new Map<string, LiveAlarm>();
    for (const rule of [
      ...config.alarms,
      ...sloAlarmRules(config.slos ?? []),
      ...responseTargetRules(config),
      ...certificateAlarmRules(config),
      ...backupAlarmRules(config),
    ]) {
      const key = alarmKey(rule);
      const kept = alarms.get(key);
      if (kept) {
        if (kept.rule.period !== rule.period) kept.evaluatedThrough = periodBoundary(now, rule.period);
        kept.rule = rule;
        next.set(key, kept);
      } else {
        next.set(key, newLiveAlarm(rule, now));
      }
    }
    for (const [key, gone] of alarms) {
      if (next.has(key)) continue;
      gone.removed = true;
      opts.store.alarms
        .removeState(service(), gone.rule.name, gone.rule.environment)
        .catch((err: unknown) =>
          logger.warn({ err, alarm: gone.rule.name }, 'could not forget a removed alarm'),
        );
    }
    alarms = next;
  };

  const sources = (): DatapointSources => ({
    service: service(),
    metrics: opts.metrics,
    store: opts.store,
    series,
    extra: opts.extraMetrics,
    slos: opts.config().config.slos,
    respondWithin: opts.config().config.incidents?.respond_within,
    watchingSince,
  });

  const publish = (t: AlarmTransition): void => {
    for (const fn of subscribers) {
      try {
        fn(t);
      } catch (err) {
        logger.error({ err, alarm: t.alarm }, 'a subscriber to alarm transitions failed');
      }
    }
  };

  const evaluatePeriod = async (a: LiveAlarm, end: number): Promise<void> => {
    const rule = a.rule;
    const range = evaluationRange(rule.evaluation_periods);
    const starts = Array.from({ length: range }, (_, i) => end - (range - i) * rule.period);
    let datapoints: Array<number | null>;
    try {
      datapoints = await computeDatapoints(sources(), {
        metric: rule.metric,
        environment: rule.environment,
        period: rule.period,
        starts,
      });
    } catch (err) {
      // Data that could not be read is not missing data: the state stays as it is.
      logger.warn({ err, alarm: rule.name, environment: rule.environment }, 'could not read datapoints');
      return;
    }
    const result = evaluateAlarm(rule, datapoints, a.state);
    a.lastValue = datapoints[datapoints.length - 1] ?? null;
    a.lastEvaluatedAt = new Date(end).toISOString();
    if (result.state === a.state || a.removed) return;
    const t = transitionOf(a, {
      id: newId('alt'),
      service: service(),
      to: result.state,
      at: end,
      reason: result.reason,
      datapoints: datapoints.slice(-rule.evaluation_periods),
    });
    a.state = t.to;
    a.since = t.at;
    a.reason = t.reason;
    logger.info(
      { alarm: t.alarm, environment: t.environment, from: t.from, to: t.to, reason: t.reason },
      `alarm ${t.alarm} transitioned from ${t.from} -> ${t.to}`,
    );
    try {
      await opts.store.alarms.recordTransition(t);
    } catch (err) {
      logger.error({ err, alarm: t.alarm }, 'could not record an alarm transition; publishing it anyway');
    }
    publish(t);
  };

  const evaluateDue = async (a: LiveAlarm, now: number): Promise<void> => {
    const period = a.rule.period;
    const due = lastDuePeriodEnd(now, period);
    if (due <= a.evaluatedThrough) return;
    // After a stall, periods older than the evaluation range would change nothing: skip them.
    const range = evaluationRange(a.rule.evaluation_periods);
    for (
      let end = Math.max(a.evaluatedThrough + period, due - (range - 1) * period);
      end <= due;
      end += period
    ) {
      await evaluatePeriod(a, end);
      a.evaluatedThrough = end;
    }
  };

  const tick = (): Promise<void> => {
    const run = chain.then(async () => {
      const now = clock.now();
      await Promise.all([...alarms.values()].map((a) => evaluateDue(a, now)));
    });
    chain = run.catch((err: unknown) => logger.error({ err }, 'alarm evaluation failed'));
    return run;
  };

  const nextDue = (): number => {
    let next = Number.POSITIVE_INFINITY;
    for (const a of alarms.values())
      next = Math.min(next, nextEvaluationAt(a.evaluatedThrough, a.rule.period));
    return next;
  };

  const loop = async (): Promise<void> => {
    while (running) {
      const now = clock.now();
      const next = nextDue();
      if (next > now) {
        wake = new AbortController();
        try {
          await clock.sleep(Math.min(next - now, MAX_SLEEP_MS), wake.signal);
        } catch {
          // woken by reload() or stop()
        }
        continue;
      }
      await tick().catch(() => {});
    }
  };

  const restore = async (): Promise<void> => {
    const persisted = await opts.store.alarms.states(service());
    for (const p of persisted) {
      const a = alarms.get(alarmKey({ name: p.alarm, environment: p.environment, metric: p.metric }));
      if (!a) continue;
      a.state = p.state;
      a.since = p.since;
      a.reason = p.reason;
    }
  };

  install();

  return {
    async start() {
      if (running) return;
      watchingSince = clock.now();
      for (const a of alarms.values()) a.evaluatedThrough = periodBoundary(watchingSince, a.rule.period);
      await restore();
      running = true;
      loopDone = loop();
    },

    async stop() {
      running = false;
      wake.abort();
      await loopDone;
      await chain;
    },

    reload() {
      install();
      wake.abort();
    },

    statuses() {
      return [...alarms.values()]
        .map(statusOf)
        .map((s) => ({ ...s, service: service() }))
        .sort((x, y) => x.environment.localeCompare(y.environment) || x.alarm.localeCompare(y.alarm));
    },

    async history(q = {}) {
      return opts.store.alarms.history({ service: service(), ...q });
    },

    tick,

    subscribe(fn) {
      subscribers = [...subscribers, fn];
      return () => {
        subscribers = subscribers.filter((s) => s !== fn);
      };
    },
  };
}
