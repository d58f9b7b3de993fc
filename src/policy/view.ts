// An environment's policy as the API shows it: its windows and freezes, whether a release may
// start now, and when that next changes, in the environment's zone and in UTC.
import type { EnvironmentConfig } from '../config/types.ts';
import { formatLocal, formatUtc } from '../lib/zoned-time.ts';
import { allowExpired } from './scan-gate.ts';
import { nextOpenAndClose, scheduleAt } from './schedule.ts';
import type { EnvironmentPolicyView, InstantView } from './types.ts';
import { describeFreeze, describeWindow, freezeSpans, freezeTimeZone, windowOpenAt } from './windows.ts';

export function environmentPolicyView(env: EnvironmentConfig, now: number): EnvironmentPolicyView {
  const spans = freezeSpans(env);
  const state = scheduleAt(env, now, spans);
  const { nextOpen, nextClose } = nextOpenAndClose(env, now);
  const tz = freezeTimeZone(env);
  const reason = state.open
    ? null
    : state.frozen.length > 0
      ? `frozen by ${state.frozen.map((s) => describeFreeze(s, spans.length)).join(' and ')}`
      : 'outside every deployment window';
  return {
    environment: env.name,
    now: new Date(now).toISOString(),
    open: state.open,
    reason,
    windows: env.windows.map((w) => ({
      days: [...w.days],
      from: w.from,
      to: w.to,
      tz: w.tz,
      description: describeWindow(w),
      openNow: windowOpenAt(w, now),
    })),
    freezes: spans.map((s) => ({
      from: s.freeze.from,
      to: s.freeze.to,
      reason: s.freeze.reason ?? null,
      tz,
      activeNow: now >= s.start && now < s.end,
      startsAt: new Date(s.start).toISOString(),
      endsAt: new Date(s.end).toISOString(),
    })),
    freezeTimeZone: tz,
    nextOpen: nextOpen === null ? null : instantView(nextOpen, tz),
    nextClose: nextClose === null ? null : instantView(nextClose, tz),
    requires: env.requires?.passed !== undefined ? { passed: env.requires.passed } : null,
    scan: env.scan
      ? {
          fail_on: env.scan.fail_on,
          allow: env.scan.allow.map((a) => ({
            id: a.id,
            until: a.until ?? null,
            reason: a.reason ?? null,
            expired: allowExpired(a, now),
          })),
        }
      : null,
  };
}

export function instantView(t: number, tz: string): InstantView {
  return { at: new Date(t).toISOString(), local: formatLocal(t, tz), utc: formatUtc(t) };
}
