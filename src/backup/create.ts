// Writes a backup archive from a store snapshot: each table to its own compressed file (counted and
// hashed as it is written), optionally the artifact directories of the versions in the snapshot,
// then the manifest, all packed into one tar file. The archive appears under its name only when
// complete (written as NAME.partial and renamed), so a crash never leaves a half backup that looks whole.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { create as createTar } from 'tar';
import {
  ARTIFACTS_FILE,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupManifest,
  MANIFEST_FILE,
  type TableEntry,
  tableFile,
} from './manifest.ts';
import type { StoreSnapshot } from './snapshot.ts';
import { writeTableFile } from './table-file.ts';
import { BACKUP_TABLES } from './tables.ts';

export interface BackupProgress {
  /** The table being written, or 'artifacts', or 'archive' while packing. */
  step: string;
  rows: number;
  /** Tables finished so far, of `tables`. */
  done: number;
  tables: number;
}

export interface CreateBackupOptions {
  snapshot: StoreSnapshot;
  /** The archive to write; its directory is created when missing. */
  file: string;
  gantryVersion: string;
  /** Include the artifact directories (versions of kind dir) found under this data dir. */
  artifactsFrom?: string;
  onProgress?: (p: BackupProgress) => void;
  now?: () => Date;
}

export interface BackupResult {
  file: string;
  bytes: number;
  sha256: string;
  manifest: BackupManifest;
}

export async function createBackup(opts: CreateBackupOptions): Promise<BackupResult> {
  const dir = path.dirname(path.resolve(opts.file));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stage = await mkdtemp(path.join(dir, '.backup-'));
  const partial = `${opts.file}.partial`;
  const progress = opts.onProgress ?? (() => {});
  try {
    const createdAt = (opts.now?.() ?? new Date()).toISOString();
    const migrations = await opts.snapshot.migrations();
    const migration = migrations.at(-1);
    if (!migration) throw new Error('the store has no schema yet (no migration applied): nothing to back up');
    await mkdir(path.join(stage, 'tables'));
    const tables: TableEntry[] = [];
    const seen = { keyIds: new Set<string>(), artifactDirs: [] as string[], auditHead: null as AuditHead };
    const existing = new Set(await opts.snapshot.tables());
    const present = BACKUP_TABLES.filter((t) => existing.has(t));
    for (const [i, name] of present.entries()) {
      const file = tableFile(name);
      const written = await writeTableFile(
        path.join(stage, file),
        name,
        observe(name, opts.snapshot.rows(name), seen),
        (rows) => progress({ step: name, rows, done: i, tables: present.length }),
      );
      tables.push({ name, file, ...written });
    }
    // The snapshot ends here: artifact directories are immutable once their version row exists.
    await opts.snapshot.close();
    const artifacts = opts.artifactsFrom
      ? await packArtifacts(opts.artifactsFrom, seen.artifactDirs, path.join(stage, ARTIFACTS_FILE))
      : undefined;
    if (artifacts)
      progress({ step: 'artifacts', rows: artifacts.versions, done: tables.length, tables: tables.length });
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      gantryVersion: opts.gantryVersion,
      createdAt,
      store: opts.snapshot.dialect,
      migration,
      tables,
      ...(artifacts ? { artifacts } : {}),
      masterKeyIds: [...seen.keyIds].sort(),
      auditHead: seen.auditHead,
    };
    await writeFile(path.join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: 0o600,
    });
    progress({ step: 'archive', rows: 0, done: tables.length, tables: tables.length });
    // The manifest first, so a reader knows what to expect before the data.
    await createTar({ file: partial, cwd: stage, portable: true }, [
      MANIFEST_FILE,
      ...tables.map((t) => t.file),
      ...(artifacts ? [ARTIFACTS_FILE] : []),
    ]);
    await chmod(partial, 0o600);
    await rename(partial, opts.file);
    const { size } = await stat(opts.file);
    return { file: opts.file, bytes: size, sha256: await sha256Of(opts.file), manifest };
  } finally {
    await opts.snapshot.close().catch(() => {});
    await rm(stage, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}

type AuditHead = { seq: number; hash: string } | null;

/** Passes the rows on, noting the master key ids, the artifact directories and the audit log's head. */
async function* observe(
  table: string,
  chunks: AsyncIterable<Array<Record<string, unknown>>>,
  seen: { keyIds: Set<string>; artifactDirs: string[]; auditHead: AuditHead },
): AsyncGenerator<Array<Record<string, unknown>>> {
  for await (const chunk of chunks) {
    for (const row of chunk) {
      if (table === 'secrets') seen.keyIds.add(String(row.key_id));
      else if (table === 'versions' && row.artifact_kind === 'dir')
        seen.artifactDirs.push(String(row.artifact_ref));
      else if (table === 'audit_log' && Number(row.seq) > (seen.auditHead?.seq ?? 0))
        seen.auditHead = { seq: Number(row.seq), hash: String(row.hash) };
    }
    yield chunk;
  }
}

async function packArtifacts(
  dataDir: string,
  dirs: string[],
  file: string,
): Promise<BackupManifest['artifacts']> {
  const present: string[] = [];
  for (const dir of dirs) {
    // Only paths inside the data dir's artifacts/ (what the artifact store writes).
    if (!/^artifacts\/[^/]+\/[^/]+$/.test(dir) || dir.includes('..')) continue;
    if (
      await access(path.join(dataDir, dir)).then(
        () => true,
        () => false,
      )
    )
      present.push(dir);
  }
  if (present.length === 0) return undefined;
  await createTar({ file, cwd: dataDir, gzip: true, portable: true, follow: false }, present);
  const { size } = await stat(file);
  return { file: ARTIFACTS_FILE, bytes: size, sha256: await sha256Of(file), versions: present.length };
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
