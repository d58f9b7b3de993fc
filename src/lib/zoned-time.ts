// Wall-clock time in an IANA zone, read with Intl rather than fixed offsets so that daylight-saving
// transitions are whatever the zone's rules say they are on that day.
/** A weekday as gantry.yaml spells it (deployment windows, on-call handoffs). */
export type Day = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const WEEKDAYS: Record<string, Day> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};
const DAY_ORDER: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface WallClock {
  /** YYYY-MM-DD */
  date: string;
  weekday: Day;
  /** 0…1439 */
  minuteOfDay: number;
  /** The wall-clock reading expressed as if it were UTC milliseconds (for offset arithmetic). */
  localMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function wallClock(t: number, tz: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(t)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  return {
    date: `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`,
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 'mon',
    minuteOfDay: hour * 60 + minute,
    localMs: Date.UTC(year, month - 1, day, hour, minute, second) + (((t % 1000) + 1000) % 1000),
  };
}

/** The zone's offset from UTC at instant t, in ms (e.g. -4 h in New York in summer). */
export function offsetAt(t: number, tz: string): number {
  return wallClock(t, tz).localMs - t;
}

export function previousDay(day: Day): Day {
  return DAY_ORDER[(DAY_ORDER.indexOf(day) + 6) % 7] as Day;
}

/** `02:00` → 120 */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10);
}

/**
 * The first instant at which the zone's wall clock reads at least `minuteOfDay` on `date`. In a
 * spring-forward gap (02:30 that never happens) that is the instant the clocks jump; in a
 * fall-back overlap (01:30 that happens twice) it is the earlier one.
 */
export function zonedInstant(date: string, minuteOfDay: number, tz: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const local = Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1, 0, minuteOfDay);
  const candidates = [offsetAt(local - DAY_MS / 2, tz), offsetAt(local + DAY_MS / 2, tz)]
    .map((offset) => local - offset)
    .filter((t) => wallClock(t, tz).localMs === local);
  if (candidates.length > 0) return Math.min(...candidates);
  // A gap: search for the jump between the instant before it and the instant after it.
  let lo = local - offsetAt(local + DAY_MS / 2, tz);
  let hi = local - offsetAt(local - DAY_MS / 2, tz);
  if (lo > hi) [lo, hi] = [hi, lo];
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * MINUTE_MS)) * MINUTE_MS;
    if (wallClock(mid, tz).localMs >= local) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The first whole minute in (lo, hi] whose offset differs from lo's, given that hi's does: where
 * a daylight-saving transition falls.
 */
export function transitionBetween(lo: number, hi: number, tz: string): number {
  const before = offsetAt(lo, tz);
  let a = lo;
  let b = hi;
  while (b - a > MINUTE_MS) {
    const mid = a + Math.floor((b - a) / (2 * MINUTE_MS)) * MINUTE_MS;
    if (offsetAt(mid, tz) === before) a = mid;
    else b = mid;
  }
  return b;
}

export function floorMinute(t: number): number {
  return Math.floor(t / MINUTE_MS) * MINUTE_MS;
}

/** `Tue 2026-05-12 02:00 America/New_York` */
export function formatLocal(t: number, tz: string): string {
  const w = wallClock(t, tz);
  const day = w.weekday.charAt(0).toUpperCase() + w.weekday.slice(1);
  return `${day} ${w.date} ${pad2(Math.floor(w.minuteOfDay / 60))}:${pad2(w.minuteOfDay % 60)} ${tz}`;
}

/** `2026-05-12 06:00 UTC` */
export function formatUtc(t: number): string {
  const iso = new Date(t).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `Tue 2026-05-12 02:00 America/New_York (2026-05-12 06:00 UTC)`, or just the UTC form in UTC. */
export function formatBoth(t: number, tz: string): string {
  return tz === 'UTC' || tz === 'Etc/UTC' ? formatLocal(t, 'UTC') : `${formatLocal(t, tz)} (${formatUtc(t)})`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
