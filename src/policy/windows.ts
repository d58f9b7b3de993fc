// Deployment windows and freezes at one instant. A window whose `to` is earlier than its `from`
// spans midnight and belongs to the day it opened: `fri 22:00–02:00` is open Saturday 01:00, not
// Friday 01:00. Freeze dates are calendar days read in the environment's first window's zone
// (UTC when it has none), from the start of `from` to the end of `to`.

import { ALL_DAYS } from '../config/defaults.ts';
import type { EnvironmentConfig, FreezeConfig, WindowConfig } from '../config/types.ts';
import { addDays, minutesOf, previousDay, wallClock, zonedInstant } from '../lib/zoned-time.ts';

export function windowOpenAt(w: WindowConfig, t: number): boolean {
  const clock = wallClock(t, w.tz);
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const m = clock.minuteOfDay;
  if (from < to) return m >= from && m < to && w.days.includes(clock.weekday);
  if (m >= from) return w.days.includes(clock.weekday);
  if (m < to) return w.days.includes(previousDay(clock.weekday));
  return false;
}

/** `tue,wed,thu 02:00–04:00 UTC`, `every day 22:00–02:00 Asia/Kolkata` */
export function describeWindow(w: WindowConfig): string {
  const days = w.days.length === ALL_DAYS.length ? 'every day' : w.days.join(',');
  return `${days} ${w.from}–${w.to} ${w.tz}`;
}

/** `windows[1] (sat 22:00–02:00 UTC)` */
export function nameWindow(env: EnvironmentConfig, i: number): string {
  return `windows[${i}] (${describeWindow(env.windows[i] as WindowConfig)})`;
}

/** The zone freeze dates are read in. */
export function freezeTimeZone(env: EnvironmentConfig): string {
  return env.windows[0]?.tz ?? 'UTC';
}

export interface FreezeSpan {
  freeze: FreezeConfig;
  index: number;
  start: number;
  /** The first instant after its last day. */
  end: number;
}

export function freezeSpans(env: EnvironmentConfig): FreezeSpan[] {
  const tz = freezeTimeZone(env);
  return env.freezes.map((freeze, index) => ({
    freeze,
    index,
    start: zonedInstant(freeze.from, 0, tz),
    end: zonedInstant(addDays(freeze.to, 1), 0, tz),
  }));
}

export function activeFreezes(spans: readonly FreezeSpan[], t: number): FreezeSpan[] {
  return spans.filter((s) => t >= s.start && t < s.end);
}

/** `freezes[0] 2026-12-20…2027-01-04 (year-end freeze)` */
export function describeFreeze(span: FreezeSpan, count: number): string {
  const f = span.freeze;
  const name = count > 1 ? `freezes[${span.index}] ` : 'freeze ';
  return `${name}${f.from}…${f.to}${f.reason ? ` (${f.reason})` : ''}`;
}

/** Open when the environment has no windows, or one of them is open; freezes are separate. */
export function windowsOpenAt(env: EnvironmentConfig, t: number): boolean {
  return env.windows.length === 0 || env.windows.some((w) => windowOpenAt(w, t));
}
