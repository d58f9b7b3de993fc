// A consistent, read-only view of a store for the length of a backup: every table is read as of
// one instant, so a release and its events, or an audit entry and its predecessor, are either both
// in the backup or both absent. Each dialect opens its own connection for it, never the server's,
// so a long read does not hold up the server's writes.
import { DatabaseSync } from 'node:sqlite';

export interface StoreSnapshot {
  readonly dialect: 'sqlite' | 'postgres';
  /** Names of the schema migrations applied, in order. */
  migrations(): Promise<string[]>;
  /** The table's rows in chunks, as column → value objects. */
  rows(table: string): AsyncIterable<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Rows handed over at a time: large enough to keep the writer busy, small enough to bound memory. */
export const SNAPSHOT_CHUNK_ROWS = 2000;
const MIGRATION_TABLE = 'kysely_migration';

/**
 * SQLite: a read transaction on a connection of its own. In WAL mode it sees the database as of
 * its first read while the server keeps writing (a checkpoint waits for it to end).
 */
export async function openSqliteSnapshot(path: string): Promise<StoreSnapshot> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    db.exec('begin');
    // The first read fixes the snapshot.
    db.prepare(`select name from ${MIGRATION_TABLE} limit 1`).all();
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    dialect: 'sqlite',
    migrations: async () =>
      db
        .prepare(`select name from ${MIGRATION_TABLE} order by name`)
        .all()
        .map((r) => String(r.name)),
    async *rows(table) {
      let chunk: Array<Record<string, unknown>> = [];
      for (const row of db.prepare(`select * from "${table}"`).iterate()) {
        chunk.push(row as Record<string, unknown>);
        if (chunk.length >= SNAPSHOT_CHUNK_ROWS) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    },
    close: async () => {
      if (db.isTransaction) db.exec('rollback');
      db.close();
    },
  };
}
