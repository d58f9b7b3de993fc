// Helpers for the store's tests: a temporary directory and the stores a test opens (both gone after
// it), a NewRelease builder, and raw reads of a database file.
//
// The store contract suite: the same test files run once per store kind (vitest.config.ts has a
// project per kind, which sets GANTRY_TEST_STORE). On PostgreSQL each store a test opens is a
// database of the run's shared cluster (helpers/postgres.ts); a test that reads SQLite's file
// itself runs on SQLite only (`itOnSqlite`).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, it } from 'vitest';
import type { Database } from '../../src/store/database.ts';
import { type NewRelease, openStore, type Store, type StoreOptions } from '../../src/store/index.ts';
import { openPostgresDatabase } from '../../src/store/postgres/open.ts';
import { openSqliteDatabase } from '../../src/store/sqlite/open.ts';
import { freshPostgresDatabase, requirePostgres } from './postgres.ts';

export type StoreKind = 'sqlite' | 'postgresql';

/** The store kind this run of the contract suite tests: $GANTRY_TEST_STORE, else SQLite. */
export const storeKind: StoreKind = process.env.GANTRY_TEST_STORE === 'postgresql' ? 'postgresql' : 'sqlite';

/** PostgreSQL is the kind under test and missing here (locally only; under CI=true that throws). */
const storeUnavailable = storeKind === 'postgresql' && requirePostgres() === 'skip';

/**
 * `it`, on SQLite only: tests about SQLite's own file or pragmas, or about what only one server on
 * a store may assume. On PostgreSQL they are not defined at all (not skipped: they do not apply).
 */
export const itOnSqlite: typeof it =
  storeKind === 'sqlite' ? it : (((..._args: unknown[]) => {}) as unknown as typeof it);

/** `describe`, on SQLite only (a suite of `itOnSqlite` tests alone would be empty on PostgreSQL). */
export const describeOnSqlite: typeof describe =
  storeKind === 'sqlite' ? describe : (((..._args: unknown[]) => {}) as unknown as typeof describe);

export interface StoreFixture {
  /** The current test's temporary directory, removed after the test. */
  dir(): string;
  /**
   * Opens a store of the kind under test, closed after the test. SQLite: in memory unless a file is
   * named. PostgreSQL: a fresh database, or for a named file the database this test named so
   * before (so a test can open one store twice, as two servers or a restart would).
   */
  open(file?: string): Promise<Store>;
  /** What `open(file)` opens, for a child process or a raw connection to open it too. */
  storeOptions(file: string): Promise<StoreOptions>;
  /** A bare Kysely on the database behind `file` with no migration applied; closed after the test. */
  database(file: string): Promise<Kysely<Database>>;
  /**
   * Runs SQL on the database behind `file` with a separate raw connection, as another process
   * would; `?` marks the parameters on both kinds.
   */
  query<T = Record<string, unknown>>(file: string, text: string, params?: unknown[]): Promise<T[]>;
}

/** Registers hooks that make a temporary directory before each test and, after it, close the stores
 * opened through `open` and remove the directory. Call at the top level of a test file. */
export function useStoreFixture(): StoreFixture {
  let dir: string | undefined;
  const closers: Array<() => Promise<void>> = [];
  const databases = new Map<string, Promise<string>>();

  beforeEach(async (ctx) => {
    if (storeUnavailable) ctx.skip('PostgreSQL is not installed');
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-store-'));
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    databases.clear();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function storeOptions(file: string): Promise<StoreOptions> {
    if (storeKind === 'sqlite') return { kind: 'sqlite', path: file };
    let url = file === ':memory:' ? undefined : databases.get(file);
    if (url === undefined) {
      url = freshPostgresDatabase();
      if (file !== ':memory:') databases.set(file, url);
    }
    return { kind: 'postgresql', url: await url };
  }

  return {
    dir() {
      if (dir === undefined) throw new Error('no temporary directory outside a test');
      return dir;
    },
    storeOptions,
    async open(file = ':memory:') {
      const store = await openStore(await storeOptions(file));
      closers.push(() => store.close());
      return store;
    },
    async database(file) {
      const opts = await storeOptions(file);
      const db =
        opts.kind === 'sqlite' ? await openSqliteDatabase(opts.path) : await openPostgresDatabase(opts.url);
      closers.push(() => db.destroy());
      return db;
    },
    async query<T>(file: string, text: string, params: unknown[] = []): Promise<T[]> {
      const opts = await storeOptions(file);
      if (opts.kind === 'sqlite') {
        return readRaw(opts.path, (db) => {
          const stmt = db.prepare(text);
          if (stmt.columns().length === 0) {
            stmt.run(...(params as SQLInputValue[]));
            return [];
          }
          return stmt.all(...(params as SQLInputValue[])) as T[];
        });
      }
      const client = new pg.Client({ connectionString: opts.url });
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
