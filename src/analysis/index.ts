// Canary analysis: pure verdicts over request windows.
export { analyze, worsePhase, worstCheck } from './analyze.ts';
export * from './defaults.ts';
export { CLIENT_ERRORS, ERROR_CLASSES, type ErrorClass, SERVER_ERRORS } from './error-classes.ts';
export { conclusiveFailure } from './fast-fail.ts';
export {
  ABSOLUTE_CHECKS,
  BASELINE_FAILS_TO_FAIL,
  type IntervalJudgement,
  judgeInterval,
} from './interval-judgement.ts';
export { type StepDecision, type StepDecisionInput, stepDecision } from './step-decision.ts';
export type { AnalysisInput, CheckResult, Phase, SideSummary, Verdict } from './types.ts';
