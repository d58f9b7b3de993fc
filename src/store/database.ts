// The tables as kysely sees them. Column names are snake_case; the repositories map rows to the
// camelCase records of types.ts. Timestamps are ISO-8601 UTC text with milliseconds.
import type { InstanceState, ReleaseKind, ReleaseState } from './types.ts';

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
  pid: number | null;
  pid_start_time: string | null;
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

export interface Database {
  services: ServicesTable;
  environments: EnvironmentsTable;
  versions: VersionsTable;
  releases: ReleasesTable;
  release_events: ReleaseEventsTable;
  instances: InstancesTable;
  environment_events: EnvironmentEventsTable;
  metric_rollups: MetricRollupsTable;
}
