// The kysely Dialect for PostgreSQL through `pg`: kysely's own adapter, compiler and introspector,
// with a driver whose write transactions take one transaction-scoped advisory lock first.
//
// Why: the repositories were written for SQLite, where BEGIN IMMEDIATE gives a write transaction the
// database to itself, so "read the newest row, then insert the next" (the audit chain, event seqs,
// outbox claims) cannot interleave. Under PostgreSQL's READ COMMITTED two such transactions could.
// The lock keeps SQLite's guarantee for every server on the database; reads never wait for it.
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  PostgresDriver,
  type TransactionSettings,
} from 'kysely';
import type { Pool } from 'pg';

/** The advisory lock (two-int form: "gantry", "store writes") that write transactions serialise on. */
export const WRITE_LOCK_KEY: readonly [number, number] = [0x67616e74, 1];

class SerialWritePostgresDriver extends PostgresDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await super.beginTransaction(connection, settings);
    if (settings.accessMode === 'read only') return;
    const [space, key] = WRITE_LOCK_KEY;
    await connection.executeQuery(CompiledQuery.raw(`select pg_advisory_xact_lock(${space}, ${key})`));
  }
}

export class GantryPostgresDialect extends PostgresDialect {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    super({ pool });
    this.#pool = pool;
  }

  override createDriver(): Driver {
    return new SerialWritePostgresDriver({ pool: this.#pool });
  }
}
