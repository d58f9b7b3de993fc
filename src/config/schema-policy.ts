// Release policy of an environment: deployment windows, freezes and the vulnerability gate.
import { z } from 'zod';
import { ALL_DAYS, DEFAULT_SCAN_FAIL_ON, DEFAULT_WINDOW_TZ } from './defaults.ts';
import { enumOf, expecting, list, mapping, text, textMatching, whenFieldsValid } from './fields.ts';
import { suggest } from './suggest.ts';
import type { WindowConfig } from './types.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number);
  const date = new Date(Date.UTC(y ?? 0, (m ?? 0) - 1, d ?? 0));
  return date.getUTCFullYear() === y && date.getUTCMonth() + 1 === m && date.getUTCDate() === d;
}

/** A calendar date, `YYYY-MM-DD`. */
export function calendarDate() {
  const message = 'expected a date like 2026-12-20 (YYYY-MM-DD)';
  return textMatching(DATE, message).refine(isCalendarDate, { error: `${message}: no such day` });
}

/** `HH:MM` on a 24-hour clock; `2:00` is accepted and written `02:00`. */
function timeOfDay() {
  return textMatching(
    /^([01]?\d|2[0-3]):[0-5]\d$/,
    'expected a time like 02:00 (HH:MM, 24-hour clock)',
  ).transform((value) => value.padStart(5, '0'));
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function timeZone() {
  return z
    .string({ error: expecting('expected an IANA time zone, like UTC or Europe/Berlin') })
    .refine(isTimeZone, {
      error: (iss) => {
        const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC'];
        const hint = typeof iss.input === 'string' ? suggest(iss.input, zones) : '';
        return `unknown time zone${hint}: use an IANA name like UTC or Europe/Berlin`;
      },
    });
}

export const windowSchema = mapping({
  days: list(enumOf(ALL_DAYS))
    .min(1, { error: 'expected at least one day' })
    .default([...ALL_DAYS])
    .meta({ description: 'Days the window opens (mon…sun); every day when omitted.' }),
  from: timeOfDay().meta({ description: 'Opening time, HH:MM.' }),
  to: timeOfDay().meta({
    description: 'Closing time, HH:MM; earlier than `from` means the window spans midnight.',
  }),
  tz: timeZone().default(DEFAULT_WINDOW_TZ),
})
  .superRefine((window, ctx) => {
    if (window.from === window.to) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'expected `to` to differ from `from`: the window would be empty',
      });
    }
    window.days.forEach((day, i) => {
      if (window.days.indexOf(day) !== i)
        ctx.addIssue({ code: 'custom', path: ['days', i], message: `duplicate day '${day}'` });
    });
  }, whenFieldsValid)
  .transform(
    (window): WindowConfig => ({ days: window.days, from: window.from, to: window.to, tz: window.tz }),
  );

export const freezeSchema = mapping({
  from: calendarDate().meta({ description: 'First frozen day.' }),
  to: calendarDate().meta({ description: 'Last frozen day (inclusive).' }),
  reason: text('a reason').optional(),
}).superRefine((freeze, ctx) => {
  if (freeze.to < freeze.from) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `expected a date on or after \`from\` (${freeze.from})`,
    });
  }
}, whenFieldsValid);

export const scanSchema = mapping({
  fail_on: enumOf(['critical', 'high', 'medium', 'low', 'none'])
    .default(DEFAULT_SCAN_FAIL_ON)
    .meta({ description: 'Lowest severity of a known vulnerability that blocks a release.' }),
  allow: list(
    mapping({
      id: text('a vulnerability id, like CVE-2026-12345'),
      until: calendarDate().optional(),
      reason: text('a reason').optional(),
    }),
  ).default([]),
}).superRefine((scan, ctx) => {
  scan.allow.forEach((entry, i) => {
    if (scan.allow.findIndex((other) => other.id === entry.id) !== i) {
      ctx.addIssue({
        code: 'custom',
        path: ['allow', i, 'id'],
        message: `duplicate vulnerability id '${entry.id}'`,
      });
    }
  });
}, whenFieldsValid);
