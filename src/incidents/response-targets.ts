// Response-time targets by severity: an incident must be acknowledged within its severity's target
// (`incidents.respond_within`; written as `{}` it takes the users' guide: P1 and P2 within 15
// minutes, P3 within an hour, P4 the next business day, which has no fixed number and so no alarm). One alarm per
// environment, `incident:response`, counts the open incidents past their target: it fires as soon
// as one is overdue, joins that incident (its timeline says so) and resolves when it is acknowledged.
import type { AlarmConfig, GantryConfig } from '../config/types.ts';
import type { IncidentRecord } from '../store/types.ts';

export type Severity = 'P1' | 'P2' | 'P3' | 'P4';
export type ResponseTargets = Record<Severity, number | null>;

export const DEFAULT_RESPONSE_TARGETS: ResponseTargets = {
  P1: 15 * 60_000,
  P2: 15 * 60_000,
  P3: 60 * 60_000,
  P4: null,
};
export const RESPONSE_ALARM = 'incident:response';
export const RESPONSE_METRIC = 'incident_response_overdue';
/** How often the alarm counts overdue incidents: a missed target is noticed within this. */
export const RESPONSE_ALARM_PERIOD_MS = 60_000;
/** Incidents read per count (open ones, newest first). */
export const RESPONSE_MAX_ROWS = 500;

/** The open (unacknowledged) incidents whose target had passed at `at`. */
export function overdueIncidents(
  incidents: IncidentRecord[],
  targets: ResponseTargets,
  at: number,
): IncidentRecord[] {
  return incidents.filter((i) => {
    const target = targets[i.severity];
    return i.status === 'open' && target !== null && Date.parse(i.openedAt) + target <= at;
  });
}

/** The alarm rule of each environment, when `incidents.respond_within` sets any target. */
export function responseTargetRules(config: Pick<GantryConfig, 'environments' | 'incidents'>): AlarmConfig[] {
  const targets = config.incidents.respond_within;
  if (targets === undefined || Object.values(targets).every((t) => t === null)) return [];
  const described = (Object.entries(targets) as Array<[Severity, number | null]>)
    .filter(([, t]) => t !== null)
    .map(([s, t]) => `${s} within ${Math.round((t as number) / 60_000)}m`)
    .join(', ');
  return Object.keys(config.environments).map(
    (environment): AlarmConfig => ({
      name: RESPONSE_ALARM,
      environment,
      metric: RESPONSE_METRIC,
      above: 0,
      period: RESPONSE_ALARM_PERIOD_MS,
      evaluation_periods: 1,
      datapoints_to_alarm: 1,
      treat_missing_data: 'not_breaching',
      severity: 'P2',
      notify: config.incidents.notify,
      description: `an incident was not acknowledged within its response target (${described})`,
    }),
  );
}
