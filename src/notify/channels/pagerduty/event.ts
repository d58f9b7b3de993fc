// A PagerDuty Events API v2 event: trigger while firing (repeats too: PagerDuty folds them into the
// same alert), acknowledge on an ack in Gantry, resolve on recovery; one dedup_key per alert (its
// fingerprint), so every event about it lands on the same PagerDuty alert.
import type { Notification } from '../../types.ts';
import { factsOf, firstAlert, titleOf, truncate } from '../text.ts';

const SUMMARY_MAX = 1024;

export const PAGERDUTY_SEVERITY: Record<string, 'critical' | 'error' | 'warning' | 'info'> = {
  P1: 'critical',
  P2: 'error',
  P3: 'warning',
  P4: 'info',
};

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links?: Array<{ href: string; text: string }>;
  client?: string;
  client_url?: string;
}

export function actionOf(n: Notification): PagerDutyAction {
  if (n.kind === 'acknowledge') return 'acknowledge';
  return n.status === 'resolved' ? 'resolve' : 'trigger';
}

export function buildPagerDutyEvent(n: Notification, routingKey: string): PagerDutyEvent {
  const alert = firstAlert(n);
  const event: PagerDutyEvent = {
    routing_key: routingKey,
    event_action: actionOf(n),
    dedup_key: alert.fingerprint,
  };
  if (event.event_action !== 'trigger') return event;
  const f = factsOf(n);
  const links = [{ href: f.link, text: `${f.alarm} in Gantry` }];
  if (f.runbook && /^https?:\/\//.test(f.runbook)) links.push({ href: f.runbook, text: 'Runbook' });
  return {
    ...event,
    payload: {
      summary: truncate(`${titleOf(n)}: ${f.reason}`, SUMMARY_MAX),
      source: `${f.service}/${f.environment}`,
      severity: PAGERDUTY_SEVERITY[f.severity] ?? 'error',
      timestamp: f.startsAt,
      component: f.service,
      group: f.environment,
      class: f.metric,
      custom_details: {
        reason: f.reason,
        description: f.description,
        severity: f.severity,
        threshold: n.evidence.threshold,
        datapoints: n.evidence.datapoints,
        firing_since: f.startsAt,
        ...(f.runbook ? { runbook: f.runbook } : {}),
        labels: alert.labels,
      },
    },
    links,
    client: 'Gantry',
    client_url: f.link,
  };
}
