// Alarms: CloudWatch-style rules evaluated the moment each period closes.
export type { ExtraMetricSource } from './datapoints.ts';
export { type AlarmEngine, type AlarmEngineOptions, createAlarmEngine } from './engine.ts';
export { type AlarmRule, type Evaluation, evaluateAlarm, evaluationRange } from './evaluate.ts';
export { checkRules, EVALUATION_GRACE_MS, findRuleProblems } from './rules.ts';
export { SeriesStore } from './series-store.ts';
export type {
  AlarmStateValue,
  AlarmStatus,
  AlarmTransition,
  AlarmTransitionSource,
  Severity,
} from './types.ts';
