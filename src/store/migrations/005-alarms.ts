// Alarms: the current state of each alarm (so a restarted server keeps it) and the append-only
// history of its transitions, each with the evidence (reason, datapoints, threshold).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alarm_states')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('alarm', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('last_transition_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alarm_states_pk', ['service', 'alarm', 'environment'])
    .execute();

  await db.schema
    .createTable('alarm_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('alarm', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text', (c) => c.notNull())
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    // The rest of the transition (datapoints, threshold, notify, runbook, description) as JSON.
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alarm_history_by_alarm')
    .on('alarm_history')
    .columns(['service', 'alarm', 'environment', 'at'])
    .execute();
  await db.schema
    .createIndex('alarm_history_by_time')
    .on('alarm_history')
    .columns(['service', 'at'])
    .execute();
}
