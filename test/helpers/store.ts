// Helpers for the store's tests: a temporary directory and the stores a test opens (both gone after
// it), a NewRelease builder, and raw reads of a database file.
//
// The store contract suite: the same test files run once per store kind (vitest.config.ts has a
// project per kind, which sets GANTRY_TEST_STORE). On PostgreSQL each store a test opens is a
// database of the run's shared cluster (helpers/postgres.ts); a test that reads SQLite's file
// itself runs on SQLite only (`sqliteOnly`).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { type NewRelease, openStore, type Store } from '../../src/store/index.ts';
import { freshPostgresDatabase, requirePostgres } from './postgres.ts';

export type StoreKind = 'sqlite' | 'postgresql';

/** The store kind this run of the contract suite tests: $GANTRY_TEST_STORE, else SQLite. */
export const storeKind: StoreKind = process.env.GANTRY_TEST_STORE === 'postgresql' ? 'postgresql' : 'sqlite';

/** PostgreSQL is the kind under test and missing here (locally only; under CI=true that throws). */
const storeUnavailable = storeKind === 'postgresql' && requirePostgres() === 'skip';

/** True on PostgreSQL: for `it.skipIf(sqliteOnly)` on tests about SQLite's own file or pragmas. */
export const sqliteOnly = storeKind !== 'sqlite';

export interface StoreFixture {
  /** The current test's temporary directory, removed after the test. */
  dir(): string;
  /**
   * Opens a store of the kind under test, closed after the test. SQLite: in memory unless a file is
   * named. PostgreSQL: a fresh database, or for a named file the database this test opened under
   * that name before (so a test can open one store twice, as two servers or a restart would).
   */
  open(file?: string): Promise<Store>;
  /**
   * Runs SQL on the database behind `file` (opened through `open` in this test) with a separate raw
   * connection, as another process would; `?` marks the parameters on both kinds.
   */
  query<T = Record<string, unknown>>(file: string, text: string, params?: unknown[]): Promise<T[]>;
}

/** Registers hooks that make a temporary directory before each test and, after it, close the stores
 * opened through `open` and remove the directory. Call at the top level of a test file. */
export function useStoreFixture(): StoreFixture {
  let dir: string | undefined;
  const opened: Store[] = [];
  const databases = new Map<string, Promise<string>>();

  beforeEach(async (ctx) => {
    if (storeUnavailable) ctx.skip('PostgreSQL is not installed');
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-store-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    databases.clear();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  return {
    dir() {
      if (dir === undefined) throw new Error('no temporary directory outside a test');
      return dir;
    },
    async query<T>(file: string, text: string, params: unknown[] = []): Promise<T[]> {
      if (storeKind === 'sqlite') {
        return readRaw(file, (db) => {
          const stmt = db.prepare(text);
          if (stmt.columns().length === 0) {
            stmt.run(...(params as SQLInputValue[]));
            return [];
          }
          return stmt.all(...(params as SQLInputValue[])) as T[];
        });
      }
      const url = databases.get(file);
      if (url === undefined) throw new Error(`no database was opened as ${file} in this test`);
      const client = new pg.Client({ connectionString: await url });
      await client.connect();
      try {
        let n = 0;
        const { rows } = await client.query(
          text.replaceAll('?', () => `$${++n}`),
          params,
        );
        return rows as T[];
      } finally {
        await client.end();
      }
    },
    async open(file = ':memory:') {
      let store: Store;
      if (storeKind === 'sqlite') {
        store = await openStore({ kind: 'sqlite', path: file });
      } else {
        let url = file === ':memory:' ? undefined : databases.get(file);
        if (url === undefined) {
          url = freshPostgresDatabase();
          if (file !== ':memory:') databases.set(file, url);
        }
        store = await openStore({ kind: 'postgresql', url: await url });
      }
      opened.push(store);
      return store;
    },
  };
}

/** A deploy of shop v1 to staging, with `overrides` applied. */
export function release(id: string, overrides: Partial<NewRelease> = {}): NewRelease {
  return {
    id,
    service: 'shop',
    environment: 'staging',
    kind: 'deploy',
    version: 'v1',
    previousVersion: null,
    strategy: 'rolling',
    ref: 'refs/heads/main',
    createdBy: 'ci',
    plan: { newInstanceIds: [], oldInstanceIds: [] },
    ...overrides,
  };
}

/** Reads the database file with a separate raw connection, as another process would. */
export function readRaw<T>(file: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
