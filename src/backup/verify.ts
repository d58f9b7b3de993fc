// `gantry backup verify`, offline: the archive's checksums, then a full restore into a scratch
// SQLite store in a temp dir (schema migrations, row counts against the manifest, the audit chain).
// A backup that passes is one `gantry backup restore` will load.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteDatabase } from '../store/sqlite/open.ts';
import { openBackup } from './archive.ts';
import { type BackupManifest, badBackup } from './manifest.ts';
import { type RestoreProgress, type RestoreReport, restoreInto } from './restore.ts';

export interface VerifyReport extends RestoreReport {
  file: string;
  manifest: BackupManifest;
}

/** Resolves with what was checked; throws BACKUP_INVALID naming the first problem found. */
export async function verifyBackup(
  file: string,
  opts: { tempDir?: string; onProgress?: (p: RestoreProgress) => void } = {},
): Promise<VerifyReport> {
  const opened = await openBackup(file, opts);
  const scratch = await mkdtemp(path.join(opts.tempDir ?? tmpdir(), 'gantry-verify-'));
  try {
    const db = await openSqliteDatabase(path.join(scratch, 'gantry.db'));
    try {
      const report = await restoreInto(db, opened, opts.onProgress);
      if (!report.audit.ok) throw auditBroken(file, report);
      return { file, manifest: opened.manifest, ...report };
    } finally {
      await db.destroy();
    }
  } finally {
    await opened.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

export function auditBroken(file: string, report: RestoreReport) {
  const bad = report.audit.firstBad;
  return badBackup(
    `${file}: the audit log's hash chain breaks at entry #${bad?.seq} (${bad?.reason}); ${report.audit.checked} entries before it are intact`,
    'The audit log in this backup was altered: use an older backup, and find out who changed it.',
  );
}
