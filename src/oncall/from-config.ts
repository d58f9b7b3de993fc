// A schedule of gantry.yaml as the rotation arithmetic takes it: handoff parsed, override times
// turned into instants in the schedule's zone. The config is already validated (schema-oncall.ts).
import type { OncallScheduleConfig } from '../config/types.ts';
import { parseHandoff, parseLocalDateTime, type Schedule } from './schedule.ts';
import { fromLocal } from './zone.ts';

export function scheduleFromConfig(c: OncallScheduleConfig): Schedule {
  const handoff = parseHandoff(c.rotation, c.handoff);
  if (typeof handoff === 'string') throw new Error(`oncall schedule ${c.name}: handoff: ${handoff}`);
  const instant = (text: string) => {
    const local = parseLocalDateTime(text);
    if (!local) throw new Error(`oncall schedule ${c.name}: bad local time "${text}"`);
    return fromLocal(local, c.tz);
  };
  return {
    name: c.name,
    rotation: c.rotation,
    handoffWeekday: handoff.weekday,
    handoffMinute: handoff.minute,
    tz: c.tz,
    startDay: c.start !== undefined ? (parseLocalDateTime(c.start)?.day ?? 0) : 0,
    people: c.people.map((p) => p.name),
    overrides: c.overrides.map((o) => ({ person: o.person, from: instant(o.from), to: instant(o.to) })),
  };
}
