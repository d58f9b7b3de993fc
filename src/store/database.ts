// The tables as kysely sees them. Column names are snake_case; the repositories map rows to the
// camelCase records of types.ts. Timestamps are ISO-8601 UTC text with milliseconds.
import type { Generated } from 'kysely';
import type { AcmeTables } from './types/acme.ts';
import type { AlarmStateName } from './types/alarms.ts';
import type { InstanceState } from './types/instances.ts';
import type { LogLevel } from './types/logs.ts';
import type { ReleaseKind, ReleaseState } from './types/releases.ts';
import type { DeliveryOutcome, TriggerState } from './types/triggers.ts';

export interface ServicesTable {
  name: string;
  created_at: string;
}

export interface EnvironmentsTable {
  service: string;
  name: string;
  current_version: string | null;
  current_release_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface VersionsTable {
  service: string;
  version: string;
  artifact_kind: 'dir' | 'image';
  artifact_ref: string;
  sha256: string | null;
  size_bytes: number | string | null;
  git_ref: string | null;
  git_commit: string | null;
  created_at: string;
}

export interface CommitTimesTable {
  service: string;
  commit: string;
  committed_at: string;
  recorded_at: string;
}

export interface ReleasesTable {
  id: string;
  service: string;
  environment: string;
  kind: ReleaseKind;
  version: string;
  previous_version: string | null;
  strategy: 'rolling' | 'canary';
  state: ReleaseState;
  reason: string | null;
  message: string | null;
  /** ReleasePlan as JSON. */
  plan: string;
  ref: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  /** Seq of the newest event; bumped by UPDATE so concurrent appends serialise on this row. */
  last_seq: number;
}

export interface ReleaseEventsTable {
  release_id: string;
  seq: number;
  at: string;
  type: string;
  state: ReleaseState | null;
  message: string;
  /** JSON object or null. */
  data: string | null;
}

export interface InstancesTable {
  id: string;
  service: string;
  environment: string;
  version: string;
  release_id: string | null;
  runtime: 'process' | 'docker' | 'kubernetes';
  state: InstanceState;
  /** The runtime's handle of what runs the instance, as JSON text. */
  handle: string | null;
  port: number | null;
  restarts: number;
  created_at: string;
  updated_at: string;
}

export interface EnvironmentEventsTable {
  id: string;
  service: string;
  environment: string;
  instance: string | null;
  version: string | null;
  type: string;
  message: string;
  /** JSON object or null. */
  data: string | null;
  at: string;
}

export interface MetricRollupsTable {
  service: string;
  environment: string;
  version: string;
  minute: string;
  requests: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  client_aborts: number;
  latency_sum_ms: number;
  sketch: string;
}

export interface IncidentsTable {
  id: string;
  service: string;
  environment: string;
  description: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  status: 'open' | 'acknowledged' | 'resolved';
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  assignee: string | null;
  resolution: string | null;
  root_cause: string | null;
  updated_at: string;
  /** Seq of the newest entry; bumped by UPDATE so concurrent appends serialise on this row. */
  last_seq: number;
}

export interface IncidentAlarmsTable {
  incident_id: string;
  alarm: string;
  /** Order of joining (1 = the alarm that opened the incident). */
  position: number;
  joined_at: string;
}

export interface IncidentEntriesTable {
  incident_id: string;
  seq: number;
  at: string;
  type: string;
  message: string;
  actor: string | null;
  /** JSON object or null. */
  data: string | null;
  /** Idempotency key (alarm transition id, delivery id…), unique per incident when present. */
  dedupe_key: string | null;
}

export interface NotificationOutboxTable {
  id: string;
  group_key: string;
  service: string;
  alarm: string;
  environment: string;
  receiver: string;
  channel_index: number;
  channel_type: string;
  kind: 'firing' | 'resolved' | 'repeat' | 'acknowledge';
  /** JSON. */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  claimed_by: string | null;
  claimed_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface NotificationAlertsTable {
  group_key: string;
  service: string;
  alarm: string;
  environment: string;
  status: 'firing' | 'resolved';
  episode_id: string;
  /** JSON. */
  alert: string;
  /** JSON array of notify group names. */
  receivers: string;
  notified: 'firing' | 'resolved' | null;
  last_notified_at: string | null;
  repeats: number;
  acked_at: string | null;
  acked_by: string | null;
  updated_at: string;
}

export interface SilencesTable {
  id: string;
  /** JSON array of { name, value, isRegex }. */
  matchers: string;
  starts_at: string;
  ends_at: string;
  comment: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface AlarmStatesTable {
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  state: AlarmStateName;
  since: string;
  reason: string;
  last_transition_id: string | null;
  updated_at: string;
}

export interface AlarmHistoryTable {
  id: string;
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  from_state: AlarmStateName;
  to_state: AlarmStateName;
  at: string;
  reason: string;
  /** JSON: datapoints, threshold, notify, runbook, description. */
  detail: string;
}

export interface LogLinesTable {
  id: Generated<number>;
  /** '' for lines stored before lines named their service. */
  service: Generated<string>;
  at: string;
  environment: string;
  version: string;
  instance: string;
  stream: 'stdout' | 'stderr';
  level: LogLevel | null;
  message: string;
  /** JSON object or null. */
  fields: string | null;
  raw: string;
  /** Size counted by retention (bytes of message, fields and raw). */
  bytes: number;
}

/** Every column of log_lines, for reads that name them (PostgreSQL's table has its search vector too). */
export const LOG_LINE_COLUMNS = [
  'id',
  'service',
  'at',
  'environment',
  'version',
  'instance',
  'stream',
  'level',
  'message',
  'fields',
  'raw',
  'bytes',
] as const satisfies ReadonlyArray<keyof LogLinesTable>;

export interface WebhookDeliveriesTable {
  id: string;
  source: 'github';
  event: string;
  received_at: string;
  outcome: DeliveryOutcome;
  message: string;
  ref: string | null;
  commit_sha: string | null;
  trigger_id: string | null;
  release_id: string | null;
}

export interface ReleaseTriggersTable {
  id: string;
  service: string;
  environment: string;
  version: string;
  ref: string;
  commit_sha: string;
  delivery_id: string;
  pusher: string | null;
  state: TriggerState;
  message: string;
  release_id: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  role: 'viewer' | 'deployer' | 'admin';
  /** JSON array of environment names, or null for every environment. */
  environments: string | null;
  expires_at: string | null;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuthSessionsTable {
  hash: string;
  token_id: string;
  created_at: string;
  expires_at: string;
}

/** Append-only: the SQLite schema refuses UPDATE and DELETE with triggers. */
export interface AuditLogTable {
  seq: number;
  at: string;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  address: string | null;
  action: string;
  environment: string | null;
  release_id: string | null;
  target: string | null;
  status: number | null;
  error_code: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface SecretsTable {
  service: string;
  /** An environment, or '*' for global secrets. */
  environment: string;
  name: string;
  /** AES-256-GCM ciphertext, IV and tag, base64. Never a plaintext column. */
  ciphertext: string;
  iv: string;
  tag: string;
  key_id: string;
  updated_at: string;
  updated_by: string | null;
}

export interface ScanReportsTable {
  service: string;
  version: string;
  format: string;
  sha256: string;
  size_bytes: number | string;
  /** JSON: the normalized report. */
  report: string;
  uploaded_by: string | null;
  uploaded_at: string;
}

export interface Database extends AcmeTables {
  services: ServicesTable;
  environments: EnvironmentsTable;
  versions: VersionsTable;
  commit_times: CommitTimesTable;
  releases: ReleasesTable;
  release_events: ReleaseEventsTable;
  instances: InstancesTable;
  environment_events: EnvironmentEventsTable;
  metric_rollups: MetricRollupsTable;
  incidents: IncidentsTable;
  incident_alarms: IncidentAlarmsTable;
  incident_entries: IncidentEntriesTable;
  notification_outbox: NotificationOutboxTable;
  notification_alerts: NotificationAlertsTable;
  silences: SilencesTable;
  alarm_states: AlarmStatesTable;
  alarm_history: AlarmHistoryTable;
  log_lines: LogLinesTable;
  scan_reports: ScanReportsTable;
  secrets: SecretsTable;
  api_tokens: ApiTokensTable;
  auth_sessions: AuthSessionsTable;
  audit_log: AuditLogTable;
  webhook_deliveries: WebhookDeliveriesTable;
  release_triggers: ReleaseTriggersTable;
}
