// Opens a backup archive for reading: unpacks it into a private temp dir, reads the manifest, and
// checks the size and SHA-256 of every file the manifest lists before anything reads them. Every
// way a damaged or foreign file fails ends in BACKUP_INVALID with a message naming what is wrong.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extract } from 'tar';
import { sha256Of } from './create.ts';
import { ARTIFACTS_FILE, type BackupManifest, badBackup, MANIFEST_FILE, parseManifest } from './manifest.ts';

export interface OpenedBackup {
  manifest: BackupManifest;
  /** Where the archive's files are (manifest.json, tables/…, artifacts.tar.gz). */
  dir: string;
  /** Removes the unpacked files. */
  close(): Promise<void>;
}

const ENTRY = new RegExp(
  `^(${MANIFEST_FILE}|tables/[a-z_]+\\.ndjson\\.gz|${ARTIFACTS_FILE.replaceAll('.', '\\.')})$`,
);

export async function openBackup(file: string, opts: { tempDir?: string } = {}): Promise<OpenedBackup> {
  await checkBackupFile(file);
  const dir = await mkdtemp(path.join(opts.tempDir ?? tmpdir(), 'gantry-restore-'));
  try {
    try {
      await extract({ file, cwd: dir, strict: true, filter: (p) => ENTRY.test(p) });
    } catch (err) {
      throw badBackup(
        `${file} is not a readable backup archive (${(err as Error).message}): it is damaged or truncated`,
      );
    }
    const text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8').catch(() => {
      throw badBackup(`${file} has no ${MANIFEST_FILE}: it is damaged, or not a Gantry backup`);
    });
    const manifest = parseManifest(text, file);
    for (const entry of [...manifest.tables, ...(manifest.artifacts ? [manifest.artifacts] : [])])
      await checkEntry(dir, file, entry);
    return { manifest, dir, close: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Throws BACKUP_INVALID unless `file` is a readable regular file. */
export async function checkBackupFile(file: string): Promise<void> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw badBackup(
      `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
      'Check the path.',
    );
  });
  if (!st.isFile()) throw badBackup(`${file} is not a file`, 'Give the path of a backup archive.');
}

async function checkEntry(dir: string, archive: string, e: { file: string; bytes: number; sha256: string }) {
  const at = path.join(dir, e.file);
  const size = await stat(at).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined)
    throw badBackup(
      `${archive}: ${e.file} is listed in the manifest but missing: the archive is damaged or truncated`,
    );
  if (size !== e.bytes)
    throw badBackup(
      `${archive}: ${e.file} has ${size} bytes where the manifest says ${e.bytes}: the archive is damaged`,
    );
  const sha256 = await sha256Of(at);
  if (sha256 !== e.sha256)
    throw badBackup(
      `${archive}: the checksum of ${e.file} does not match the manifest (sha256 ${sha256.slice(0, 12)}…, expected ${e.sha256.slice(0, 12)}…): the archive is damaged`,
    );
}
