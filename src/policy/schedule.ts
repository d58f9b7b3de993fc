// When an environment is open for releases (a window open, no freeze active) and when that next
// changes. The search steps from one candidate instant to the next: a window's opening or closing
// minute on its zone's wall clock, a daylight-saving transition (where the wall clock jumps), or a
// freeze's first or last instant; while frozen it jumps straight to the freeze's end.
import type { EnvironmentConfig } from '../config/types.ts';
import {
  DAY_MS,
  floorMinute,
  MINUTE_MS,
  minutesOf,
  offsetAt,
  transitionBetween,
  wallClock,
} from '../lib/zoned-time.ts';
import { activeFreezes, type FreezeSpan, freezeSpans, windowsOpenAt } from './windows.ts';

/** Windows repeat weekly; two weeks past the last freeze without a change means none will come. */
const HORIZON_AFTER_FREEZES_MS = 15 * DAY_MS;

export interface ScheduleState {
  open: boolean;
  windowsOpen: boolean;
  frozen: FreezeSpan[];
}

export function scheduleAt(env: EnvironmentConfig, t: number, spans = freezeSpans(env)): ScheduleState {
  const windowsOpen = windowsOpenAt(env, t);
  const frozen = activeFreezes(spans, t);
  return { open: windowsOpen && frozen.length === 0, windowsOpen, frozen };
}

/**
 * The first instant after `from` at which `open` differs from its value at `from`, or null when
 * it never changes (no windows, or windows covering every minute, and no freeze ahead).
 */
export function nextChange(env: EnvironmentConfig, from: number, spans = freezeSpans(env)): number | null {
  const initial = scheduleAt(env, from, spans).open;
  const lastFreezeEnd = Math.max(from, ...spans.map((s) => s.end));
  const horizon = lastFreezeEnd + HORIZON_AFTER_FREEZES_MS;
  let t = floorMinute(from);
  while (t < horizon) {
    const next = nextCandidate(env, spans, t);
    if (next === null) return null;
    t = next;
    if (scheduleAt(env, t, spans).open !== initial) return t;
  }
  return null;
}

/** When closed at `from`: the next opening and the closing after it; when open: the next closing and reopening. */
export function nextOpenAndClose(
  env: EnvironmentConfig,
  from: number,
): { open: boolean; nextOpen: number | null; nextClose: number | null } {
  const spans = freezeSpans(env);
  const open = scheduleAt(env, from, spans).open;
  const first = nextChange(env, from, spans);
  const second = first === null ? null : nextChange(env, first, spans);
  return open ? { open, nextClose: first, nextOpen: second } : { open, nextOpen: first, nextClose: second };
}

function nextCandidate(env: EnvironmentConfig, spans: readonly FreezeSpan[], t: number): number | null {
  const frozen = activeFreezes(spans, t);
  if (frozen.length > 0) return Math.min(...frozen.map((s) => s.end));
  const candidates = spans.flatMap((s) => [s.start, s.end]).filter((c) => c > t);
  for (const w of env.windows) candidates.push(nextWallBoundary(t, w.tz, [w.from, w.to]));
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

/**
 * The next instant after t at which the zone's wall clock reaches one of the boundary minutes, or
 * the zone's next offset change if that comes first (the wall clock jumps there, over or back).
 */
function nextWallBoundary(t: number, tz: string, boundaries: readonly string[]): number {
  const m = wallClock(t, tz).minuteOfDay;
  const ahead = Math.min(...boundaries.map((b) => (minutesOf(b) - m + 1440) % 1440 || 1440));
  const candidate = t + ahead * MINUTE_MS;
  return offsetAt(candidate, tz) === offsetAt(t, tz) ? candidate : transitionBetween(t, candidate, tz);
}
