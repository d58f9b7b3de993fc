// Who is on call now and next in each schedule of gantry.yaml, as the API, the CLI and the
// dashboard show it. People's notify channels stay out: they may hold secret URLs.
import type { OncallScheduleConfig } from '../config/types.ts';
import { scheduleFromConfig } from './from-config.ts';
import { shifts } from './schedule.ts';

export interface ShiftView {
  person: string;
  /** ISO-8601 instants: the shift's start (its last handoff or override edge) and its end. */
  from: string;
  to: string;
  override: boolean;
}

export interface OncallScheduleStatus {
  schedule: string;
  rotation: 'daily' | 'weekly';
  handoff: string;
  tz: string;
  now: ShiftView;
  next: ShiftView;
  /** The current shift and those after it, `count` in all. */
  shifts: ShiftView[];
}

export function oncallStatus(c: OncallScheduleConfig, at: number, count: number): OncallScheduleStatus {
  const list = shifts(scheduleFromConfig(c), at, Math.max(2, count)).map(
    (s): ShiftView => ({
      person: s.person,
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
      override: s.override,
    }),
  );
  return {
    schedule: c.name,
    rotation: c.rotation,
    handoff: c.handoff,
    tz: c.tz,
    now: list[0] as ShiftView,
    next: list[1] as ShiftView,
    shifts: list.slice(0, Math.max(1, count)),
  };
}
