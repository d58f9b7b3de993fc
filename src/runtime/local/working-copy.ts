// Each instance runs in its own copy of the version's artifact, so a relative path the service
// writes (a cache, an upload, a SQLite file) belongs to that instance alone: staging and production
// of one version no longer write the same files, and the pristine artifact stays as uploaded.
//
// Why a copy and not hard links: hard links share content, so a service that rewrites a file in
// place (open with O_TRUNC or r+, as SQLite and most log libraries do) would change the artifact and
// every other instance's view of it. `fs.cp` with COPYFILE_FICLONE makes reflinks (shared blocks,
// copy-on-write) where the filesystem supports them (Btrfs, XFS, bcachefs, APFS) and falls back to
// a plain copy elsewhere: cheap where it can be, and always private.
import { constants } from 'node:fs';
import { chmod, cp, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Owner-only: instances may hold secrets in files, and other local users have no business there. */
export const PRIVATE_DIR_MODE = 0o700;

/** The working copy's place inside an instance's directory. */
export function workingCopyPath(instanceDir: string): string {
  return join(instanceDir, 'work');
}

/** Creates a directory (and its parents) and makes the last one owner-only, even if it existed. */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

/**
 * Copies `artifactDir` to `<instanceDir>/work` (reflinks where possible) and returns that path.
 * An existing copy is replaced: a start always begins from the artifact as uploaded.
 */
export async function makeWorkingCopy(artifactDir: string, instanceDir: string): Promise<string> {
  const source = await stat(artifactDir).catch(() => undefined);
  if (!source?.isDirectory()) {
    throw new Error(
      `artifact directory ${artifactDir} does not exist; check that the version's artifact is unpacked (upload it again)`,
    );
  }
  const work = workingCopyPath(instanceDir);
  await rm(work, { recursive: true, force: true });
  await cp(artifactDir, work, {
    recursive: true,
    mode: constants.COPYFILE_FICLONE,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    errorOnExist: true,
    force: false,
  });
  await chmod(work, PRIVATE_DIR_MODE);
  return work;
}
