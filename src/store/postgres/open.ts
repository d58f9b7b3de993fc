// Opens a PostgreSQL database (postgresql://user:password@host:port/db) as a Kysely<Database>: a
// connection pool that is checked once at open, so a wrong URL fails here and not at first use.
import { Kysely, sql } from 'kysely';
import type pg from 'pg';
import { requireOnUse } from '../../lib/require-on-use.ts';
import type { Database } from '../database.ts';
import { GantryPostgresDialect } from './dialect.ts';

/** Connections per server: the release engine, the API and the collectors share them. */
const POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;

export async function openPostgresDatabase(url: string): Promise<Kysely<Database>> {
  const pool = new (requireOnUse<typeof pg>('pg').Pool)({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'gantry',
  });
  // An idle connection that the server drops (restart, network) errors on the pool; the next query
  // opens a new one, so the error must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new GantryPostgresDialect(pool) });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy();
    const cause = err instanceof Error ? err.message : String(err);
    throw new Error(
      `could not connect to the PostgreSQL database ${redactUrl(url)}: ${cause}. ` +
        'Check the URL given to --store (or GANTRY_STORE), that the server runs and that the database exists.',
      { cause: err },
    );
  }
  return db;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql://…';
  }
}
