// Backups of Gantry's own data: what the server (API, schedule) and the CLI (verify, restore) use.
import path from 'node:path';
import type { LoadedConfig } from '../config/types.ts';

export { BACKUP_ALARM, backupAlarmRules } from './alarm.ts';
export { type BackupProgress, type BackupResult, createBackup } from './create.ts';
export { BACKUP_FORMAT_VERSION, type BackupManifest } from './manifest.ts';
export { type RestoredBackup, restoreToDataDir } from './restore-target.ts';
export { BackupScheduler } from './schedule.ts';
export { type BackupFile, BackupService } from './service.ts';
export { openSnapshot, openSqliteSnapshot, type StoreSnapshot } from './snapshot.ts';
export { type VerifyReport, verifyBackup } from './verify.ts';

/** Where the server writes backups: backups.dir (relative to gantry.yaml), else <data-dir>/backups. */
export function backupDir(loaded: LoadedConfig, dataDir: string): string {
  const dir = loaded.config.backups?.dir;
  return dir === undefined ? path.join(dataDir, 'backups') : path.resolve(loaded.dir, dir);
}
