// Wall-clock time in an IANA time zone for on-call rotations, as whole local days and minutes:
// rotations hand off at local wall times, so a handoff at "mon 09:00" in Europe/Berlin stays at
// 09:00 across the daylight-saving changes. The zone arithmetic is lib/zoned-time.ts, shared with
// deployment windows.
import { DAY_MS, wallClock, zonedInstant } from '../lib/zoned-time.ts';

export const MINUTES_PER_DAY = 24 * 60;

/** A local wall time: whole days since 1970-01-01 (the local calendar) and the minute of that day. */
export interface LocalTime {
  day: number;
  minute: number;
}

/** The local wall time at an instant (epoch ms) in a zone. */
export function toLocal(at: number, tz: string): LocalTime {
  const wall = wallClock(at, tz);
  return { day: Math.floor(wall.localMs / DAY_MS), minute: wall.minuteOfDay };
}

/**
 * The instant a local wall time happens in a zone. A time skipped by a spring-forward change
 * (02:30 on the night clocks jump from 02:00 to 03:00) happens at the end of the gap, 03:00; a time
 * that happens twice in the autumn gives its first occurrence.
 */
export function fromLocal(local: LocalTime, tz: string): number {
  const date = new Date(local.day * DAY_MS).toISOString().slice(0, 10);
  return zonedInstant(date, local.minute, tz);
}
