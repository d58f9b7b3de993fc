// The built-in alarm backup_failures: present when gantry.yaml schedules backups, it goes through
// the usual alarm → notification → incident path. Its datapoint is the number of scheduled backups
// that failed (to be written or to verify) since the last good one, so it fires at the first
// failure and resolves with the next backup that verifies.
import type { AlarmConfig, GantryConfig } from '../config/types.ts';

export const BACKUP_ALARM = 'backup_failures';
export const BACKUP_METRIC = 'backup_failures';
/** How often the alarm reads the count: a failure is noticed within this. */
export const BACKUP_ALARM_PERIOD_MS = 60_000;

/**
 * The rule, on the last environment of gantry.yaml (where production usually is, so it pages where
 * production pages), or none when backups are not scheduled.
 */
export function backupAlarmRules(config: Pick<GantryConfig, 'environments' | 'backups'>): AlarmConfig[] {
  const environment = Object.keys(config.environments).at(-1);
  if (!config.backups || environment === undefined) return [];
  return [
    {
      name: BACKUP_ALARM,
      environment,
      metric: BACKUP_METRIC,
      above: 0,
      period: BACKUP_ALARM_PERIOD_MS,
      evaluation_periods: 1,
      datapoints_to_alarm: 1,
      treat_missing_data: 'not_breaching',
      severity: 'P3',
      notify: config.backups.notify,
      runbook: 'docs/backups.md',
      description: "a scheduled backup of Gantry's own data failed to be written or to verify",
    },
  ];
}
