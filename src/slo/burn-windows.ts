// The multi-window, multi-burn-rate alarms of Google's SRE workbook (chapter 5, table 5-8), for a
// 30-day SLO, scaled to an SLO's own window: an alarm fires while the burn rate is above its factor
// over both the long and the short window, so it fires fast on a fast burn and resets fast.
const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
const MINUTE = 60 * 1000;

export const REFERENCE_SLO_WINDOW = 30 * DAY;

export interface BurnRule {
  severity: 'page' | 'ticket';
  /** Burn rate above which the rule breaches. */
  factor: number;
  long: number; // ms
  short: number; // ms
}

export const WORKBOOK_RULES: readonly BurnRule[] = [
  { severity: 'page', factor: 14.4, long: 1 * HOUR, short: 5 * MINUTE },
  { severity: 'page', factor: 6, long: 6 * HOUR, short: 30 * MINUTE },
  { severity: 'ticket', factor: 1, long: 3 * DAY, short: 6 * HOUR },
];

/** The workbook's rules with windows scaled to `window` (whole seconds, at least one minute). */
export function burnRules(window: number): BurnRule[] {
  const scale = window / REFERENCE_SLO_WINDOW;
  const scaled = (ms: number) => Math.max(MINUTE, Math.round((ms * scale) / 1000) * 1000);
  return WORKBOOK_RULES.map((r) => ({ ...r, long: scaled(r.long), short: scaled(r.short) }));
}

/** Every distinct window of the rules, shortest first (what `gantry slo` shows burn rates over). */
export function burnWindows(window: number): number[] {
  const all = burnRules(window).flatMap((r) => [r.long, r.short]);
  return [...new Set(all)].sort((a, b) => a - b);
}
