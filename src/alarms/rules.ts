// Alarm rules as the engine runs them: checked whole before they replace the running ones, keyed by
// name + environment + metric (what decides whether an alarm keeps its state across a reload), and
// scheduled on period boundaries counted from the Unix epoch (a 60 s alarm's periods start on the
// minute), so every server evaluates the same periods.
import type { AlarmConfig, GantryConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';

export const MIN_PERIOD_MS = 1000;
export const MAX_PERIOD_MS = 3600 * 1000;
/**
 * A period is evaluated this long after it ends, so that requests finishing right at the boundary
 * (recorded under the second they arrived in) count; the rest of the 1 s budget is for delivery.
 */
export const EVALUATION_GRACE_MS = 50;

export function alarmKey(rule: Pick<AlarmConfig, 'name' | 'environment' | 'metric'>): string {
  return `${rule.name}\u0000${rule.environment}\u0000${rule.metric}`;
}

/** Problems that keep the alarms of a config from running, each naming the alarm and the fix. */
export function findRuleProblems(config: Pick<GantryConfig, 'alarms' | 'environments'>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of config.alarms) {
    const where = `alarms.${rule.name}`;
    if (seen.has(rule.name)) problems.push(`${where}: the name is used by another alarm`);
    seen.add(rule.name);
    if (!Number.isInteger(rule.period) || rule.period % 1000 !== 0)
      problems.push(`${where}.period: expected whole seconds, got ${rule.period} ms`);
    if (rule.period < MIN_PERIOD_MS || rule.period > MAX_PERIOD_MS)
      problems.push(`${where}.period: expected from 1s to 1h, got ${rule.period} ms`);
    if (rule.datapoints_to_alarm < 1 || rule.datapoints_to_alarm > rule.evaluation_periods)
      problems.push(
        `${where}.datapoints_to_alarm: expected 1 to evaluation_periods (${rule.evaluation_periods})`,
      );
    if ((rule.above === undefined) === (rule.below === undefined))
      problems.push(`${where}: set exactly one of above or below`);
    if (!(rule.environment in config.environments))
      problems.push(`${where}.environment: no environment ${rule.environment}`);
  }
  return problems;
}

/** Throws CONFIG_INVALID (changing nothing) when the rules cannot run. */
export function checkRules(config: Pick<GantryConfig, 'alarms' | 'environments'>): void {
  const problems = findRuleProblems(config);
  if (problems.length > 0) {
    throw new GantryError('CONFIG_INVALID', `the alarms cannot run: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

/** The newest period boundary at or before `now`. */
export function periodBoundary(now: number, period: number): number {
  return Math.floor(now / period) * period;
}

/** End of the newest period whose evaluation is due at `now` (grace included). */
export function lastDuePeriodEnd(now: number, period: number): number {
  return Math.floor((now - EVALUATION_GRACE_MS) / period) * period;
}

/** When the period after the one ending at `end` is due for evaluation. */
export function nextEvaluationAt(end: number, period: number): number {
  return end + period + EVALUATION_GRACE_MS;
}
