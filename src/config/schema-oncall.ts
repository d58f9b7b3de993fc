// On-call: `oncall:` schedules (a rotation of people handing off at a local wall time in a time
// zone, with overrides) and the escalation steps that notify until someone acknowledges
// (docs/oncall.md). Handoff and override times are checked here with the parsers the rotation uses.
import { z } from 'zod';
import { parseHandoff, parseLocalDateTime } from '../oncall/schedule.ts';
import {
  duration,
  enumOf,
  expecting,
  identifier,
  keyIssue,
  list,
  mapping,
  text,
  whenFieldsValid,
} from './fields.ts';
import { channelSchema } from './schema-notify.ts';
import { isTimeZone } from './schema-policy.ts';
import type { OncallConfig } from './types.ts';

const personSchema = mapping({
  name: identifier('a person name'),
  notify: list(channelSchema).default([]).meta({ description: 'How this person is told when paged.' }),
});

const overrideSchema = mapping({
  person: identifier('a person name'),
  from: text('a local date and time, like "2026-12-24 09:00"'),
  to: text('a local date and time, like "2026-12-27 09:00"'),
});

const scheduleSchema = mapping({
  name: identifier('a schedule name'),
  rotation: enumOf(['daily', 'weekly']).default('weekly'),
  handoff: text('a handoff time, like "mon 09:00"').meta({
    description: 'When the next person takes over, local time: "mon 09:00" (weekly) or "09:00" (daily).',
  }),
  tz: text('a time zone, like Europe/Berlin').default('UTC'),
  start: text('a date, like 2026-01-05')
    .optional()
    .meta({ description: "Local date of the first person's first handoff (default 1970-01-01)." }),
  people: list(personSchema).min(1, { error: 'expected at least one person' }),
  overrides: list(overrideSchema).default([]).meta({
    description: 'Someone on call instead, from..to local time; a later override wins.',
  }),
}).superRefine((s, ctx) => {
  const handoff = parseHandoff(s.rotation, s.handoff);
  if (typeof handoff === 'string') ctx.addIssue(keyIssue(['handoff'], handoff));
  if (!isTimeZone(s.tz)) {
    ctx.addIssue(keyIssue(['tz'], `unknown time zone "${s.tz}": use an IANA name like Europe/Berlin or UTC`));
  }
  if (s.start !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(s.start.trim())) {
    ctx.addIssue(keyIssue(['start'], `expected a date like 2026-01-05, got "${s.start}"`));
  } else if (s.start !== undefined && parseLocalDateTime(s.start) === undefined) {
    ctx.addIssue(keyIssue(['start'], `no such date: "${s.start}"`));
  }
  const names = s.people.map((p) => p.name);
  s.people.forEach((p, i) => {
    if (names.indexOf(p.name) !== i)
      ctx.addIssue(keyIssue(['people', i, 'name'], `${p.name} is listed twice`));
  });
  s.overrides.forEach((o, i) => {
    if (!names.includes(o.person)) {
      ctx.addIssue(
        keyIssue(['overrides', i, 'person'], `${o.person} is not in people: (people: ${names.join(', ')})`),
      );
    }
    const from = parseLocalDateTime(o.from);
    const to = parseLocalDateTime(o.to);
    if (!from)
      ctx.addIssue(keyIssue(['overrides', i, 'from'], `expected "YYYY-MM-DD HH:MM", got "${o.from}"`));
    if (!to) ctx.addIssue(keyIssue(['overrides', i, 'to'], `expected "YYYY-MM-DD HH:MM", got "${o.to}"`));
    if (from && to && from.day * 1440 + from.minute >= to.day * 1440 + to.minute) {
      ctx.addIssue(keyIssue(['overrides', i, 'to'], 'expected a time after `from`'));
    }
  });
}, whenFieldsValid);

const SCHEDULE_REF = /^schedule:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const stepSchema = mapping({
  after: duration({ zero: true }).meta({
    description: 'Time since the alert was raised (0m: at once) after which this step notifies.',
  }),
  notify: z
    .union(
      [
        z
          .string()
          .regex(SCHEDULE_REF)
          .transform((ref) => ({ schedule: ref.slice('schedule:'.length) })),
        list(channelSchema).min(1),
      ],
      { error: expecting('expected schedule:<name> (whoever is on call) or a list of channels') },
    )
    .meta({ description: 'schedule:<name> pages whoever is on call there; or a list of channels.' }),
});

export const oncallSchema = mapping({
  schedules: list(scheduleSchema).default([]),
  escalation: list(stepSchema).default([]).meta({
    description: 'Steps that notify, each `after` the alert, until someone acknowledges (docs/oncall.md).',
  }),
})
  .superRefine((o, ctx) => {
    const names = o.schedules.map((s) => s.name);
    o.schedules.forEach((s, i) => {
      if (names.indexOf(s.name) !== i) {
        ctx.addIssue(keyIssue(['schedules', i, 'name'], `schedule ${s.name} is defined twice`));
      }
    });
    o.escalation.forEach((step, i) => {
      if (!Array.isArray(step.notify) && !names.includes(step.notify.schedule)) {
        ctx.addIssue(
          keyIssue(
            ['escalation', i, 'notify'],
            `no schedule ${step.notify.schedule} (schedules: ${names.join(', ') || 'none'})`,
          ),
        );
      }
      const before = o.escalation[i - 1];
      if (before !== undefined && step.after < before.after) {
        ctx.addIssue(
          keyIssue(
            ['escalation', i, 'after'],
            'expected steps in order: `after` no earlier than the step before',
          ),
        );
      }
    });
  }, whenFieldsValid)
  .transform((o): OncallConfig => o)
  .meta({ description: 'On-call schedules and escalation until acknowledged (docs/oncall.md).' });
