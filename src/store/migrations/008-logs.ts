// Captured output of the instances: one row per line, indexed for the time, environment
// and cursor orders that searches use, plus the dialect's full-text index over message and raw.
import { type Kysely, PostgresAdapter, SqliteAdapter, sql } from 'kysely';
import { createPostgresLogIndex } from '../postgres/log-text-search.ts';
import { createSqliteLogIndex } from '../sqlite/log-text-search.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  await db.schema
    .createTable('log_lines')
    // SQLite's rowid alias, or PostgreSQL's 64-bit identity: ids keep growing past retention.
    .addColumn('id', adapter instanceof PostgresAdapter ? 'bigint' : 'integer', (c) =>
      adapter instanceof PostgresAdapter
        ? c.primaryKey().generatedByDefaultAsIdentity()
        : c.primaryKey().autoIncrement(),
    )
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

  if (adapter instanceof SqliteAdapter) await createSqliteLogIndex(db);
  else if (adapter instanceof PostgresAdapter) await createPostgresLogIndex(db);
  else throw new Error('migration 008-logs: no full-text index for logs on this dialect');
}
