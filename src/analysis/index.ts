// Canary analysis: pure verdicts over request windows.
export { analyze, worsePhase, worstCheck } from './analyze.ts';
export * from './defaults.ts';
export { conclusiveFailure } from './fast-fail.ts';
export { type StepDecision, type StepDecisionInput, stepDecision } from './step-decision.ts';
export type { AnalysisInput, CheckResult, Phase, SideSummary, Verdict } from './types.ts';
