// Wall-clock time in an IANA time zone, pure: an instant to the local date and minute there, and a
// local date and minute back to the instant. Rotations hand off at local wall times, so a handoff
// at "mon 09:00" in Europe/Berlin stays at 09:00 across the daylight-saving changes.

export const MINUTES_PER_DAY = 24 * 60;
const MINUTE_MS = 60_000;

/** A local wall time: whole days since 1970-01-01 (the local calendar) and the minute of that day. */
export interface LocalTime {
  day: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the runtime knows this IANA zone name (like Europe/Berlin or UTC). */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The local wall time at an instant (epoch ms) in a zone. */
export function toLocal(at: number, tz: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(at))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const utcOfLocal = Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day as number);
  return {
    day: Math.floor(utcOfLocal / (MINUTES_PER_DAY * MINUTE_MS)),
    minute: (parts.hour as number) * 60 + (parts.minute as number),
  };
}

/** Offset of the zone from UTC at an instant, in minutes (Berlin in winter: 60). */
function offsetMinutes(at: number, tz: string): number {
  const local = toLocal(at, tz);
  const asUtc = local.day * MINUTES_PER_DAY + local.minute;
  return asUtc - Math.floor(at / MINUTE_MS);
}

/**
 * The instant a local wall time happens in a zone. A time skipped by a spring-forward change
 * (02:30 on the night clocks jump from 02:00 to 03:00) happens at the end of the gap, 03:00; a time
 * that happens twice in the autumn gives its first occurrence.
 */
export function fromLocal(local: LocalTime, tz: string): number {
  const wall = (local.day * MINUTES_PER_DAY + local.minute) * MINUTE_MS;
  // Try the offsets in force a day either side: one of them is the offset at the answer.
  const candidates = [
    offsetMinutes(wall - MINUTES_PER_DAY * MINUTE_MS, tz),
    offsetMinutes(wall + MINUTES_PER_DAY * MINUTE_MS, tz),
  ];
  const exact = candidates
    .map((off) => wall - off * MINUTE_MS)
    .filter((at) => {
      const back = toLocal(at, tz);
      return back.day === local.day && back.minute === local.minute;
    })
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact[0] as number;
  // In a spring-forward gap the wall time never shows: the first minute whose wall time is later.
  const target = local.day * MINUTES_PER_DAY + local.minute;
  const wallOf = (at: number) => {
    const l = toLocal(at, tz);
    return l.day * MINUTES_PER_DAY + l.minute;
  };
  let lo = Math.floor((wall - Math.max(...candidates) * MINUTE_MS) / MINUTE_MS);
  let hi = Math.ceil((wall - Math.min(...candidates) * MINUTE_MS) / MINUTE_MS);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallOf(mid * MINUTE_MS) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo * MINUTE_MS;
}
