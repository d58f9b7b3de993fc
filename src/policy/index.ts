// Release policy (issue 6): deployment windows, freezes, requires.passed and the vulnerability
// gate, evaluated before a release starts and recorded with it.

export { formatBoth, formatLocal, formatUtc, wallClock, zonedInstant } from '../lib/zoned-time.ts';
export { evaluateErrorBudget, type SloBudget } from './budget-gate.ts';
export { checkOverride, decide, describeDecision, refusalError } from './decide.ts';
export { evaluatePolicy, type PolicyFacts } from './evaluate.ts';
export { type BudgetSource, type PolicyCheck, PolicyGate, toStoredScan } from './gate.ts';
export { allowExpired, allowExpiresAt, evaluateScan } from './scan-gate.ts';
export { findImageMismatch } from './scan-image.ts';
export { decisionReadScan, mayReplaceScan, type ReplaceDecision, type ScanCheck } from './scan-replace.ts';
export {
  countBySeverity,
  describeCounts,
  describeFinding,
  detectScanFormat,
  parseScanReport,
  SEVERITY_RANK,
} from './scan-report.ts';
export { nextChange, nextOpenAndClose, scheduleAt } from './schedule.ts';
export type * from './types.ts';
export { environmentPolicyView } from './view.ts';
export { describeWindow, freezeTimeZone, windowOpenAt } from './windows.ts';
