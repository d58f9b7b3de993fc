// API tokens (hashed), dashboard sessions and the audit log. The audit log is
// append-only: the database itself refuses UPDATE and DELETE on it, so a bug or a careless script
// cannot rewrite history; editing the file by other means breaks the hash chain, which
// `gantry audit --verify` detects.
import { type Kysely, PostgresAdapter, SqliteAdapter, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('viewer', 'deployer', 'admin')`))
    .addColumn('environments', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_by_prefix').on('api_tokens').columns(['prefix']).execute();

  await db.schema
    .createTable('auth_sessions')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('token_id', 'text', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('auth_sessions_by_token').on('auth_sessions').columns(['token_id']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('environment', 'text')
    .addColumn('release_id', 'text')
    .addColumn('target', 'text')
    .addColumn('status', 'integer')
    .addColumn('error_code', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_by_environment')
    .on('audit_log')
    .columns(['environment', 'seq'])
    .execute();

  const adapter = db.getExecutor().adapter;
  if (adapter instanceof SqliteAdapter) {
    for (const op of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger audit_log_no_${op} before ${op} on audit_log ` +
            `begin select raise(abort, 'the audit log is append-only: ${op} refused'); end`,
        )
        .execute(db);
    }
  } else if (adapter instanceof PostgresAdapter) {
    await sql
      .raw(
        `create function audit_log_append_only() returns trigger language plpgsql as $$
         begin raise exception 'the audit log is append-only: % refused', lower(tg_op); end $$`,
      )
      .execute(db);
    await sql
      .raw(
        'create trigger audit_log_append_only before update or delete on audit_log ' +
          'for each row execute function audit_log_append_only()',
      )
      .execute(db);
  }
}
