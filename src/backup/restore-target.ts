// `gantry backup restore` into a data dir: the backup is loaded into gantry.db.restoring beside the
// store, checked (row counts, audit chain), and only then renamed over gantry.db, so a restore that
// fails leaves the data dir as it was. A data dir whose store holds anything is refused unless
// forced. Artifact directories in the backup are unpacked under the data dir's artifacts/.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { extract } from 'tar';
import { GantryError } from '../lib/errors.ts';
import { KEY_FILE, MASTER_KEY_ENV, masterKeyId, parseMasterKey, readKeyFile } from '../secrets/master-key.ts';
import { openSqliteDatabase } from '../store/sqlite/open.ts';
import { openBackup } from './archive.ts';
import { ARTIFACTS_FILE, type BackupManifest } from './manifest.ts';
import { type RestoreProgress, type RestoreReport, restoreInto, storeIsEmpty } from './restore.ts';
import { auditBroken } from './verify.ts';

export const STORE_FILE = 'gantry.db';

export interface RestoreOptions {
  file: string;
  dataDir: string;
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
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
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
    const artifactVersions = opened.manifest.artifacts
      ? await unpackArtifacts(
          path.join(opened.dir, ARTIFACTS_FILE),
          dataDir,
          opened.manifest.artifacts.versions,
        )
      : 0;
    return {
      file: opts.file,
      store: target,
      manifest: opened.manifest,
      artifactVersions,
      masterKey: await masterKeyState(opened.manifest.masterKeyIds, dataDir, opts.env ?? process.env),
      ...report,
    };
  } finally {
    await removeDatabase(restoring);
    await opened.close();
  }
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
