// Deployment windows and freezes at boundary instants (one minute before, at and after each
// opening and closing), in UTC, in New York across both daylight-saving changes of 2026, in
// Kolkata (+05:30), across midnight; and the refusal messages that name them.
import { describe, expect, it } from 'vitest';
import type { EnvironmentConfig, FreezeConfig, WindowConfig } from '../src/config/types.ts';
import {
  environmentPolicyView,
  evaluatePolicy,
  nextOpenAndClose,
  scheduleAt,
  windowOpenAt,
  zonedInstant,
} from '../src/policy/index.ts';
import { environmentConfig } from './helpers/environment.ts';

const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

const env = (windows: WindowConfig[], freezes: FreezeConfig[] = []) =>
  environmentConfig({ windows, freezes });

/** open/closed one minute before, at, and one minute after `edge`. */
function around(w: WindowConfig, edge: string): [boolean, boolean, boolean] {
  const t = at(edge);
  return [windowOpenAt(w, t - MIN), windowOpenAt(w, t), windowOpenAt(w, t + MIN)];
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

describe('a window in UTC: tue, wed, thu 02:00–04:00', () => {
  const w: WindowConfig = { days: ['tue', 'wed', 'thu'], from: '02:00', to: '04:00', tz: 'UTC' };

  it.each([
    ['opens at 02:00 on a Tuesday', '2026-05-12T02:00:00Z', [false, true, true]],
    ['closes at 04:00 (the closing minute is outside)', '2026-05-12T04:00:00Z', [true, false, false]],
    ['opens on Thursday too', '2026-05-14T02:00:00Z', [false, true, true]],
    ['stays shut on a Monday', '2026-05-11T02:00:00Z', [false, false, false]],
    ['stays shut on a Friday', '2026-05-15T02:00:00Z', [false, false, false]],
  ] as const)('%s', (_name, edge, expected) => {
    expect(around(w, edge)).toEqual(expected);
  });

  it('next opens the following Tuesday after Thursday closes, then closes two hours later', () => {
    const r = nextOpenAndClose(env([w]), at('2026-05-14T04:00:00Z'));
    expect(r.open).toBe(false);
    expect(iso(r.nextOpen)).toBe('2026-05-19T02:00:00.000Z');
    expect(iso(r.nextClose)).toBe('2026-05-19T04:00:00.000Z');
  });

  it('while open, next closes at 04:00 and reopens the next day', () => {
    const r = nextOpenAndClose(env([w]), at('2026-05-12T03:30:00Z'));
    expect(r.open).toBe(true);
    expect(iso(r.nextClose)).toBe('2026-05-12T04:00:00.000Z');
    expect(iso(r.nextOpen)).toBe('2026-05-13T02:00:00.000Z');
  });

  it('a refusal names the window and when it next opens', () => {
    const [rule] = evaluatePolicy({
      environment: env([w]),
      version: 'v2',
      kind: 'deploy',
      now: at('2026-05-11T12:00:00Z'),
      scan: null,
      knownGood: false,
    });
    expect(rule).toMatchObject({ rule: 'window', outcome: 'refuse' });
    expect(rule?.message).toBe(
      'window: production is outside its deployment window (tue,wed,thu 02:00–04:00 UTC); the next opens Tue 2026-05-12 02:00 UTC',
    );
  });
});

describe('America/New_York across daylight-saving changes', () => {
  it('spring forward (Sun 2026-03-08, 02:00 EST → 03:00 EDT): a 02:00–04:00 window opens when the clocks jump', () => {
    const w: WindowConfig = { days: ['sun'], from: '02:00', to: '04:00', tz: 'America/New_York' };
    // 06:59Z is 01:59 EST; the next minute is 03:00 EDT (07:00Z).
    expect(around(w, '2026-03-08T07:00:00Z')).toEqual([false, true, true]);
    expect(around(w, '2026-03-08T08:00:00Z')).toEqual([true, false, false]); // 04:00 EDT
    const r = nextOpenAndClose(env([w]), at('2026-03-07T12:00:00Z'));
    expect(iso(r.nextOpen)).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(r.nextClose)).toBe('2026-03-08T08:00:00.000Z');
    expect(iso(zonedInstant('2026-03-08', 150, 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
  });

  it('a Monday 09:00–17:00 window is 14:00–22:00 UTC before the change and 13:00–21:00 after', () => {
    const w: WindowConfig = { days: ['mon'], from: '09:00', to: '17:00', tz: 'America/New_York' };
    expect(around(w, '2026-03-02T14:00:00Z')).toEqual([false, true, true]);
    expect(around(w, '2026-03-02T22:00:00Z')).toEqual([true, false, false]);
    expect(around(w, '2026-03-09T13:00:00Z')).toEqual([false, true, true]);
    expect(around(w, '2026-03-09T21:00:00Z')).toEqual([true, false, false]);
    // From Friday evening, across the change, to Monday morning in EDT.
    const r = nextOpenAndClose(env([w]), at('2026-03-06T23:00:00Z'));
    expect(iso(r.nextOpen)).toBe('2026-03-09T13:00:00.000Z');
    expect(iso(r.nextClose)).toBe('2026-03-09T21:00:00.000Z');
  });

  it('fall back (Sun 2026-11-01, 02:00 EDT → 01:00 EST): a 01:00–02:00 window lasts both 01:00 hours', () => {
    const w: WindowConfig = { days: ['sun'], from: '01:00', to: '02:00', tz: 'America/New_York' };
    expect(around(w, '2026-11-01T05:00:00Z')).toEqual([false, true, true]); // 01:00 EDT
    expect(windowOpenAt(w, at('2026-11-01T06:30:00Z'))).toBe(true); // 01:30 EST, the second time
    expect(around(w, '2026-11-01T07:00:00Z')).toEqual([true, false, false]); // 02:00 EST
    const r = nextOpenAndClose(env([w]), at('2026-11-01T05:30:00Z'));
    expect(iso(r.nextClose)).toBe('2026-11-01T07:00:00.000Z');
  });

  it('the refusal gives the next opening in New York time and in UTC', () => {
    const w: WindowConfig = { days: ['mon'], from: '09:00', to: '17:00', tz: 'America/New_York' };
    const [rule] = evaluatePolicy({
      environment: env([w]),
      version: 'v2',
      kind: 'release',
      now: at('2026-03-06T23:00:00Z'),
      scan: null,
      knownGood: false,
    });
    expect(rule?.message).toContain(
      'the next opens Mon 2026-03-09 09:00 America/New_York (2026-03-09 13:00 UTC)',
    );
  });
});

describe('Asia/Kolkata (+05:30): wed 10:00–12:00', () => {
  const w: WindowConfig = { days: ['wed'], from: '10:00', to: '12:00', tz: 'Asia/Kolkata' };

  it('opens at 04:30 UTC and closes at 06:30 UTC', () => {
    expect(around(w, '2026-05-13T04:30:00Z')).toEqual([false, true, true]);
    expect(around(w, '2026-05-13T06:30:00Z')).toEqual([true, false, false]);
  });

  it('a Kolkata Wednesday starts on Tuesday 18:30 UTC', () => {
    const late: WindowConfig = { days: ['wed'], from: '00:00', to: '01:00', tz: 'Asia/Kolkata' };
    expect(around(late, '2026-05-12T18:30:00Z')).toEqual([false, true, true]);
  });
});

describe('a window across midnight: fri 22:00–02:00 UTC belongs to Friday', () => {
  const w: WindowConfig = { days: ['fri'], from: '22:00', to: '02:00', tz: 'UTC' };

  it('opens Friday 22:00 and closes Saturday 02:00', () => {
    expect(around(w, '2026-05-15T22:00:00Z')).toEqual([false, true, true]);
    expect(around(w, '2026-05-16T00:00:00Z')).toEqual([true, true, true]);
    expect(around(w, '2026-05-16T02:00:00Z')).toEqual([true, false, false]);
  });

  it('is shut in the small hours of Friday (that night opened on Thursday)', () => {
    expect(windowOpenAt(w, at('2026-05-15T01:00:00Z'))).toBe(false);
    expect(windowOpenAt(w, at('2026-05-16T01:00:00Z'))).toBe(true);
  });

  it('next closes Saturday 02:00 when open late Friday', () => {
    const r = nextOpenAndClose(env([w]), at('2026-05-15T23:00:00Z'));
    expect(r.open).toBe(true);
    expect(iso(r.nextClose)).toBe('2026-05-16T02:00:00.000Z');
    expect(iso(r.nextOpen)).toBe('2026-05-22T22:00:00.000Z');
  });

  it('in Kolkata too: a Friday-night window is open early Saturday IST', () => {
    const k: WindowConfig = { days: ['fri'], from: '23:00', to: '01:00', tz: 'Asia/Kolkata' };
    expect(around(k, '2026-05-15T17:30:00Z')).toEqual([false, true, true]); // Fri 23:00 IST
    expect(around(k, '2026-05-15T19:30:00Z')).toEqual([true, false, false]); // Sat 01:00 IST
  });
});

describe('freezes: whole calendar days, inclusive, in the first window’s zone (else UTC)', () => {
  const yearEnd: FreezeConfig = { from: '2026-12-20', to: '2027-01-04', reason: 'year-end freeze' };

  const frozen = (e: EnvironmentConfig, edge: string) => {
    const t = at(edge);
    return [t - MIN, t, t + MIN].map((x) => scheduleAt(e, x).frozen.length > 0);
  };

  it('in UTC without windows: from 2026-12-20 00:00 to the end of 2027-01-04', () => {
    const e = env([], [yearEnd]);
    expect(frozen(e, '2026-12-20T00:00:00Z')).toEqual([false, true, true]);
    expect(frozen(e, '2027-01-05T00:00:00Z')).toEqual([true, false, false]);
  });

  it('in New York time when the first window is in New York', () => {
    const w: WindowConfig = { days: ['mon'], from: '09:00', to: '17:00', tz: 'America/New_York' };
    const e = env([w], [yearEnd]);
    expect(frozen(e, '2026-12-20T05:00:00Z')).toEqual([false, true, true]);
    expect(frozen(e, '2027-01-05T05:00:00Z')).toEqual([true, false, false]);
  });

  it('in Kolkata time: the freeze starts at 18:30 UTC the evening before', () => {
    const w: WindowConfig = { days: ['mon'], from: '09:00', to: '17:00', tz: 'Asia/Kolkata' };
    const e = env([w], [yearEnd]);
    expect(frozen(e, '2026-12-19T18:30:00Z')).toEqual([false, true, true]);
  });

  it('the refusal names the freeze, its reason and when it ends; a window open then too', () => {
    const w: WindowConfig = { days: ['tue', 'wed', 'thu'], from: '02:00', to: '04:00', tz: 'UTC' };
    const e = env([w], [yearEnd]);
    const rules = evaluatePolicy({
      environment: e,
      version: 'v9',
      kind: 'deploy',
      now: at('2026-12-22T03:00:00Z'), // a Tuesday, inside the window
      scan: null,
      knownGood: false,
    });
    expect(rules.map((r) => [r.rule, r.outcome])).toEqual([
      ['freeze', 'refuse'],
      ['window', 'pass'],
    ]);
    expect(rules[0]?.message).toBe(
      'freeze: production is frozen by freeze 2026-12-20…2027-01-04 (year-end freeze), dates in UTC; it ends Tue 2027-01-05 00:00 UTC',
    );
    // Open again at the first window after the freeze: Tuesday 2027-01-05 02:00.
    const r = nextOpenAndClose(e, at('2026-12-22T03:00:00Z'));
    expect(iso(r.nextOpen)).toBe('2027-01-05T02:00:00.000Z');
  });

  it('a rollback is not held back by a freeze or a closed window: both are recorded as waived', () => {
    const w: WindowConfig = { days: ['tue'], from: '02:00', to: '04:00', tz: 'UTC' };
    const rules = evaluatePolicy({
      environment: env([w], [yearEnd]),
      version: 'v1',
      kind: 'rollback',
      now: at('2026-12-24T12:00:00Z'),
      scan: null,
      knownGood: true,
    });
    expect(rules.map((r) => r.outcome)).toEqual(['waived', 'waived']);
    expect(rules[1]?.message).toMatch(/waived: rollbacks are not held back by it/);
  });
});

describe('the environment policy view', () => {
  it('says closed, why, and the next opening in the zone and in UTC', () => {
    const w: WindowConfig = { days: ['wed'], from: '10:00', to: '12:00', tz: 'Asia/Kolkata' };
    const view = environmentPolicyView(env([w]), at('2026-05-11T00:00:00Z'));
    expect(view.open).toBe(false);
    expect(view.reason).toBe('outside every deployment window');
    expect(view.nextOpen).toEqual({
      at: '2026-05-13T04:30:00.000Z',
      local: 'Wed 2026-05-13 10:00 Asia/Kolkata',
      utc: '2026-05-13 04:30 UTC',
    });
    expect(view.nextClose?.at).toBe('2026-05-13T06:30:00.000Z');
    expect(view.freezeTimeZone).toBe('Asia/Kolkata');
  });

  it('an environment without windows or freezes is always open', () => {
    const view = environmentPolicyView(env([]), at('2026-05-11T00:00:00Z'));
    expect(view).toMatchObject({ open: true, reason: null, nextOpen: null, nextClose: null });
  });
});
