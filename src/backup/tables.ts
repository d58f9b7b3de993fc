// The store's tables a backup holds, in restore order: a table comes after the tables its foreign
// keys point at (services before environments, releases before release_events, …). The compiler
// refuses a table of the schema left out of this list, so a new table cannot be missed by backups.
import type { Database } from '../store/database.ts';

export const BACKUP_TABLES = [
  'services',
  'environments',
  'versions',
  'commit_times',
  'releases',
  'release_events',
  'instances',
  'environment_events',
  'metric_rollups',
  'incidents',
  'incident_alarms',
  'incident_entries',
  'notification_outbox',
  'notification_alerts',
  'silences',
  'alarm_states',
  'alarm_history',
  'log_lines',
  'scan_reports',
  'secrets',
  'api_tokens',
  'auth_sessions',
  'audit_log',
  'webhook_deliveries',
  'release_triggers',
  'acme_accounts',
  'acme_certificates',
] as const satisfies ReadonlyArray<keyof Database>;

export type BackupTable = (typeof BACKUP_TABLES)[number];

type Missing = Exclude<keyof Database, BackupTable>;
/** Fails to compile, naming the table, when the schema has a table this list lacks. */
export const EVERY_TABLE_LISTED: [Missing] extends [never] ? true : Missing = true;
