// Who is on call, pure: a schedule's rotation, handoff wall time, time zone and overrides in, the
// person at an instant and the shifts that follow out. Handoffs are counted on the local calendar
// of the schedule's zone, so "mon 09:00" in Europe/Berlin is 09:00 there in summer and in winter
// (a week across a daylight-saving change lasts 167 or 169 hours). Cases in test/oncall-schedule.test.ts.
import { fromLocal, type LocalTime, MINUTES_PER_DAY, toLocal } from './zone.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** Boundaries walked to find where a shift ends (every handoff and override edge is one). */
export const MAX_SHIFT_STEPS = 400;
/** Shifts a caller may ask for at once (`gantry oncall --shifts N`). */
export const MAX_SHIFTS = 52;

export type Rotation = 'daily' | 'weekly';

export interface Schedule {
  name: string;
  rotation: Rotation;
  /** Weekday of the handoff, 0 = Monday (weekly rotations); null for daily ones. */
  handoffWeekday: number | null;
  /** Minute of the day of the handoff, local time. */
  handoffMinute: number;
  tz: string;
  /** Local day (days since 1970-01-01) from which the first person's turn is counted. */
  startDay: number;
  people: string[];
  /** Instants (epoch ms) [from, to) where `person` is on call instead; later entries win. */
  overrides: Array<{ person: string; from: number; to: number }>;
}

export interface Shift {
  person: string;
  /** Epoch ms the shift began (null for the first when it began before any known boundary). */
  from: number;
  to: number;
  override: boolean;
}

const HANDOFF = /^(?:(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+)?([01]?\d|2[0-3]):([0-5]\d)$/i;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]([01]\d|2[0-3]):([0-5]\d))?$/;

/** "mon 09:00" (weekly) or "09:00" (daily) → weekday and minute, or a message saying what to write. */
export function parseHandoff(
  rotation: Rotation,
  text: string,
): { weekday: number | null; minute: number } | string {
  const m = HANDOFF.exec(text.trim());
  if (!m) {
    return rotation === 'weekly'
      ? `expected a weekday and a time, like "mon 09:00", got "${text}"`
      : `expected a time of day, like "09:00", got "${text}"`;
  }
  const minute = Number(m[2]) * 60 + Number(m[3]);
  if (rotation === 'daily') {
    if (m[1] !== undefined) return `a daily rotation hands off every day: write a time only, like "09:00"`;
    return { weekday: null, minute };
  }
  if (m[1] === undefined) return `a weekly rotation needs the weekday, like "mon ${m[2]}:${m[3]}"`;
  return { weekday: WEEKDAYS.indexOf(m[1].toLowerCase() as (typeof WEEKDAYS)[number]), minute };
}

/** "2026-12-24 09:00" or "2026-12-24" (midnight) as a local wall time; undefined when malformed. */
export function parseLocalDateTime(text: string): LocalTime | undefined {
  const m = LOCAL_DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
    return undefined;
  return {
    day: utc / (MINUTES_PER_DAY * 60_000),
    minute: m[4] !== undefined ? Number(m[4]) * 60 + Number(m[5]) : 0,
  };
}

/** Weekday of a local day number, 0 = Monday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function periodDays(s: Schedule): number {
  return s.rotation === 'weekly' ? 7 : 1;
}

/** Local minute (days·1440 + minute) of the first handoff: people[0] takes over then. */
function firstHandoff(s: Schedule): number {
  let day = s.startDay;
  if (s.handoffWeekday !== null) day += (s.handoffWeekday - weekdayOf(day) + 7) % 7;
  return day * MINUTES_PER_DAY + s.handoffMinute;
}

/** Which turn of the rotation an instant falls in (negative before the first handoff). */
function turnAt(s: Schedule, at: number): number {
  const local = toLocal(at, s.tz);
  const minutes = local.day * MINUTES_PER_DAY + local.minute;
  return Math.floor((minutes - firstHandoff(s)) / (periodDays(s) * MINUTES_PER_DAY));
}

/** The instant turn `turn` of the rotation begins. */
function turnStart(s: Schedule, turn: number): number {
  const minutes = firstHandoff(s) + turn * periodDays(s) * MINUTES_PER_DAY;
  return fromLocal({ day: Math.floor(minutes / MINUTES_PER_DAY), minute: minutes % MINUTES_PER_DAY }, s.tz);
}

function rotationPerson(s: Schedule, turn: number): string {
  const n = s.people.length;
  return s.people[((turn % n) + n) % n] as string;
}

/** Who is on call at an instant, and whether an override put them there. */
export function onCallAt(s: Schedule, at: number): { person: string; override: boolean } {
  for (let i = s.overrides.length - 1; i >= 0; i--) {
    const o = s.overrides[i] as Schedule['overrides'][number];
    if (at >= o.from && at < o.to) return { person: o.person, override: true };
  }
  return { person: rotationPerson(s, turnAt(s, at)), override: false };
}

/** The first instant after `at` where the rotation hands off or an override begins or ends. */
function nextBoundary(s: Schedule, at: number): number {
  let next = turnStart(s, turnAt(s, at) + 1);
  // A turn's start can map back to `at` or before it around a daylight-saving change.
  for (let turn = turnAt(s, at) + 2; next <= at; turn++) next = turnStart(s, turn);
  for (const o of s.overrides) {
    if (o.from > at && o.from < next) next = o.from;
    if (o.to > at && o.to < next) next = o.to;
  }
  return next;
}

/** The last instant at or before `at` where the rotation handed off or an override began or ended. */
function lastBoundary(s: Schedule, at: number): number {
  let last = turnStart(s, turnAt(s, at));
  if (last > at) last = turnStart(s, turnAt(s, at) - 1);
  for (const o of s.overrides) {
    if (o.from <= at && o.from > last) last = o.from;
    if (o.to <= at && o.to > last) last = o.to;
  }
  return last;
}

/** The shift running at `at` and the `count - 1` after it; a shift lasts until the person changes. */
export function shifts(s: Schedule, at: number, count: number): Shift[] {
  const out: Shift[] = [];
  let from = lastBoundary(s, at);
  let cursor = at;
  while (out.length < Math.min(count, MAX_SHIFTS)) {
    const current = onCallAt(s, cursor);
    let to = nextBoundary(s, cursor);
    for (let step = 0; step < MAX_SHIFT_STEPS && onCallAt(s, to).person === current.person; step++) {
      to = nextBoundary(s, to);
    }
    out.push({ person: current.person, from, to, override: current.override });
    from = to;
    cursor = to;
  }
  return out;
}
