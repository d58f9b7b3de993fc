// The store: every repository of one database, whichever its dialect (SQLite or PostgreSQL).
import type { AcmeRepo } from './acme.ts';
import type { AlarmRepo } from './alarms.ts';
import type { AuditRepo } from './audit.ts';
import type { EnvironmentRepo, ServiceRepo, VersionRepo } from './catalog.ts';
import type { EnvironmentEventRepo } from './environment-events.ts';
import type { IncidentRepo } from './incidents.ts';
import type { InstanceRepo } from './instances.ts';
import type { LogRepo } from './logs.ts';
import type { MetricRollupRepo } from './metric-rollups.ts';
import type { NotificationRepos } from './notifications.ts';
import type { ReleaseRepo } from './releases.ts';
import type { ScanReportRepo } from './scan-reports.ts';
import type { SecretRepo } from './secrets.ts';
import type { ApiTokenRepo } from './tokens.ts';
import type { TriggerRepo } from './triggers.ts';

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  services: ServiceRepo;
  environments: EnvironmentRepo;
  versions: VersionRepo;
  releases: ReleaseRepo;
  instances: InstanceRepo;
  events: EnvironmentEventRepo;
  metrics: MetricRollupRepo;
  incidents: IncidentRepo;
  notifications: NotificationRepos;
  alarms: AlarmRepo;
  logs: LogRepo;
  tokens: ApiTokenRepo;
  audit: AuditRepo;
  triggers: TriggerRepo;
  secrets: SecretRepo;
  scanReports: ScanReportRepo;
  acme: AcmeRepo;
  /** Cheap round trip used by /readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
