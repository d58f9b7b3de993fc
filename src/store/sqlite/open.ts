// Opens (creating if needed) an SQLite database file as a Kysely<Database>.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Kysely, sql } from 'kysely';
import type { Database } from '../database.ts';
import { NodeSqliteDialect } from './dialect.ts';

/** Long enough for another process's release transaction to finish, short enough to fail clearly. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export async function openSqliteDatabase(path: string): Promise<Kysely<Database>> {
  const inMemory = path === ':memory:' || path === '';
  try {
    if (!inMemory) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // SQLite creates the database 0644 (less the umask) and gives its -wal and -shm files the
      // database's own mode: created first, 0600, none of the three is readable by others.
      await (await open(path, 'a', 0o600)).close();
    }
    const db = new Kysely<Database>({
      dialect: new NodeSqliteDialect({ path, busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS }),
    });
    try {
      // Opens the file and applies the pragmas now, so a bad path fails here and not at first use.
      await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return db;
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new Error(
      `could not open the SQLite database ${path}: ${cause}. ` +
        'Check that its directory exists and is writable, or choose another --data-dir.',
      { cause: err },
    );
  }
}
