// Captured output of the instances: one row per line, indexed for the time, environment
// and cursor orders that searches use, plus the dialect's full-text index over message and raw.
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { createSqliteLogIndex } from '../sqlite/log-text-search.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('log_lines')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull().check(sql`stream in ('stdout', 'stderr')`))
    .addColumn('level', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('fields', 'text')
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .execute();

  // Newest first within an environment is the common page; age retention deletes by time.
  await db.schema
    .createIndex('log_lines_by_environment')
    .on('log_lines')
    .columns(['environment', 'id'])
    .execute();
  await db.schema.createIndex('log_lines_by_at').on('log_lines').columns(['at']).execute();

  if (db.getExecutor().adapter instanceof SqliteAdapter) await createSqliteLogIndex(db);
  else throw new Error('migration 008-logs: only SQLite has a full-text index for logs so far');
}
