// When each commit was made, as CI (`gantry upload --commit-time`) or a GitHub push said, so that
// DORA's lead time for changes counts from the commit rather than from the upload.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('commit_times')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('commit', 'text', (c) => c.notNull())
    .addColumn('committed_at', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('commit_times_pk', ['service', 'commit'])
    .execute();
}
