// Incidents, the alarms that opened or joined them, and their own timeline entries. Releases and
// environment events are not copied: the timeline is assembled from their tables when read.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('P1', 'P2', 'P3', 'P4')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('open', 'acknowledged', 'resolved')`),
    )
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text')
    .addColumn('assignee', 'text')
    .addColumn('resolution', 'text')
    .addColumn('root_cause', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // One incident in progress per environment, enforced by the database so that two alarms firing
  // together (or two servers) join one incident instead of opening two.
  await db.schema
    .createIndex('incidents_one_active')
    .on('incidents')
    .columns(['service', 'environment'])
    .unique()
    .where(sql.ref('status'), 'in', ['open', 'acknowledged'])
    .execute();

  await db.schema.createIndex('incidents_by_opened').on('incidents').columns(['opened_at']).execute();
  await db.schema
    .createIndex('incidents_by_environment')
    .on('incidents')
    .columns(['service', 'environment', 'opened_at'])
    .execute();

  await db.schema
    .createTable('incident_alarms')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('alarm', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_alarms_pk', ['incident_id', 'alarm'])
    .execute();

  await db.schema
    .createTable('incident_entries')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('data', 'text')
    .addColumn('dedupe_key', 'text')
    .addPrimaryKeyConstraint('incident_entries_pk', ['incident_id', 'seq'])
    .execute();

  await db.schema
    .createIndex('incident_entries_key')
    .on('incident_entries')
    .columns(['incident_id', 'dedupe_key'])
    .unique()
    .execute();
}
