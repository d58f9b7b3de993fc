// Log lines name their service, so that the services of one server each search their own. Lines
// stored before have none (''): a search for a service includes them, as they were the only
// service's.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('log_lines')
    .addColumn('service', 'text', (c) => c.notNull().defaultTo(sql`''`))
    .execute();
  await db.schema.createIndex('log_lines_by_service').on('log_lines').columns(['service', 'id']).execute();
}
