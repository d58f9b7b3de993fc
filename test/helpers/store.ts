// Helpers for the store's tests: a temporary directory and the stores a test opens (both gone after
// it), a NewRelease builder, and raw reads of a database file.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach } from 'vitest';
import { type NewRelease, openStore, type Store } from '../../src/store/index.ts';

export interface StoreFixture {
  /** The current test's temporary directory, removed after the test. */
  dir(): string;
  /** Opens a SQLite store (in memory unless a file is named); closed after the test. */
  open(file?: string): Promise<Store>;
}

/** Registers hooks that make a temporary directory before each test and, after it, close the stores
 * opened through `open` and remove the directory. Call at the top level of a test file. */
export function useStoreFixture(): StoreFixture {
  let dir: string | undefined;
  const opened: Store[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-store-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  return {
    dir() {
      if (dir === undefined) throw new Error('no temporary directory outside a test');
      return dir;
    },
    async open(file = ':memory:') {
      const store = await openStore({ kind: 'sqlite', path: file });
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
