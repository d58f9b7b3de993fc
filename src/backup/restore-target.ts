// `gantry backup restore`, into a data dir's SQLite store or a PostgreSQL database. SQLite: the
// backup is loaded into gantry.db.restoring beside the store, checked (row counts, audit chain), and
// only then renamed over gantry.db, so a restore that fails leaves the data dir as it was.
// PostgreSQL: the rows go in one transaction, after which a failed check leaves the schema and no
// rows, which a retry accepts as empty. A store that holds anything is refused unless forced.
// Artifact directories in the backup are unpacked under the data dir's artifacts/.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { extract } from 'tar';
import { GantryError } from '../lib/errors.ts';
import { KEY_FILE, MASTER_KEY_ENV, masterKeyId, parseMasterKey, readKeyFile } from '../secrets/master-key.ts';
import type { Database } from '../store/database.ts';
import { openPostgresDatabase, redactUrl } from '../store/postgres/open.ts';
import { openSqliteDatabase } from '../store/sqlite/open.ts';
import { checkBackupFile, type OpenedBackup, openBackup } from './archive.ts';
import { ARTIFACTS_FILE, type BackupManifest } from './manifest.ts';
import { type RestoreProgress, type RestoreReport, restoreInto, storeIsEmpty } from './restore.ts';
import { auditBroken } from './verify.ts';

export const STORE_FILE = 'gantry.db';

export interface RestoreOptions {
  file: string;
  /** The data dir: its gantry.db (without `store`), its artifacts/ and master key. */
  dataDir: string;
  /** A postgresql:// URL to restore into instead of the data dir's SQLite file. */
  store?: string;
  /** Replace a store that holds data. */
  force?: boolean;
  env?: Record<string, string | undefined>;
  onProgress?: (p: RestoreProgress) => void;
}

export interface RestoredBackup extends RestoreReport {
  file: string;
  store: string;
  manifest: BackupManifest;
  /** Artifact directories unpacked (0 when the backup has none). */
  artifactVersions: number;
  /**
   * Whether the master key the secrets need is at hand: 'none-needed', 'present' (the key file or
   * GANTRY_MASTER_KEY has it), or 'missing' (copy the key file from where you keep it).
   */
  masterKey: 'none-needed' | 'present' | 'missing';
}

export async function restoreToDataDir(opts: RestoreOptions): Promise<RestoredBackup> {
  const dataDir = path.resolve(opts.dataDir);
  await checkBackupFile(opts.file);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (opts.store !== undefined) return restoreToPostgres({ ...opts, store: opts.store, dataDir });
  const target = path.join(dataDir, STORE_FILE);
  if (!opts.force && !(await sqliteStoreIsEmpty(target))) {
    throw new GantryError(
      'STORE_NOT_EMPTY',
      `the data dir ${dataDir} already holds a store with data (${target}); restoring would replace it`,
      { hint: 'Stop the server and restore into an empty data dir, or pass --force to replace this store.' },
    );
  }
  const opened = await openBackup(opts.file, { tempDir: dataDir });
  const restoring = `${target}.restoring`;
  try {
    await removeDatabase(restoring);
    const db = await openSqliteDatabase(restoring);
    let report: RestoreReport;
    try {
      report = await restoreInto(db, opened, opts.onProgress);
    } finally {
      await db.destroy();
    }
    if (!report.audit.ok) throw auditBroken(opts.file, report);
    await removeDatabase(target);
    await rename(restoring, target);
    return await finish(opts, dataDir, target, opened, report);
  } finally {
    await removeDatabase(restoring);
    await opened.close();
  }
}

async function restoreToPostgres(opts: RestoreOptions & { store: string }): Promise<RestoredBackup> {
  const db = await openPostgresDatabase(opts.store);
  try {
    if (!(await storeIsEmpty(db))) {
      if (!opts.force) {
        throw new GantryError(
          'STORE_NOT_EMPTY',
          `the database ${redactUrl(opts.store)} already holds a Gantry store with data; restoring would replace it`,
          {
            hint: 'Stop the servers on it and restore into an empty database, or pass --force to replace it.',
          },
        );
      }
      await dropSchema(db, opts.store);
    }
    const opened = await openBackup(opts.file, { tempDir: opts.dataDir });
    try {
      const report = await restoreInto(db, opened, opts.onProgress);
      if (!report.audit.ok) throw auditBroken(opts.file, report);
      return await finish(opts, opts.dataDir, redactUrl(opts.store), opened, report);
    } finally {
      await opened.close();
    }
  } finally {
    await db.destroy();
  }
}

/** --force on PostgreSQL: the public schema and everything in it (tables, triggers, functions) go. */
async function dropSchema(db: Kysely<Database>, url: string): Promise<void> {
  try {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
  } catch (err) {
    throw new GantryError(
      'STORE_NOT_EMPTY',
      `could not empty ${redactUrl(url)} for --force (${(err as Error).message})`,
      {
        hint: 'Drop and create the database (dropdb, createdb), then restore into it without --force.',
      },
    );
  }
}

async function finish(
  opts: RestoreOptions,
  dataDir: string,
  store: string,
  opened: OpenedBackup,
  report: RestoreReport,
): Promise<RestoredBackup> {
  const artifactVersions = opened.manifest.artifacts
    ? await unpackArtifacts(
        path.join(opened.dir, ARTIFACTS_FILE),
        dataDir,
        opened.manifest.artifacts.versions,
      )
    : 0;
  return {
    file: opts.file,
    store,
    manifest: opened.manifest,
    artifactVersions,
    masterKey: await masterKeyState(opened.manifest.masterKeyIds, dataDir, opts.env ?? process.env),
    ...report,
  };
}

async function sqliteStoreIsEmpty(file: string): Promise<boolean> {
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) return true;
  const db = await openSqliteDatabase(file);
  try {
    return await storeIsEmpty(db);
  } finally {
    await db.destroy();
  }
}

async function removeDatabase(file: string): Promise<void> {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) await rm(f, { force: true });
}

async function unpackArtifacts(archive: string, dataDir: string, versions: number): Promise<number> {
  await extract({ file: archive, cwd: dataDir, strict: true, filter: (p) => p.startsWith('artifacts/') });
  return versions;
}

async function masterKeyState(
  needed: string[],
  dataDir: string,
  env: Record<string, string | undefined>,
): Promise<RestoredBackup['masterKey']> {
  if (needed.length === 0) return 'none-needed';
  const fromEnv = env[MASTER_KEY_ENV];
  const key = fromEnv
    ? parseMasterKey(fromEnv, MASTER_KEY_ENV)
    : await readKeyFile(path.join(dataDir, KEY_FILE)).catch(() => undefined);
  return key && needed.includes(masterKeyId(key)) ? 'present' : 'missing';
}
