// Where a server keeps its store: a PostgreSQL URL (`--store`, or GANTRY_STORE), else the SQLite
// file gantry.db in the data directory.
import path from 'node:path';
import type { StoreOptions } from './index.ts';
import { redactUrl } from './postgres/open.ts';

export const SQLITE_FILE = 'gantry.db';

/** True for the URLs `--store` accepts: postgresql://… or postgres://… */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\/./.test(value);
}

export function storeOptionsFor(store: string | undefined, dataDir: string): StoreOptions {
  if (store === undefined) return { kind: 'sqlite', path: path.join(dataDir, SQLITE_FILE) };
  if (!isPostgresUrl(store)) throw new Error(`not a postgresql:// URL: ${redactUrl(store)}`);
  return { kind: 'postgresql', url: store };
}

/** How the store is named in messages and logs: its file, or its URL without the password. */
export function describeStore(opts: StoreOptions): string {
  return opts.kind === 'sqlite' ? opts.path : redactUrl(opts.url);
}
