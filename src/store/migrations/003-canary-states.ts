// Canary releases add active states: the one-active-release-per-environment index must cover them.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('releases_one_active').execute();
  await db.schema
    .createIndex('releases_one_active')
    .on('releases')
    .columns(['service', 'environment'])
    .unique()
    .where(sql.ref('state'), 'in', [
      'pending',
      'starting',
      'verifying',
      'switching',
      'draining',
      'progressing',
      'paused',
      'promoting',
      'rolling_back',
    ])
    .execute();
}
