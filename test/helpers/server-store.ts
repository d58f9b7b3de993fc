// The stores an end-to-end suite runs a real server on: SQLite (the data dir's file, the default)
// and PostgreSQL (a fresh database of the run's shared cluster). A suite loops over
// `serverStoreKinds()` with describe.each and gives its server `await serverStore(kind)`; locally,
// without PostgreSQL, only SQLite runs (under CI=true a missing PostgreSQL fails, see peers.ts).
import { freshPostgresDatabase, requirePostgres } from './postgres.ts';

export type ServerStoreKind = 'sqlite' | 'postgresql';

export function serverStoreKinds(): ServerStoreKind[] {
  return requirePostgres() === 'run' ? ['sqlite', 'postgresql'] : ['sqlite'];
}

/** The server's `store` option for a kind: none for SQLite, a new empty database's URL for PostgreSQL. */
export async function serverStore(kind: ServerStoreKind): Promise<{ store?: string }> {
  return kind === 'postgresql' ? { store: await freshPostgresDatabase('gantry_e2e') } : {};
}
