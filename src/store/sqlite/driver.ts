// A kysely Driver for Node's built-in node:sqlite: one DatabaseSync connection, handed out under a
// mutex so that a transaction has the connection to itself from BEGIN to COMMIT.

import { resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CompiledQuery, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely';
import { NodeSqliteConnection } from './connection.ts';
import { Mutex, useFileMutex } from './mutex.ts';

export interface NodeSqliteDriverOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** How long a writer waits for another process's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs: number;
}

export class NodeSqliteDriver implements Driver {
  readonly #options: NodeSqliteDriverOptions;
  #mutex = new Mutex();
  #disposeMutex: (() => void) | undefined;
  #db: DatabaseSync | undefined;
  #connection: NodeSqliteConnection | undefined;
  #release: (() => void) | undefined;

  constructor(options: NodeSqliteDriverOptions) {
    this.#options = options;
  }

  async init(): Promise<void> {
    const { path, busyTimeoutMs } = this.#options;
    if (!isInMemory(path)) {
      const shared = useFileMutex(resolve(path));
      this.#mutex = shared.mutex;
      this.#disposeMutex = shared.dispose;
    }
    // Opening sets journal_mode, which may wait for the file's lock: not while a store of this
    // process is inside a transaction on the same file.
    const release = await this.#mutex.lock();
    try {
      const db = new DatabaseSync(path, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
      try {
        applyPragmas(db, busyTimeoutMs);
      } catch (err) {
        db.close();
        throw err;
      }
      this.#db = db;
      this.#connection = new NodeSqliteConnection(db);
    } catch (err) {
      this.#disposeMutex?.();
      throw err;
    } finally {
      release();
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock();
    if (!this.#connection) {
      release();
      throw new Error('the store is closed; open it again with openStore()');
    }
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY when another process wrote in between, without busy_timeout helping.
    const begin = settings.accessMode === 'read only' ? 'begin deferred' : 'begin immediate';
    await connection.executeQuery(CompiledQuery.raw(begin));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Rolling back a transaction SQLite already ended would hide the error that ended it.
    if (connection instanceof NodeSqliteConnection && !connection.inTransaction) return;
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteIdentifier(name)}`));
  }

  async destroy(): Promise<void> {
    // Wait for the query or transaction in flight, then close for good.
    const release = await this.#mutex.lock();
    try {
      this.#connection = undefined;
      if (this.#db?.isOpen) this.#db.close();
      this.#db = undefined;
    } finally {
      release();
      this.#disposeMutex?.();
    }
  }
}

function applyPragmas(db: DatabaseSync, busyTimeoutMs: number): void {
  db.exec(`pragma busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.exec('pragma foreign_keys = on');
  // WAL lets readers (another gantry process, the sqlite3 shell) read while a release writes;
  // with WAL, synchronous=NORMAL keeps every commit across a process crash.
  db.exec('pragma journal_mode = wal');
  db.exec('pragma synchronous = normal');
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
