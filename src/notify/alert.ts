// The first stage: an alarm transition becomes an Alertmanager alert in a group of (alarm,
// environment, service). Labels, annotations, group key and fingerprint follow Alertmanager's conventions, so
// receivers written for it work unchanged.
import type { AlarmTransition } from '../alarms/types.ts';
import { ZERO_TIME } from './defaults.ts';
import type { Alert, AlertEvidence, AlertStatus } from './types.ts';

/** The labels a notification is grouped by: the service too, as each service has its own alarms. */
export function groupLabelsOf(alarm: string, environment: string, service: string): Record<string, string> {
  return { alertname: alarm, environment, service };
}

/**
 * Alertmanager's group key for the root route:
 * `{}:{alertname="high-5xx", environment="production", service="api"}`.
 */
export function groupKeyOf(alarm: string, environment: string, service: string): string {
  const labels = Object.entries(groupLabelsOf(alarm, environment, service))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `{}:{${labels}}`;
}

export function alertLabels(t: AlarmTransition): Record<string, string> {
  return sortKeys({
    alertname: t.alarm,
    environment: t.environment,
    service: t.service,
    severity: t.severity,
    metric: t.metric,
  });
}

export function alertAnnotations(t: AlarmTransition): Record<string, string> {
  const annotations: Record<string, string> = {
    summary: t.reason,
    description: t.description ?? describeRule(t),
  };
  if (t.runbook) annotations.runbook_url = t.runbook;
  return sortKeys(annotations);
}

/** `http_5xx_rate above 0.01 in production`, when the rule has no description of its own. */
function describeRule(t: AlarmTransition): string {
  const side = t.threshold.above !== undefined ? 'above' : 'below';
  const value = t.threshold.above ?? t.threshold.below;
  return `${t.alarm}: ${t.metric} ${side} ${value} in ${t.environment} (${t.service})`;
}

export function generatorUrl(externalUrl: string, alarm: string, environment: string): string {
  const base = externalUrl.replace(/\/+$/, '');
  return `${base}/alarms/${encodeURIComponent(alarm)}?environment=${encodeURIComponent(environment)}`;
}

/**
 * The alert a transition describes. `startsAt` is when the current firing began (the transition's
 * own time for a new firing); a resolved alert ends at the transition.
 */
export function buildAlert(
  t: AlarmTransition,
  status: AlertStatus,
  startsAt: string,
  externalUrl: string,
): Alert {
  const labels = alertLabels(t);
  return {
    status,
    labels,
    annotations: alertAnnotations(t),
    startsAt,
    endsAt: status === 'firing' ? ZERO_TIME : t.at,
    generatorURL: generatorUrl(externalUrl, t.alarm, t.environment),
    fingerprint: fingerprintOf(labels),
  };
}

export function evidenceOf(t: AlarmTransition): AlertEvidence {
  return { threshold: { ...t.threshold }, datapoints: [...t.datapoints] };
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;

/**
 * Prometheus' label-set fingerprint: FNV-1a (64 bit) over the sorted names and values, each followed
 * by 0xff, as 16 hex digits. The same labels give the same fingerprint as Alertmanager computes.
 */
export function fingerprintOf(labels: Record<string, string>): string {
  let h = FNV_OFFSET;
  const add = (byte: number) => {
    h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const b of Buffer.from(name, 'utf8')) add(b);
    add(SEPARATOR);
    for (const b of Buffer.from(labels[name] ?? '', 'utf8')) add(b);
    add(SEPARATOR);
  }
  return h.toString(16).padStart(16, '0');
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
