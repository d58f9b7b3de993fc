// The incident's own timeline entries for alarm transitions and notifications, with the words a
// person reads in the war room and the evidence the post-mortem draws its numbers from.
import type { AlarmTransition, Severity } from '../alarms/types.ts';
import { describeEscalationReceiver } from '../oncall/escalation.ts';
import type { NewIncidentEntry } from '../store/types.ts';
import type { NotificationOutcome } from './types.ts';

/** Error texts from remote services can be long; the timeline keeps the start. */
const MAX_ERROR_CHARS = 300;

/** The evidence of a transition, kept in the entry's data (read back by the post-mortem). */
export interface TransitionEvidence {
  transitionId: string;
  alarm: string;
  metric: string;
  severity: Severity;
  from: string;
  to: string;
  reason: string;
  datapoints: Array<number | null>;
  threshold: { above?: number; below?: number };
  runbook: string | null;
  description: string | null;
}

/** `alarm high-5xx → ALARM: http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s` */
export function transitionEntry(t: AlarmTransition): NewIncidentEntry {
  const evidence: TransitionEvidence = {
    transitionId: t.id,
    alarm: t.alarm,
    metric: t.metric,
    severity: t.severity,
    from: t.from,
    to: t.to,
    reason: t.reason,
    datapoints: t.datapoints,
    threshold: t.threshold,
    runbook: t.runbook,
    description: t.description,
  };
  return {
    at: t.at,
    type: 'alarm',
    message: `alarm ${t.alarm} → ${t.to}: ${t.reason}`,
    data: { ...evidence },
    key: `alarm:${t.id}`,
  };
}

export function openedEntry(t: AlarmTransition): NewIncidentEntry {
  return {
    at: t.at,
    type: 'opened',
    message: `incident opened by alarm ${t.alarm} (${t.severity}) in ${t.environment}`,
    data: { alarm: t.alarm, severity: t.severity },
    key: `opened:${t.id}`,
  };
}

export function joinedEntry(t: AlarmTransition): NewIncidentEntry {
  return {
    at: t.at,
    type: 'alarm.joined',
    message: `alarm ${t.alarm} (${t.severity}) joined the incident`,
    data: { alarm: t.alarm, severity: t.severity },
    key: `joined:${t.id}`,
  };
}

export function severityEntry(t: AlarmTransition, from: Severity): NewIncidentEntry {
  return {
    at: t.at,
    type: 'severity',
    message: `severity raised ${from} → ${t.severity} by alarm ${t.alarm}`,
    data: { from, to: t.severity, alarm: t.alarm },
    key: `severity:${t.id}`,
  };
}

/** "paged oncall by pagerduty", "email to oncall failed after 5 attempts: 550 mailbox unavailable" */
export function notificationEntry(d: NotificationOutcome): NewIncidentEntry {
  return {
    at: d.at,
    type: 'notification',
    message: describeNotification(d),
    data: {
      deliveryId: d.deliveryId,
      alarm: d.alarm,
      receiver: d.receiver,
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      ...(d.kind ? { kind: d.kind } : {}),
      ...(d.error ? { error: clip(d.error) } : {}),
    },
    key: `notify:${d.deliveryId}:${d.status}:${d.attempts}`,
  };
}

export function describeNotification(outcome: NotificationOutcome): string {
  // An escalation names the person or step it paged (docs/oncall.md).
  const escalated = describeEscalationReceiver(outcome.receiver);
  const d = escalated !== undefined ? { ...outcome, receiver: escalated } : outcome;
  const line = d.status === 'delivered' ? delivered(d) : undelivered(d);
  return escalated !== undefined ? `escalation: ${line}` : line;
}

function undelivered(d: NotificationOutcome): string {
  const about = d.kind === 'resolved' ? ` (recovery of ${d.alarm})` : '';
  const attempts = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
  const error = d.error ? `: ${clip(d.error)}` : '';
  if (d.status === 'retrying') {
    return `${d.channel} to ${d.receiver}${about} failed (${attempts} so far), retrying${error}`;
  }
  return `${d.channel} to ${d.receiver}${about} failed after ${attempts}${error}`;
}

function delivered(d: NotificationOutcome): string {
  if (d.kind === 'resolved') {
    return d.channel === 'pagerduty'
      ? `resolved the page of ${d.receiver} on pagerduty`
      : `told ${d.receiver} by ${d.channel} that ${d.alarm} recovered`;
  }
  switch (d.channel) {
    case 'pagerduty':
      return `paged ${d.receiver} by pagerduty`;
    case 'email':
      return `emailed ${d.receiver}`;
    case 'slack':
      return `posted to ${d.receiver} on slack`;
    case 'sns':
      return `published to ${d.receiver} on sns`;
    case 'webhook':
      return `called the webhook of ${d.receiver}`;
    default:
      return `notified ${d.receiver} by ${d.channel}`;
  }
}

function clip(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
