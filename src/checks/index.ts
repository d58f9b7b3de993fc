// Step checks run against a canary instance (DESIGN §4 `checks:`).
export { type CheckRunResult, type CheckTarget, type RunCheckOptions, runCheck } from './run-check.ts';
