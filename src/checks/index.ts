// Step checks run against a canary instance (gantry.yaml `checks:`).
export { type CheckRunResult, type CheckTarget, type RunCheckOptions, runCheck } from './run-check.ts';
