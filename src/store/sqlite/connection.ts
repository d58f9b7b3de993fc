// A kysely DatabaseConnection over one node:sqlite DatabaseSync.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

const STATEMENT_CACHE_SIZE = 256;

export class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** False after SQLite rolled a transaction back by itself (e.g. on a full disk or RAISE(ROLLBACK)). */
  get inTransaction(): boolean {
    return this.#db.isTransaction;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#prepare(compiledQuery.sql);
    const params = toSqliteParameters(compiledQuery.parameters);
    // A statement that yields columns (SELECT, PRAGMA, … RETURNING) is read with all(); any other
    // runs with run(), which is the only way to learn the affected rows and the last rowid.
    if (stmt.columns().length > 0) {
      return { rows: stmt.all(...params) as R[] };
    }
    const { changes, lastInsertRowid } = stmt.run(...params);
    return {
      rows: [],
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
    };
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = 100,
  ): AsyncIterableIterator<QueryResult<R>> {
    const stmt = this.#prepare(compiledQuery.sql);
    const params = toSqliteParameters(compiledQuery.parameters);
    let chunk: R[] = [];
    for (const row of stmt.iterate(...params)) {
      chunk.push(row as R);
      if (chunk.length >= chunkSize) {
        yield { rows: chunk };
        chunk = [];
      }
    }
    if (chunk.length > 0) yield { rows: chunk };
  }

  #prepare(sql: string): StatementSync {
    const cached = this.#statements.get(sql);
    if (cached) {
      // Re-insert so the map's order is least recently used first.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const stmt = this.#db.prepare(sql);
    this.#statements.set(sql, stmt);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return stmt;
  }
}

function toSqliteParameters(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map(toSqliteValue);
}

function toSqliteValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    ArrayBuffer.isView(value)
  ) {
    return value as SQLInputValue;
  }
  throw new TypeError(`cannot bind a value of type ${typeof value} to an SQLite parameter`);
}
