// Certificates on /metrics and in alarms: seconds until each served certificate expires, per host,
// and the failed ACME orders; and the built-in alarms over them, one pair per ACME environment.
// An alarm fires when a certificate has less than two weeks left (renewal starts with a month left
// on a 90-day certificate, so that means over two weeks of failed renewals), or when three orders
// in a row failed (with the default backoff, within about 3 minutes of the first failure).
import type { AlarmConfig, GantryConfig } from '../config/types.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import type { CertificateStatus } from './types.ts';

export const CERT_EXPIRY_METRIC = 'cert_expiry_seconds';
export const ACME_FAILURES_METRIC = 'acme_failures';
export const CERT_EXPIRY_ALARM = 'acme:certificate-expiry';
export const ACME_FAILURES_ALARM = 'acme:renewal-failing';
export const EXPIRY_ALARM_SECONDS = 14 * 86_400;
export const FAILURES_ALARM_AFTER = 3;
const ALARM_PERIOD_MS = 60_000;

export function certificateMetrics(statuses: CertificateStatus[], now: number): ExtraMetric[] {
  return [
    {
      name: `gantry_${CERT_EXPIRY_METRIC}`,
      help: 'Seconds until the certificate Gantry obtained through ACME expires, per host (negative: expired).',
      type: 'gauge',
      samples: statuses.flatMap((s) =>
        s.notAfter === undefined
          ? []
          : s.hosts.map((host) => ({
              labels: { environment: s.environment, host },
              value: Math.floor((s.notAfter as number) / 1000 - now / 1000),
            })),
      ),
    },
    {
      name: `gantry_${ACME_FAILURES_METRIC}_total`,
      help: 'Failed ACME certificate orders (issuance and renewal) since Gantry started.',
      type: 'counter',
      samples: statuses.map((s) => ({ labels: { environment: s.environment }, value: s.failuresTotal })),
    },
  ];
}

/**
 * The datapoint of an alarm over these metrics at the end of a period: seconds left on the
 * environment's certificate, or the failed orders in a row; undefined for any other metric.
 */
export function certificateDatapoint(
  statuses: CertificateStatus[],
  q: { metric: string; environment: string; to: number },
): number | null | undefined {
  if (q.metric !== CERT_EXPIRY_METRIC && q.metric !== ACME_FAILURES_METRIC) return undefined;
  const s = statuses.find((x) => x.environment === q.environment);
  if (!s) return null;
  if (q.metric === ACME_FAILURES_METRIC) return s.consecutiveFailures;
  return s.notAfter === undefined ? null : (s.notAfter - q.to) / 1000;
}

/** The built-in alarms of every environment with `tls.acme`. */
export function certificateAlarmRules(
  config: Pick<GantryConfig, 'environments' | 'incidents'>,
): AlarmConfig[] {
  return Object.values(config.environments)
    .filter((env) => env.tls?.acme)
    .flatMap((env): AlarmConfig[] => [
      {
        name: CERT_EXPIRY_ALARM,
        environment: env.name,
        metric: CERT_EXPIRY_METRIC,
        below: EXPIRY_ALARM_SECONDS,
        period: ALARM_PERIOD_MS,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        treat_missing_data: 'not_breaching',
        severity: 'P2',
        notify: config.incidents.notify,
        description: `the certificate of ${env.hosts?.join(', ')} expires in less than 14 days: its renewal through ACME keeps failing`,
      },
      {
        name: ACME_FAILURES_ALARM,
        environment: env.name,
        metric: ACME_FAILURES_METRIC,
        above: FAILURES_ALARM_AFTER - 1,
        period: ALARM_PERIOD_MS,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        treat_missing_data: 'not_breaching',
        severity: 'P3',
        notify: config.incidents.notify,
        description: `${FAILURES_ALARM_AFTER} ACME orders in a row failed for ${env.hosts?.join(', ')} (see the environment's certificate.failed events)`,
      },
    ]);
}
