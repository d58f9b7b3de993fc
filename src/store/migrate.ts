// Applies pending migrations at open, all in one transaction (where the dialect allows it), and
// records each in the kysely_migration table.
import type { Kysely } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import type { Database } from './database.ts';
import { migrations as coreMigrations } from './migrations/index.ts';

export interface MigrationOutcome {
  applied: string[];
}

export async function applyMigrations(
  db: Kysely<Database>,
  migrations: Record<string, Migration> = coreMigrations,
): Promise<MigrationOutcome> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const where = failed ? `migration ${failed}` : 'the migration runner';
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(
      `could not update the database schema (${where} failed: ${cause}); nothing was changed. ` +
        'If the database was written by a newer Gantry, run that version or restore a backup.',
      { cause: error },
    );
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
