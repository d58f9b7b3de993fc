// CloudWatch's alarm evaluation as a pure function: the datapoints of the evaluation range (a few
// periods more than evaluation_periods, oldest first, null when missing) and the current state in,
// the new state and a reason with numbers out. It follows "Configuring how CloudWatch alarms treat
// missing data" (both of its tables are test cases):
// - N datapoints present among the newest N: ALARM when at least M breach, else OK.
// - Some of them missing but N real ones in the range: the N newest real ones decide; the
//   missing-data setting is not consulted.
// - Fewer than N real ones: the gaps are filled by the setting. `breaching` and `not_breaching`
//   count them so. `missing` evaluates the real ones: none at all is INSUFFICIENT_DATA; M real
//   breaches is ALARM; any real non-breaching one makes it OK; when every real datapoint breaches
//   but fewer than M do, the alarm fires only if the oldest breach is at least M periods old
//   (CloudWatch's rule against premature alarms), else it keeps its state. `ignore` is `missing`
//   except that it keeps the state where `missing` would go to INSUFFICIENT_DATA or fire on that rule.
import type { AlarmConfig } from '../config/types.ts';
import { formatMetricValue, formatPeriods } from './format.ts';
import type { AlarmStateValue } from './types.ts';

/** Periods read beyond evaluation_periods (CloudWatch reads 5 datapoints for 3 evaluation periods). */
export const EXTRA_RANGE_PERIODS = 2;

export type AlarmRule = Pick<
  AlarmConfig,
  | 'metric'
  | 'above'
  | 'below'
  | 'period'
  | 'evaluation_periods'
  | 'datapoints_to_alarm'
  | 'treat_missing_data'
>;

export interface Evaluation {
  state: AlarmStateValue;
  /** Human sentence with numbers: "http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s". */
  reason: string;
  /** Breaching datapoints among those evaluated, missing ones counted as the treatment says. */
  breaching: number;
}

/** How many datapoints an evaluation reads: evaluation_periods plus EXTRA_RANGE_PERIODS. */
export function evaluationRange(evaluationPeriods: number): number {
  return evaluationPeriods + EXTRA_RANGE_PERIODS;
}

export function isBreaching(rule: Pick<AlarmConfig, 'above' | 'below'>, value: number): boolean {
  return (rule.above !== undefined && value > rule.above) || (rule.below !== undefined && value < rule.below);
}

export function evaluateAlarm(
  rule: AlarmRule,
  datapoints: ReadonlyArray<number | null>,
  current: AlarmStateValue,
): Evaluation {
  const n = rule.evaluation_periods;
  const newest = datapoints.slice(-n);
  const real = datapoints.filter((v): v is number => v !== null);
  if (newest.length === n && newest.every((v) => v !== null)) return count(rule, real.slice(-n), 0, 'none');
  if (real.length >= n) return count(rule, real.slice(-n), 0, 'none');
  const gaps = n - real.length;
  switch (rule.treat_missing_data) {
    case 'breaching':
      return count(rule, real, gaps, 'breaching');
    case 'not_breaching':
      return count(rule, real, gaps, 'not_breaching');
    case 'missing':
      return evaluatePartial(rule, datapoints, real, current, false);
    case 'ignore':
      return evaluatePartial(rule, datapoints, real, current, true);
  }
}

/** Fewer than N real datapoints, missing ones neither breaching nor not (`missing`, `ignore`). */
function evaluatePartial(
  rule: AlarmRule,
  datapoints: ReadonlyArray<number | null>,
  real: number[],
  current: AlarmStateValue,
  ignore: boolean,
): Evaluation {
  const range = formatPeriods(datapoints.length, rule.period);
  if (real.length === 0) {
    return ignore
      ? {
          state: current,
          reason: `no ${rule.metric} data in ${range}; missing data is ignored`,
          breaching: 0,
        }
      : { state: 'INSUFFICIENT_DATA', reason: `no ${rule.metric} data in ${range}`, breaching: 0 };
  }
  const breaches = real.filter((v) => isBreaching(rule, v)).length;
  const gaps = rule.evaluation_periods - real.length;
  if (breaches >= rule.datapoints_to_alarm || breaches < real.length) {
    return count(rule, real, gaps, 'missing');
  }
  // Every real datapoint breaches, but fewer than M of them.
  const oldest = datapoints.findIndex((v) => v !== null);
  const age = datapoints.length - oldest;
  const m = rule.datapoints_to_alarm;
  if (age >= m && !ignore) {
    const value = describe(rule, datapoints[oldest] as number);
    return {
      state: 'ALARM',
      reason: `${rule.metric} ${value} ${age} periods ago and every datapoint since breaching or missing (${breaches} present in ${range})`,
      breaching: breaches,
    };
  }
  return {
    state: current,
    reason: `${rule.metric}: ${breaches} breaching datapoint${breaches === 1 ? '' : 's'} in ${range}, the rest missing; too few to decide (${m} needed)`,
    breaching: breaches,
  };
}

type GapTreatment = 'none' | 'breaching' | 'not_breaching' | 'missing';

/** M of N over real datapoints plus `gaps` missing ones counted as `treatment` says. */
function count(rule: AlarmRule, real: number[], gaps: number, treatment: GapTreatment): Evaluation {
  const n = rule.evaluation_periods;
  const m = rule.datapoints_to_alarm;
  const breachingReal = real.filter((v) => isBreaching(rule, v));
  const breaching = breachingReal.length + (treatment === 'breaching' ? gaps : 0);
  const periods = formatPeriods(n, rule.period);
  const note = gapNote(gaps, treatment);
  if (breaching >= m) {
    const last = breachingReal[breachingReal.length - 1];
    const reason =
      last === undefined
        ? `no ${rule.metric} data in ${n === 1 ? '' : `${gaps} of `}${periods}, treated as breaching`
        : `${rule.metric} ${describe(rule, last)} in ${n === 1 ? '' : `${breaching} of `}${periods}${note}`;
    return { state: 'ALARM', reason, breaching };
  }
  const last = real[real.length - 1];
  const reason =
    last === undefined
      ? `no ${rule.metric} data in ${periods}, treated as not breaching`
      : n === 1
        ? `${rule.metric} ${describe(rule, last)} in ${periods}${note}`
        : `${rule.metric} ${describe(rule, last)}: ${breaching} of ${periods} breaching, ${m} needed to alarm${note}`;
  return { state: 'OK', reason, breaching };
}

function gapNote(gaps: number, treatment: GapTreatment): string {
  if (gaps <= 0 || treatment === 'none') return '';
  if (treatment === 'missing') return ` (${gaps} missing)`;
  return ` (${gaps} missing, treated as ${treatment === 'breaching' ? 'breaching' : 'not breaching'})`;
}

/** "4.2% > 1%" or "0.2% ≤ 1%" (and < / ≥ for `below`). */
function describe(rule: Pick<AlarmConfig, 'metric' | 'above' | 'below'>, value: number): string {
  const shown = formatMetricValue(rule.metric, value);
  if (rule.above !== undefined) {
    const op = value > rule.above ? '>' : '≤';
    return `${shown} ${op} ${formatMetricValue(rule.metric, rule.above)}`;
  }
  const below = rule.below ?? 0;
  return `${shown} ${value < below ? '<' : '≥'} ${formatMetricValue(rule.metric, below)}`;
}
