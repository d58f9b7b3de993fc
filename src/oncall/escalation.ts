// Escalation, pure: which steps of `oncall.escalation` are due for an alert that fires unacknowledged,
// and whom each pages. A step is due `after` the alert began to fire; a schedule step pages whoever
// is on call at that due time, so the answer is the same after a restart. Receivers are named
// `oncall:<schedule>:<person>` or `escalation:<step>` (notify group names cannot hold ':'), and
// their channels are looked up again at send time with escalationChannels.
import type { NotifyChannel, OncallConfig } from '../config/types.ts';
import { scheduleFromConfig } from './from-config.ts';
import { onCallAt } from './schedule.ts';

export interface EscalationTarget {
  /** Index of the step in oncall.escalation. */
  step: number;
  dueAt: number;
  receiver: string;
  channels: NotifyChannel[];
  /** For a schedule step: who was on call, where. */
  schedule?: string;
  person?: string;
}

const ONCALL_RECEIVER = /^oncall:([^:]+):([^:]+)$/;
const STEP_RECEIVER = /^escalation:(\d+)$/;

export function isEscalationReceiver(receiver: string): boolean {
  return ONCALL_RECEIVER.test(receiver) || STEP_RECEIVER.test(receiver);
}

/** The steps due at `now` for an alert firing since `firingSince`, earliest first. */
export function dueEscalations(oncall: OncallConfig, firingSince: number, now: number): EscalationTarget[] {
  const out: EscalationTarget[] = [];
  oncall.escalation.forEach((step, i) => {
    const dueAt = firingSince + step.after;
    if (dueAt > now) return;
    if (Array.isArray(step.notify)) {
      out.push({ step: i, dueAt, receiver: `escalation:${i}`, channels: step.notify });
      return;
    }
    const name = step.notify.schedule;
    const config = oncall.schedules.find((s) => s.name === name);
    if (!config) return;
    const { person } = onCallAt(scheduleFromConfig(config), dueAt);
    const channels = config.people.find((p) => p.name === person)?.notify ?? [];
    out.push({ step: i, dueAt, receiver: `oncall:${name}:${person}`, channels, schedule: name, person });
  });
  return out;
}

/** The channels of an escalation receiver in the current config; undefined when it is gone. */
export function escalationChannels(oncall: OncallConfig, receiver: string): NotifyChannel[] | undefined {
  const person = ONCALL_RECEIVER.exec(receiver);
  if (person) {
    const schedule = oncall.schedules.find((s) => s.name === person[1]);
    return schedule?.people.find((p) => p.name === person[2])?.notify;
  }
  const step = STEP_RECEIVER.exec(receiver);
  if (step) {
    const notify = oncall.escalation[Number(step[1])]?.notify;
    return Array.isArray(notify) ? notify : undefined;
  }
  return undefined;
}

/** How a timeline names an escalation receiver: "Ana (on call in primary)", "escalation step 2". */
export function describeEscalationReceiver(receiver: string): string | undefined {
  const person = ONCALL_RECEIVER.exec(receiver);
  if (person) return `${person[2]} (on call in ${person[1]})`;
  const step = STEP_RECEIVER.exec(receiver);
  if (step) return `escalation step ${Number(step[1]) + 1}`;
  return undefined;
}
