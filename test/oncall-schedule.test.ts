// Rotation arithmetic, pure, with instants worked out by hand: handoffs at local wall time across
// the 2026 daylight-saving changes of Europe/Berlin (29 March, 25 October), overrides, parsing.
import { describe, expect, it } from 'vitest';
import { scheduleFromConfig } from '../src/oncall/from-config.ts';
import { onCallAt, parseHandoff, parseLocalDateTime, type Schedule, shifts } from '../src/oncall/schedule.ts';
import { fromLocal, toLocal } from '../src/oncall/zone.ts';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const t = (s: string) => Date.parse(s);

const weekly: Schedule = scheduleFromConfig({
  name: 'primary',
  rotation: 'weekly',
  handoff: 'mon 09:00',
  tz: 'Europe/Berlin',
  start: '2026-01-05', // a Monday: Ana's first week
  people: [
    { name: 'Ana', notify: [] },
    { name: 'Bo', notify: [] },
  ],
  overrides: [],
});

describe('weekly rotation across daylight-saving changes (Europe/Berlin)', () => {
  it('hands off at 09:00 local in winter (08:00Z) and in summer (07:00Z): a 167-hour week', () => {
    // 2026-03-23 is week 11 from 5 January: Bo. Clocks go forward on Sunday 29 March.
    const [now, next] = shifts(weekly, t('2026-03-25T12:00:00Z'), 2);
    expect(now).toMatchObject({ person: 'Bo', override: false });
    expect(iso(now?.from as number)).toBe('2026-03-23T08:00:00.000Z');
    expect(iso(now?.to as number)).toBe('2026-03-30T07:00:00.000Z');
    expect(((now?.to as number) - (now?.from as number)) / HOUR).toBe(167);
    expect(next?.person).toBe('Ana');
    expect(onCallAt(weekly, t('2026-03-30T06:59:00Z')).person).toBe('Bo');
    expect(onCallAt(weekly, t('2026-03-30T07:00:00Z')).person).toBe('Ana');
  });

  it('keeps 09:00 local when the clocks go back: a 169-hour week ending at 08:00Z', () => {
    const [now] = shifts(weekly, t('2026-10-21T12:00:00Z'), 1);
    expect(iso(now?.from as number)).toBe('2026-10-19T07:00:00.000Z');
    expect(iso(now?.to as number)).toBe('2026-10-26T08:00:00.000Z');
    // 07:30Z on Monday 26 October is 08:30 in Berlin: still the old week.
    expect(onCallAt(weekly, t('2026-10-26T07:30:00Z')).person).toBe(now?.person);
    expect(onCallAt(weekly, t('2026-10-26T08:00:00Z')).person).not.toBe(now?.person);
  });

  it('alternates people week after week', () => {
    const list = shifts(weekly, t('2026-01-05T08:00:00Z'), 4).map((s) => [s.person, iso(s.from)]);
    expect(list).toEqual([
      ['Ana', '2026-01-05T08:00:00.000Z'],
      ['Bo', '2026-01-12T08:00:00.000Z'],
      ['Ana', '2026-01-19T08:00:00.000Z'],
      ['Bo', '2026-01-26T08:00:00.000Z'],
    ]);
  });
});

describe('daily rotation', () => {
  const daily = scheduleFromConfig({
    name: 'nights',
    rotation: 'daily',
    handoff: '02:30',
    tz: 'Europe/Berlin',
    start: '2026-03-27',
    people: [
      { name: 'Cy', notify: [] },
      { name: 'Di', notify: [] },
      { name: 'Ed', notify: [] },
    ],
    overrides: [],
  });

  it('hands off at the end of the gap when the handoff time does not exist (02:30 on 29 March)', () => {
    // 27 March: Cy, 28: Di, 29: Ed from 03:00 CEST (01:00Z), since 02:30 is skipped that night.
    expect(onCallAt(daily, t('2026-03-29T00:59:00Z')).person).toBe('Di');
    expect(onCallAt(daily, t('2026-03-29T01:00:00Z')).person).toBe('Ed');
    const [now] = shifts(daily, t('2026-03-29T12:00:00Z'), 1);
    expect(iso(now?.from as number)).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(now?.to as number)).toBe('2026-03-30T00:30:00.000Z');
  });
});

describe('overrides', () => {
  const withOverride = scheduleFromConfig({
    name: 'primary',
    rotation: 'weekly',
    handoff: 'mon 09:00',
    tz: 'Europe/Berlin',
    start: '2026-01-05',
    people: [
      { name: 'Ana', notify: [] },
      { name: 'Bo', notify: [] },
      { name: 'Cy', notify: [] },
    ],
    // 2026-12-21 starts Cy's week (turn 50 → 50 mod 3 = 2); Ana covers Christmas Eve to the 27th.
    overrides: [{ person: 'Ana', from: '2026-12-24 09:00', to: '2026-12-27 09:00' }],
  });

  it('puts the override person on call for its span, in the schedule zone, and back after', () => {
    expect(onCallAt(withOverride, t('2026-12-23T12:00:00Z'))).toEqual({ person: 'Cy', override: false });
    expect(onCallAt(withOverride, t('2026-12-24T08:00:00Z'))).toEqual({ person: 'Ana', override: true });
    expect(onCallAt(withOverride, t('2026-12-27T08:00:00Z'))).toEqual({ person: 'Cy', override: false });
    const list = shifts(withOverride, t('2026-12-23T12:00:00Z'), 4).map((s) => [
      s.person,
      iso(s.from),
      iso(s.to),
    ]);
    expect(list).toEqual([
      ['Cy', '2026-12-21T08:00:00.000Z', '2026-12-24T08:00:00.000Z'],
      ['Ana', '2026-12-24T08:00:00.000Z', '2026-12-27T08:00:00.000Z'],
      ['Cy', '2026-12-27T08:00:00.000Z', '2026-12-28T08:00:00.000Z'],
      ['Ana', '2026-12-28T08:00:00.000Z', '2027-01-04T08:00:00.000Z'],
    ]);
  });
});

describe('parsing and zones', () => {
  it('reads handoffs for each rotation and says what to write otherwise', () => {
    expect(parseHandoff('weekly', 'mon 09:00')).toEqual({ weekday: 0, minute: 540 });
    expect(parseHandoff('weekly', 'Friday 17:30')).toEqual({ weekday: 4, minute: 1050 });
    expect(parseHandoff('daily', '9:05')).toEqual({ weekday: null, minute: 545 });
    expect(parseHandoff('weekly', '09:00')).toMatch(/needs the weekday, like "mon 09:00"/);
    expect(parseHandoff('daily', 'mon 09:00')).toMatch(/write a time only/);
    expect(parseHandoff('weekly', 'noon')).toMatch(/expected a weekday and a time/);
  });

  it('reads local dates and refuses impossible ones', () => {
    expect(parseLocalDateTime('2026-12-24 09:00')).toEqual({ day: 20811, minute: 540 });
    expect(parseLocalDateTime('2026-02-30')).toBeUndefined();
    expect(parseLocalDateTime('24.12.2026')).toBeUndefined();
  });

  it('maps local wall time to instants and back, the repeated autumn hour to its first occurrence', () => {
    const day = parseLocalDateTime('2026-10-25')?.day as number;
    expect(iso(fromLocal({ day, minute: 150 }, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(toLocal(t('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toEqual({ day, minute: 150 });
    expect(iso(fromLocal({ day, minute: 600 }, 'America/New_York'))).toBe('2026-10-25T14:00:00.000Z');
  });
});
