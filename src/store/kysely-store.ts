// A Store over any Kysely<Database> whose schema is migrated: the dialect-independent half of every
// store. A dialect contributes only its Kysely instance (driver, pragmas) and its name.
import { type Kysely, sql } from 'kysely';
import { type Clock, systemClock } from '../lib/clock.ts';
import type { Database } from './database.ts';
import { KyselyAcmeRepo } from './repos/acme.ts';
import { KyselyAlarmRepo } from './repos/alarms.ts';
import { KyselyAuditRepo } from './repos/audit.ts';
import { KyselyTriggerRepo } from './repos/deliveries.ts';
import { KyselyEnvironmentEventRepo } from './repos/environment-events.ts';
import { KyselyEnvironmentRepo } from './repos/environments.ts';
import { KyselyIncidentRepo } from './repos/incidents.ts';
import { KyselyInstanceRepo } from './repos/instances.ts';
import { KyselyLogRepo } from './repos/logs.ts';
import { KyselyMetricRollupRepo } from './repos/metric-rollups.ts';
import { createNotificationRepos } from './repos/notifications.ts';
import { KyselyReleaseRepo } from './repos/releases.ts';
import { KyselyScanReportRepo } from './repos/scan-reports.ts';
import { KyselySecretRepo } from './repos/secrets.ts';
import { KyselyServiceRepo } from './repos/services.ts';
import { KyselyApiTokenRepo } from './repos/tokens.ts';
import { KyselyVersionRepo } from './repos/versions.ts';
import { createTimestamper } from './timestamps.ts';
import type { EnvironmentRepo, ServiceRepo, VersionRepo } from './types/catalog.ts';
import type { EnvironmentEventRepo } from './types/environment-events.ts';
import type { InstanceRepo } from './types/instances.ts';
import type { MetricRollupRepo } from './types/metric-rollups.ts';
import type { NotificationRepos } from './types/notifications.ts';
import type { ReleaseRepo } from './types/releases.ts';
import type { Store } from './types/store.ts';

export class KyselyStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly services: ServiceRepo;
  readonly environments: EnvironmentRepo;
  readonly versions: VersionRepo;
  readonly releases: ReleaseRepo;
  readonly instances: InstanceRepo;
  readonly events: EnvironmentEventRepo;
  readonly metrics: MetricRollupRepo;
  readonly incidents: KyselyIncidentRepo;
  readonly notifications: NotificationRepos;
  readonly alarms: KyselyAlarmRepo;
  readonly logs: KyselyLogRepo;
  readonly scanReports: KyselyScanReportRepo;
  readonly tokens: KyselyApiTokenRepo;
  readonly audit: KyselyAuditRepo;
  readonly secrets: KyselySecretRepo;
  readonly triggers: KyselyTriggerRepo;
  readonly acme: KyselyAcmeRepo;
  readonly #db: Kysely<Database>;
  #closing: Promise<void> | undefined;

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', clock: Pick<Clock, 'now'> = systemClock) {
    const now = createTimestamper(clock);
    this.dialect = dialect;
    this.#db = db;
    this.services = new KyselyServiceRepo(db, now);
    this.environments = new KyselyEnvironmentRepo(db, now);
    this.versions = new KyselyVersionRepo(db, now);
    this.releases = new KyselyReleaseRepo(db, now);
    this.instances = new KyselyInstanceRepo(db, now);
    this.events = new KyselyEnvironmentEventRepo(db, now);
    this.metrics = new KyselyMetricRollupRepo(db);
    this.incidents = new KyselyIncidentRepo(db, now);
    this.notifications = createNotificationRepos(db);
    this.alarms = new KyselyAlarmRepo(db, now);
    this.logs = new KyselyLogRepo(db, dialect);
    this.scanReports = new KyselyScanReportRepo(db, now);
    this.tokens = new KyselyApiTokenRepo(db, now);
    this.audit = new KyselyAuditRepo(db, now);
    this.secrets = new KyselySecretRepo(db, now);
    this.triggers = new KyselyTriggerRepo(db, now);
    this.acme = new KyselyAcmeRepo(db, now);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  close(): Promise<void> {
    this.#closing ??= this.#db.destroy();
    return this.#closing;
  }
}
