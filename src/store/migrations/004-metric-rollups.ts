// Per-minute request statistics of each (environment, version), kept for the metrics retention
// (30 days by default): counts by status class, the sum of latencies and a mergeable latency sketch.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('metric_rollups')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('minute', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('c2xx', 'integer', (c) => c.notNull())
    .addColumn('c3xx', 'integer', (c) => c.notNull())
    .addColumn('c4xx', 'integer', (c) => c.notNull())
    .addColumn('c5xx', 'integer', (c) => c.notNull())
    .addColumn('client_aborts', 'integer', (c) => c.notNull())
    .addColumn('latency_sum_ms', 'double precision', (c) => c.notNull())
    .addColumn('sketch', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_rollups_pk', ['service', 'environment', 'version', 'minute'])
    .execute();
  await db.schema
    .createIndex('metric_rollups_by_minute')
    .on('metric_rollups')
    .columns(['service', 'environment', 'minute'])
    .execute();
  await db.schema.createIndex('metric_rollups_retention').on('metric_rollups').column('minute').execute();
}
