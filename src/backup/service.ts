// The server's backups: written one at a time into the backups directory under names that sort by
// time, listed newest first, looked up by name for download, and pruned by age.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { GantryError } from '../lib/errors.ts';
import { type BackupProgress, type BackupResult, createBackup } from './create.ts';
import type { StoreSnapshot } from './snapshot.ts';

/** gantry-backup-20261206T231500123Z.tar: UTC time of the snapshot to the millisecond. */
const BACKUP_NAME = /^gantry-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.tar$/;

/** Work files of a backup (create.ts) or a verification (archive.ts, verify.ts) cut off by a crash. */
const LEFTOVER = /^(\.backup-.+|gantry-restore-.+|gantry-verify-.+|gantry-backup-.+\.tar\.partial)$/;

export interface BackupFile {
  name: string;
  bytes: number;
  createdAt: string;
}

export interface CreatedBackup extends BackupResult {
  name: string;
}

export interface BackupServiceOptions {
  /** The data dir, whose artifact directories a backup may include. */
  dataDir: string;
  /** Where backups are written, read at each backup (the config may change it). */
  dir: () => string;
  /** A consistent read-only view of the server's store. */
  openSnapshot: () => Promise<StoreSnapshot>;
  gantryVersion: string;
  now?: () => Date;
}

export class BackupService {
  readonly #opts: BackupServiceOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: BackupServiceOptions) {
    this.#opts = opts;
  }

  get dir(): string {
    return this.#opts.dir();
  }

  /** Takes a backup now (after any backup already running). */
  create(o: { withArtifacts: boolean; onProgress?: (p: BackupProgress) => void }): Promise<CreatedBackup> {
    const run = this.#queue.then(async () => {
      const at = this.#opts.now?.() ?? new Date();
      const name = `gantry-backup-${at.toISOString().replace(/[-:.]/g, '')}.tar`;
      const result = await createBackup({
        snapshot: await this.#opts.openSnapshot(),
        file: path.join(this.dir, name),
        gantryVersion: this.#opts.gantryVersion,
        ...(o.withArtifacts ? { artifactsFrom: this.#opts.dataDir } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        now: () => at,
      });
      return { ...result, name };
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Newest first. */
  async list(): Promise<BackupFile[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const files: BackupFile[] = [];
    for (const name of names) {
      const createdAt = timeOfName(name);
      if (!createdAt) continue;
      const st = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (st?.isFile()) files.push({ name, bytes: st.size, createdAt });
    }
    return files.sort((a, b) => (a.name < b.name ? 1 : -1));
  }

  /** The file of a backup listed by list(); UNKNOWN_BACKUP for any other name. */
  async pathOf(name: string): Promise<string> {
    if (!timeOfName(name) || !(await this.list()).some((b) => b.name === name))
      throw new GantryError('UNKNOWN_BACKUP', `no backup named ${name} in ${this.dir}`);
    return path.join(this.dir, name);
  }

  /** Removes what an interrupted backup or verification left in the backups directory. */
  async sweepLeftovers(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (LEFTOVER.test(name)) await rm(path.join(this.dir, name), { recursive: true, force: true });
    }
  }

  /** Deletes backups taken before `before` (ms), never the newest; returns their names. */
  async prune(before: number): Promise<string[]> {
    const [, ...older] = await this.list();
    const removed: string[] = [];
    for (const b of older) {
      if (Date.parse(b.createdAt) >= before) continue;
      await rm(path.join(this.dir, b.name), { force: true });
      removed.push(b.name);
    }
    return removed;
  }
}

function timeOfName(name: string): string | undefined {
  const m = BACKUP_NAME.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`;
}
