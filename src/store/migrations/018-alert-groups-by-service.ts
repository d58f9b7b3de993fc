// Alert groups are per service: their key names the service beside the alarm and the environment,
// so two services of one server with an alarm of the same name in environments of the same name
// keep two groups (before, they shared one row, one's firing overwriting the other's). Keys stored
// before gain their row's service. The formula is spelled out here, as it was at this migration.
import { type Kysely, sql } from 'kysely';

function keyOf(alarm: string, environment: string, service: string): string {
  return `{}:{alertname=${JSON.stringify(alarm)}, environment=${JSON.stringify(environment)}, service=${JSON.stringify(service)}}`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['notification_alerts', 'notification_outbox']) {
    const { rows } = await sql<{ group_key: string; service: string; alarm: string; environment: string }>`
      select distinct group_key, service, alarm, environment from ${sql.table(table)}`.execute(db);
    for (const r of rows) {
      const key = keyOf(r.alarm, r.environment, r.service);
      if (key === r.group_key) continue;
      await sql`update ${sql.table(table)} set group_key = ${key}
        where group_key = ${r.group_key} and service = ${r.service}`.execute(db);
    }
  }
}
