// Services, environments, versions, releases with their events, and instances.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('services')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('environments')
    .addColumn('service', 'text', (c) => c.notNull().references('services.name').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('current_version', 'text')
    .addColumn('current_release_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('environments_pk', ['service', 'name'])
    .execute();

  await db.schema
    .createTable('versions')
    .addColumn('service', 'text', (c) => c.notNull().references('services.name').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('artifact_kind', 'text', (c) => c.notNull().check(sql`artifact_kind in ('dir', 'image')`))
    .addColumn('artifact_ref', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('size_bytes', 'bigint')
    .addColumn('git_ref', 'text')
    .addColumn('git_commit', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('versions_pk', ['service', 'version'])
    .execute();

  await db.schema
    .createTable('releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('previous_version', 'text')
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('message', 'text')
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('ref', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addForeignKeyConstraint(
      'releases_environment_fk',
      ['service', 'environment'],
      'environments',
      ['service', 'name'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();

  // At most one release in flight per environment, enforced by the database itself so that two
  // servers (or two API calls) racing to release cannot both win.
  await db.schema
    .createIndex('releases_one_active')
    .on('releases')
    .columns(['service', 'environment'])
    .unique()
    // The active states as of this migration; 003 widens the list (migrations never change).
    .where(sql.ref('state'), 'in', ['pending', 'starting', 'verifying', 'switching', 'draining'])
    .execute();

  await db.schema
    .createIndex('releases_by_environment')
    .on('releases')
    .columns(['service', 'environment', 'created_at'])
    .execute();

  await db.schema
    .createTable('release_events')
    .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addPrimaryKeyConstraint('release_events_pk', ['release_id', 'seq'])
    .execute();

  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('release_id', 'text')
    .addColumn('runtime', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer')
    .addColumn('pid_start_time', 'text')
    .addColumn('port', 'integer')
    .addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createIndex('instances_by_environment')
    .on('instances')
    .columns(['service', 'environment'])
    .execute();
}
