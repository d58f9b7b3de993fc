// Every rule of an environment's policy evaluated for one release at one instant, from facts the
// caller gathered (so this stays pure: the same facts and instant give the same results).
//
// Rollbacks: a rollback is what an operator does during an incident, so windows and freezes never
// block it (they are evaluated and recorded as waived). The scan gate is waived too when the
// target already succeeded in this environment (a known-good version); a rollback to a version
// that never ran there goes through the gate like any release. requires.passed does not apply.
import type { EnvironmentConfig, WindowConfig } from '../config/types.ts';
import { formatBoth } from '../lib/zoned-time.ts';
import { evaluateErrorBudget, type SloBudget } from './budget-gate.ts';
import { evaluateScan } from './scan-gate.ts';
import { nextChange, scheduleAt } from './schedule.ts';
import type { RuleResult, StoredScan } from './types.ts';
import {
  describeFreeze,
  describeWindow,
  freezeSpans,
  freezeTimeZone,
  nameWindow,
  windowOpenAt,
} from './windows.ts';

export interface PolicyFacts {
  environment: EnvironmentConfig;
  version: string;
  kind: 'deploy' | 'release' | 'promote' | 'rollback' | 'restart';
  now: number;
  /** Versions that succeeded in the environment named by requires.passed (when there is one). */
  passedRequired?: readonly string[];
  /** The version's stored scan report (null: none uploaded). */
  scan: StoredScan | null;
  /** The version succeeded in this environment before. */
  knownGood: boolean;
  /** Error budget left of each SLO of the environment (when requires.error_budget is set). */
  budgets?: readonly SloBudget[];
}

/** The rules the environment has, in a fixed order: requires, freeze, window, scan. */
export function evaluatePolicy(f: PolicyFacts): RuleResult[] {
  const env = f.environment;
  const results: RuleResult[] = [];
  if (env.requires?.passed !== undefined && f.kind !== 'rollback')
    results.push(evaluateRequires(f, env.requires.passed));
  if (env.requires?.error_budget !== undefined)
    results.push(
      waive(f.kind === 'rollback', evaluateErrorBudget(env.name, env.requires.error_budget, f.budgets)),
    );
  const spans = freezeSpans(env);
  const state = scheduleAt(env, f.now, spans);
  if (spans.length > 0) results.push(waive(f.kind === 'rollback', evaluateFreezes(f, spans, state.frozen)));
  if (env.windows.length > 0)
    results.push(waive(f.kind === 'rollback', evaluateWindows(f, state.frozen.length)));
  if (env.scan) {
    const scan = evaluateScan(env.scan, f.scan, f.version, f.now);
    results.push(waive(f.kind === 'rollback' && f.knownGood, scan));
  }
  return results;
}

function waive(applies: boolean, r: RuleResult): RuleResult {
  if (!applies || r.outcome !== 'refuse') return r;
  return { ...r, outcome: 'waived', message: `${r.message} (waived: rollbacks are not held back by it)` };
}

function evaluateRequires(f: PolicyFacts, required: string): RuleResult {
  const passed = f.passedRequired?.includes(f.version) ?? false;
  const env = f.environment.name;
  return passed
    ? {
        rule: 'requires',
        outcome: 'pass',
        message: `requires.passed: ${f.version} succeeded in ${required}`,
        details: { passed: required },
      }
    : {
        rule: 'requires',
        outcome: 'refuse',
        message: `requires.passed: ${env} takes only versions that succeeded in ${required}, and ${f.version} has not`,
        details: { passed: required, hint: `gantry deploy --env ${required} --version ${f.version}` },
      };
}

function evaluateFreezes(
  f: PolicyFacts,
  spans: ReturnType<typeof freezeSpans>,
  active: ReturnType<typeof freezeSpans>,
): RuleResult {
  const tz = freezeTimeZone(f.environment);
  const env = f.environment.name;
  if (active.length === 0) {
    return {
      rule: 'freeze',
      outcome: 'pass',
      message: `freeze: no freeze of ${env} is in effect (dates read in ${tz})`,
      details: { tz },
    };
  }
  const end = Math.max(...active.map((s) => s.end));
  const names = active.map((s) => describeFreeze(s, spans.length)).join(' and ');
  return {
    rule: 'freeze',
    outcome: 'refuse',
    message: `freeze: ${env} is frozen by ${names}, dates in ${tz}; it ends ${formatBoth(end, tz)}`,
    details: {
      tz,
      freezes: active.map((s) => ({ index: s.index, ...s.freeze })),
      endsAt: new Date(end).toISOString(),
    },
  };
}

function evaluateWindows(f: PolicyFacts, frozenCount: number): RuleResult {
  const env = f.environment;
  const openIndex = env.windows.findIndex((w) => windowOpenAt(w, f.now));
  if (openIndex >= 0) {
    const w = env.windows[openIndex];
    return {
      rule: 'window',
      outcome: 'pass',
      message: `window: ${env.name} is inside ${env.windows.length > 1 ? nameWindow(env, openIndex) : `its deployment window (${describeWindow(w as WindowConfig)})`}`,
      details: { window: openIndex, tz: w?.tz },
    };
  }
  // When it next opens as far as the windows go; a freeze in the way is its own rule's message.
  const windowsOnly = { ...env, freezes: [] };
  const opens = nextChange(windowsOnly, f.now);
  const opening = opens === null ? null : env.windows.findIndex((w) => windowOpenAt(w, opens));
  const tz = (opening !== null && opening >= 0 ? env.windows[opening]?.tz : env.windows[0]?.tz) ?? 'UTC';
  const names =
    env.windows.length > 1
      ? `every deployment window (${env.windows.map((_, i) => nameWindow(env, i)).join(', ')})`
      : `its deployment window (${describeWindow(env.windows[0] as WindowConfig)})`;
  const next =
    opens === null
      ? 'it never opens'
      : `the next opens ${formatBoth(opens, tz)}${frozenCount > 0 ? ', but a freeze is in effect too' : ''}`;
  return {
    rule: 'window',
    outcome: 'refuse',
    message: `window: ${env.name} is outside ${names}; ${next}`,
    details: {
      windows: env.windows,
      nextOpen: opens === null ? null : new Date(opens).toISOString(),
      tz,
    },
  };
}
