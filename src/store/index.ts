// The store's entry point: open a database, bring its schema up to date, hand back the repositories.
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Database } from './database.ts';
import { KyselyStore } from './kysely-store.ts';
import { applyMigrations } from './migrate.ts';
import { openPostgresDatabase } from './postgres/open.ts';
import { openSqliteDatabase } from './sqlite/open.ts';
import type { Store } from './types.ts';

export * from './types.ts';

export interface SqliteStoreOptions {
  kind: 'sqlite';
  /** Database file (its directory is created when missing), or ':memory:'. */
  path: string;
  /** Source of the records' timestamps; the system clock by default. */
  clock?: Pick<Clock, 'now'>;
}

export interface PostgresStoreOptions {
  kind: 'postgresql';
  /** postgresql://user:password@host:port/database (libpq's URL form). */
  url: string;
  /** Source of the records' timestamps; the system clock by default. */
  clock?: Pick<Clock, 'now'>;
}

export type StoreOptions = SqliteStoreOptions | PostgresStoreOptions;

export async function openStore(opts: StoreOptions): Promise<Store> {
  const [db, dialect]: [Kysely<Database>, 'sqlite' | 'postgres'] =
    opts.kind === 'sqlite'
      ? [await openSqliteDatabase(opts.path), 'sqlite']
      : [await openPostgresDatabase(opts.url), 'postgres'];
  try {
    await applyMigrations(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, dialect, opts.clock);
}
