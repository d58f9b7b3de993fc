// Words shared by the human channels (email, Slack, SNS, PagerDuty): the title of a notification and
// the facts of its alert, read from Alertmanager-shaped labels and annotations.
import type { Alert, Notification } from '../types.ts';

export interface AlertFacts {
  alarm: string;
  environment: string;
  service: string;
  severity: string;
  metric: string;
  reason: string;
  description: string;
  runbook: string | undefined;
  link: string;
  startsAt: string;
  endsAt: string | undefined;
}

export function factsOf(n: Notification): AlertFacts {
  const alert = firstAlert(n);
  const l = alert.labels;
  const a = alert.annotations;
  return {
    alarm: l.alertname ?? '',
    environment: l.environment ?? '',
    service: l.service ?? '',
    severity: l.severity ?? '',
    metric: l.metric ?? '',
    reason: a.summary ?? '',
    description: a.description ?? '',
    runbook: a.runbook_url,
    link: alert.generatorURL,
    startsAt: alert.startsAt,
    endsAt: n.status === 'resolved' ? alert.endsAt : undefined,
  };
}

export function firstAlert(n: Notification): Alert {
  const alert = n.alerts[0];
  if (!alert) throw new Error(`notification of ${n.groupKey} carries no alert`);
  return alert;
}

/** ALARM, RESOLVED or ACK. */
export function stateWord(n: Notification): string {
  if (n.kind === 'acknowledge') return 'ACK';
  return n.status === 'resolved' ? 'RESOLVED' : 'ALARM';
}

/** `[ALARM] high-5xx in production (P2)` */
export function titleOf(n: Notification): string {
  const f = factsOf(n);
  return `[${stateWord(n)}] ${f.alarm} in ${f.environment} (${f.severity})`;
}

/** One line saying what changed: fires, still fires, resolved or acknowledged. */
export function headlineOf(n: Notification): string {
  const f = factsOf(n);
  switch (n.kind) {
    case 'resolved':
      return `${f.alarm} in ${f.environment} is resolved (fired from ${f.startsAt} to ${f.endsAt}).`;
    case 'repeat':
      return `${f.alarm} in ${f.environment} is still firing (since ${f.startsAt}).`;
    case 'acknowledge':
      return `${f.alarm} in ${f.environment} was acknowledged${n.ackedBy ? ` by ${n.ackedBy}` : ''}.`;
    default:
      return `${f.alarm} in ${f.environment} is firing (since ${f.startsAt}).`;
  }
}

/** `above 0.01` / `below 50` */
export function thresholdOf(n: Notification): string {
  const t = n.evidence.threshold;
  if (t.above !== undefined) return `above ${t.above}`;
  if (t.below !== undefined) return `below ${t.below}`;
  return '';
}

/** The plain-text body (email, SNS): headline, reason, facts, link. */
export function plainTextOf(n: Notification): string {
  const f = factsOf(n);
  const lines = [
    headlineOf(n),
    '',
    `Reason:      ${f.reason}`,
    `Service:     ${f.service}`,
    `Environment: ${f.environment}`,
    `Severity:    ${f.severity}`,
    `Metric:      ${f.metric} (alarm when ${thresholdOf(n)})`,
    `Started:     ${f.startsAt}`,
  ];
  if (f.endsAt) lines.push(`Ended:       ${f.endsAt}`);
  if (f.description) lines.push(`Description: ${f.description}`);
  if (f.runbook) lines.push(`Runbook:     ${f.runbook}`);
  lines.push('', `Open in Gantry: ${f.link}`);
  return `${lines.join('\n')}\n`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
