// Human text for canary releases: steps, verdicts, checks, operator actions and where a release stands.
import type {
  CanaryStepEventData,
  CheckEventData,
  ControlEventData,
  ReleaseAction,
  ReleaseRecord,
  VerdictEventData,
  VerdictSide,
} from '../api/types.ts';

const ACTION_PAST: Record<ReleaseAction, string> = {
  abort: 'aborted',
  pause: 'paused',
  resume: 'resumed',
  promote: 'promoted',
};

/** Compact spans as people write them: 45s, 10m, 6m 10s, 1h 5m. */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s / 60}m`;
  const m = Math.floor((s % 3600) / 60);
  return m ? `${Math.floor(s / 3600)}h ${m}m` : `${Math.floor(s / 3600)}h`;
}

/** A fraction as a percentage: 0.003 → "0.3 %", 0.0425 → "4.25 %", 0.25 → "25 %". */
export function formatPercent(rate: number): string {
  const p = rate * 100;
  if (p > 0 && p < 0.01) return '<0.01 %';
  const text = p.toFixed(p >= 10 ? 1 : 2).replace(/\.?0+$/, '');
  return `${text} %`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  return `${ms < 10 ? ms.toFixed(1).replace(/\.0$/, '') : Math.round(ms)} ms`;
}

/** Release states as words: rolling_back → "rolling back". */
export function phaseName(state: string): string {
  return state.replaceAll('_', ' ');
}

/** `step 2/4: 25 % of traffic to v2 for 10m (checks: smoke)` */
export function formatCanaryStep(d: CanaryStepEventData, version: string | undefined): string {
  const pause = d.pauseMs !== null && d.pauseMs > 0 ? ` for ${formatSpan(d.pauseMs)}` : '';
  const checks = d.checks.length > 0 ? ` (checks: ${d.checks.join(', ')})` : '';
  return `step ${d.step}/${d.steps}: ${d.weight} % of traffic to ${version ?? 'the new version'}${pause}${checks}`;
}

/**
 * `canary 312 req 0.3 % 5xx p99 180 ms | stable 940 req 0.2 % 5xx p99 175 ms`, with the 4xx rates
 * after the 5xx ones when either side has any 4xx: `canary 35 req 0 % 5xx 40 % 4xx p99 2 ms | …`.
 */
export function formatSides(v: Pick<VerdictEventData, 'canary' | 'baseline'>): string {
  const with4xx = [v.canary, v.baseline].some((s) => (s?.clientErrorRate ?? 0) > 0);
  const stable = v.baseline ? formatSide('stable', v.baseline, with4xx) : 'no stable baseline';
  return `${formatSide('canary', v.canary, with4xx)} | ${stable}`;
}

function formatSide(label: string, s: VerdictSide, with4xx: boolean): string {
  const clientErrors = with4xx ? ` ${formatPercent(s.clientErrorRate ?? 0)} 4xx` : '';
  return `${label} ${s.requests} req ${formatPercent(s.errorRate)} 5xx${clientErrors} p99 ${formatMs(s.p99)}`;
}

/** `pass`, or the phase with the reason the analysis gave: `inconclusive: 12 of 50 requests`. */
export function formatVerdictPhase(v: Pick<VerdictEventData, 'phase' | 'summary'>): string {
  return v.phase === 'pass' || !v.summary ? v.phase : `${v.phase}: ${v.summary}`;
}

/** `(6m 10s left)` until the step ends, or '' when it has no end or it has passed. */
export function formatTimeLeft(ms: number | null): string {
  if (ms === null || ms < 500) return '';
  return `(${formatSpan(Math.ceil(ms / 1000) * 1000)} left)`;
}

/** One verdict: weight, both sides, phase, and the time the step had left when it was made. */
export function formatVerdict(v: VerdictEventData, at: string): string {
  const left = v.stepEndsAt ? Date.parse(v.stepEndsAt) - Date.parse(at) : null;
  const parts = [
    `${String(v.weight).padStart(3)} %`,
    formatSides(v),
    formatVerdictPhase(v),
    formatTimeLeft(Number.isFinite(left) ? left : null),
  ];
  return parts.filter(Boolean).join('  ');
}

/** `check smoke passed: 1/1 requests answered 200` */
export function formatCheck(d: CheckEventData): string {
  return `check ${d.check} ${d.ok ? 'passed' : 'failed'}${d.message ? `: ${d.message}` : ''}`;
}

/** `paused by alice (maintenance window)` */
export function formatControl(d: ControlEventData): string {
  return `${ACTION_PAST[d.action]} by ${d.by ?? 'an operator'}${d.reason ? ` (${d.reason})` : ''}`;
}

/** A canary's step and weight from its durable plan, or null for a release without steps. */
export function readPlanStep(
  release: Pick<ReleaseRecord, 'plan'>,
): { step: number; steps: number | null; weight: number } | null {
  const { step, weight } = release.plan;
  if (typeof step !== 'number' || typeof weight !== 'number') return null;
  return { step, weight, steps: planSteps(release) };
}

/** `step 2/4 (25 %)`, or null for a release without steps. */
export function describePlanStep(release: Pick<ReleaseRecord, 'plan'>): string | null {
  const at = readPlanStep(release);
  if (!at) return null;
  return `step ${at.step}${at.steps ? `/${at.steps}` : ''} (${at.weight} %)`;
}

/** Number of steps in a canary's plan, when the plan says. */
export function planSteps(release: Pick<ReleaseRecord, 'plan'>): number | null {
  const { steps } = release.plan;
  return typeof steps === 'number' ? steps : null;
}

/** `release rel_… paused at step 2/4 (25 %)`, then what the release is doing now when that differs. */
export function formatActionResult(action: ReleaseAction, release: ReleaseRecord): string {
  const verb = ACTION_PAST[action];
  const where = describePlanStep(release);
  const state = phaseName(release.state);
  const now = state === verb ? '' : `; now ${state}`;
  return `release ${release.id} ${verb}${where ? ` at ${where}` : ''}${now}`;
}
