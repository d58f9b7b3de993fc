// Reads the typed `data` of canary release events (src/api/types.ts); a malformed one reads as null
// so the caller falls back to the event's message instead of printing "undefined".
import type {
  CanaryStepEventData,
  CheckEventData,
  ControlEventData,
  ReleaseAction,
  ReleaseEventRecord,
  VerdictEventData,
  VerdictSide,
} from '../api/types.ts';

type Data = Record<string, unknown>;

const ACTIONS: readonly ReleaseAction[] = ['abort', 'pause', 'resume', 'promote'];
const PHASES: readonly VerdictEventData['phase'][] = ['pass', 'inconclusive', 'fail'];

export function readCanaryStep(event: ReleaseEventRecord): CanaryStepEventData | null {
  const d = dataOf(event, 'canary.step');
  if (!d || !isNum(d.step) || !isNum(d.steps) || !isNum(d.weight)) return null;
  return {
    step: d.step,
    steps: d.steps,
    weight: d.weight,
    pauseMs: isNum(d.pauseMs) ? d.pauseMs : null,
    stepEndsAt: typeof d.stepEndsAt === 'string' ? d.stepEndsAt : null,
    checks: Array.isArray(d.checks) ? d.checks.filter((c): c is string => typeof c === 'string') : [],
  };
}

export function readVerdict(event: ReleaseEventRecord): VerdictEventData | null {
  const d = dataOf(event, 'verdict');
  if (!d || !isNum(d.weight) || !PHASES.includes(d.phase as VerdictEventData['phase'])) return null;
  const canary = readSide(d.canary);
  if (!canary) return null;
  return {
    step: isNum(d.step) ? d.step : 0,
    steps: isNum(d.steps) ? d.steps : 0,
    weight: d.weight,
    phase: d.phase as VerdictEventData['phase'],
    summary: typeof d.summary === 'string' ? d.summary : '',
    canary,
    baseline: readSide(d.baseline),
    checks: Array.isArray(d.checks) ? (d.checks as VerdictEventData['checks']) : [],
    window: (d.window as VerdictEventData['window']) ?? { from: event.at, to: event.at },
    stepEndsAt: typeof d.stepEndsAt === 'string' ? d.stepEndsAt : null,
    decisive: d.decisive === true,
  };
}

export function readCheck(event: ReleaseEventRecord): CheckEventData | null {
  const d = dataOf(event, 'check');
  if (!d || typeof d.check !== 'string' || typeof d.ok !== 'boolean') return null;
  return {
    step: isNum(d.step) ? d.step : 0,
    check: d.check,
    ok: d.ok,
    message: typeof d.message === 'string' ? d.message : '',
  };
}

export function readControl(event: ReleaseEventRecord): ControlEventData | null {
  const d = dataOf(event, 'control');
  if (!d || !ACTIONS.includes(d.action as ReleaseAction)) return null;
  return {
    action: d.action as ReleaseAction,
    reason: typeof d.reason === 'string' && d.reason ? d.reason : null,
    by: typeof d.by === 'string' && d.by ? d.by : null,
  };
}

function readSide(value: unknown): VerdictSide | null {
  if (!value || typeof value !== 'object') return null;
  const s = value as Data;
  if (!isNum(s.requests) || !isNum(s.errorRate)) return null;
  return {
    version: typeof s.version === 'string' ? s.version : '',
    requests: s.requests,
    errors: isNum(s.errors) ? s.errors : 0,
    errorRate: s.errorRate,
    ...(isNum(s.clientErrors) ? { clientErrors: s.clientErrors } : {}),
    ...(isNum(s.clientErrorRate) ? { clientErrorRate: s.clientErrorRate } : {}),
    p50: isNum(s.p50) ? s.p50 : null,
    p99: isNum(s.p99) ? s.p99 : null,
  };
}

function dataOf(event: ReleaseEventRecord, type: string): Data | null {
  return event.type === type && event.data && typeof event.data === 'object' ? event.data : null;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
