// The data directory is private to the server's user: it holds the database (secrets' ciphertext,
// token hashes, logs), the master key, the admin token, instances' raw output and the artifacts.
// It is created 0700, and at each start a directory left with looser modes (by an older Gantry, a
// copy, a restored backup) is tightened: group and others lose every bit, on the data dir and on
// everything under it but the inside of artifact directories, which a private parent already
// closes (and which may hold a hundred thousand entries). The master key files are left as they
// are: one found readable is refused with its own message (src/secrets/master-key.ts), since a key
// others could read must be rotated, not quietly hidden again.
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { KEY_FILE } from '../secrets/index.ts';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Bits that let anyone but the owner in. */
const OTHERS = 0o077;
/** Below `artifacts/`, the levels tightened: `<service>/` and `<service>/<version>/`, not inside. */
const ARTIFACT_DEPTH = 2;

/** Creates the data dir (0700) or tightens an existing one; returns the paths it tightened. */
export async function preparePrivateDataDir(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tightened: string[] = [];
  const tighten = async (p: string): Promise<boolean> => {
    const st = await lstat(p).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return false;
    if (st.isFile() && dirname(p) === dir && basename(p).startsWith(KEY_FILE)) return false;
    if ((st.mode & OTHERS) !== 0) {
      await chmod(p, st.mode & 0o7777 & ~OTHERS);
      tightened.push(relative(dir, p) || '.');
    }
    return st.isDirectory();
  };
  const walk = async (p: string): Promise<void> => {
    if (!(await tighten(p))) return;
    const rel = relative(dir, p).split(sep);
    if (rel[0] === 'artifacts' && rel.length > ARTIFACT_DEPTH) return;
    for (const name of await readdir(p).catch(() => [] as string[])) await walk(join(p, name));
  };
  await walk(dir);
  return tightened;
}
