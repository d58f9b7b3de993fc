// A consistent, read-only view of a store for the length of a backup: every table is read as of
// one instant, so a release and its events, or an audit entry and its predecessor, are either both
// in the backup or both absent. Each dialect opens its own connection for it, never the server's,
// so a long read does not hold up the server's writes.
import { DatabaseSync } from 'node:sqlite';
import type pgTypes from 'pg';
import { requireOnUse } from '../lib/require-on-use.ts';
import type { StoreOptions } from '../store/index.ts';

export interface StoreSnapshot {
  readonly dialect: 'sqlite' | 'postgres';
  /** Names of the schema migrations applied, in order. */
  migrations(): Promise<string[]>;
  /** Names of the tables the store has (a store of an older schema lacks the newer ones). */
  tables(): Promise<string[]>;
  /** The table's rows in chunks, as column → value objects. */
  rows(table: string): AsyncIterable<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Rows handed over at a time: large enough to keep the writer busy, small enough to bound memory. */
export const SNAPSHOT_CHUNK_ROWS = 2000;
const MIGRATION_TABLE = 'kysely_migration';
/** PostgreSQL's bigint: read as a number (ids and sizes stay far below 2^53), as SQLite hands them. */
const INT8_OID = 20;

export function openSnapshot(store: StoreOptions): Promise<StoreSnapshot> {
  return store.kind === 'sqlite' ? openSqliteSnapshot(store.path) : openPostgresSnapshot(store.url);
}

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
    tables: async () =>
      db
        .prepare("select name from sqlite_master where type = 'table'")
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
      if (!db.isOpen) return;
      if (db.isTransaction) db.exec('rollback');
      db.close();
    },
  };
}

/**
 * PostgreSQL: a REPEATABLE READ, READ ONLY transaction on a connection of its own: every table is
 * read as of its first query, and each table is walked with a cursor, a chunk at a time.
 */
export async function openPostgresSnapshot(url: string): Promise<StoreSnapshot> {
  const pg = requireOnUse<typeof pgTypes>('pg');
  const client = new pg.Client({
    connectionString: url,
    application_name: 'gantry backup',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    await client.query(`select name from ${MIGRATION_TABLE} limit 1`);
  } catch (err) {
    await client.end();
    throw err;
  }
  let cursors = 0;
  let closed = false;
  return {
    dialect: 'postgres',
    migrations: async () =>
      (await client.query<{ name: string }>(`select name from ${MIGRATION_TABLE} order by name`)).rows.map(
        (r) => r.name,
      ),
    tables: async () =>
      (
        await client.query<{ table_name: string }>(
          'select table_name from information_schema.tables where table_schema = current_schema()',
        )
      ).rows.map((r) => r.table_name),
    async *rows(table) {
      const cursor = `backup_${++cursors}`;
      // Generated columns (log_lines.search_vector) are derived, and cannot be inserted at restore.
      const { rows: stored } = await client.query<{ column_name: string }>(
        `select column_name from information_schema.columns
          where table_schema = current_schema() and table_name = $1 and is_generated = 'NEVER'
          order by ordinal_position`,
        [table],
      );
      const columns = stored.map((c) => `"${c.column_name}"`).join(', ');
      await client.query(`declare ${cursor} no scroll cursor for select ${columns} from "${table}"`);
      try {
        for (;;) {
          const { rows } = await client.query(`fetch ${SNAPSHOT_CHUNK_ROWS} from ${cursor}`);
          if (rows.length === 0) return;
          yield rows as Array<Record<string, unknown>>;
        }
      } finally {
        await client.query(`close ${cursor}`);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.query('rollback').catch(() => {});
      await client.end();
    },
  };
}
