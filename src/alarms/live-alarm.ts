// One running alarm: its rule, its state and what its last evaluation saw, and the records built
// from it (the status the API shows, the transition the engine publishes).
import type { AlarmConfig } from '../config/types.ts';
import { periodBoundary } from './rules.ts';
import type { AlarmStateValue, AlarmStatus, AlarmTransition } from './types.ts';

export interface LiveAlarm {
  rule: AlarmConfig;
  state: AlarmStateValue;
  /** ISO-8601: when it entered its state. */
  since: string;
  reason: string;
  /** The newest datapoint of the last evaluation (null: missing). */
  lastValue: number | null;
  /** ISO-8601 end of the last period evaluated. */
  lastEvaluatedAt: string | null;
  /** Epoch ms end of the newest period evaluated; each period is evaluated once. */
  evaluatedThrough: number;
  /** Dropped by a reload: an evaluation still running for it publishes nothing. */
  removed: boolean;
}

/**
 * A new alarm: INSUFFICIENT_DATA until the first period that ends after now is evaluated. Periods
 * that ended before are not: right after a restart they hold no data, and a restored state must
 * not fall to INSUFFICIENT_DATA only because memory was empty.
 */
export function newLiveAlarm(rule: AlarmConfig, now: number): LiveAlarm {
  return {
    rule,
    state: 'INSUFFICIENT_DATA',
    since: new Date(now).toISOString(),
    reason: 'not evaluated yet',
    lastValue: null,
    lastEvaluatedAt: null,
    evaluatedThrough: periodBoundary(now, rule.period),
    removed: false,
  };
}

export function thresholdOf(rule: Pick<AlarmConfig, 'above' | 'below'>): { above?: number; below?: number } {
  return {
    ...(rule.above !== undefined ? { above: rule.above } : {}),
    ...(rule.below !== undefined ? { below: rule.below } : {}),
  };
}

export function statusOf(a: LiveAlarm): Omit<AlarmStatus, 'service'> {
  const r = a.rule;
  return {
    alarm: r.name,
    environment: r.environment,
    metric: r.metric,
    severity: r.severity,
    state: a.state,
    since: a.since,
    reason: a.reason,
    lastValue: a.lastValue,
    lastEvaluatedAt: a.lastEvaluatedAt,
    threshold: thresholdOf(r),
    periodMs: r.period,
    evaluationPeriods: r.evaluation_periods,
    datapointsToAlarm: r.datapoints_to_alarm,
    notify: r.notify,
    runbook: r.runbook ?? null,
  };
}

export function transitionOf(
  a: LiveAlarm,
  t: {
    id: string;
    service: string;
    to: AlarmStateValue;
    at: number;
    reason: string;
    datapoints: Array<number | null>;
  },
): AlarmTransition {
  const r = a.rule;
  return {
    id: t.id,
    service: t.service,
    alarm: r.name,
    environment: r.environment,
    metric: r.metric,
    severity: r.severity,
    from: a.state,
    to: t.to,
    at: new Date(t.at).toISOString(),
    reason: t.reason,
    datapoints: t.datapoints,
    threshold: thresholdOf(r),
    notify: r.notify,
    runbook: r.runbook ?? null,
    description: r.description ?? null,
  };
}
