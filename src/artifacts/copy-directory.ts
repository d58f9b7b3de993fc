// Copies a local directory into an artifact directory with the same checks as a tarball import.
// Its sha256 is a digest of the tree (sorted paths, kinds, modes, sizes, content hashes and link
// targets), since there are no uploaded bytes to hash.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactEntry, EntryGuard, EntryKind } from './entry-guard.ts';
import type { FilledArtifact } from './extract-tarball.ts';
import { isSkippedPath } from './skip.ts';

export async function copyDirectory(
  srcDir: string,
  destDir: string,
  guard: EntryGuard,
): Promise<FilledArtifact> {
  const tree = createHash('sha256');
  let sizeBytes = 0;

  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(join(srcDir, rel))).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (isSkippedPath(childRel)) continue;
      const src = join(srcDir, childRel);
      const dest = join(destDir, childRel);
      const st = await lstat(src);
      const kind = kindOf(st);
      const entry: ArtifactEntry = { path: childRel, kind, typeName: typeName(st), size: st.size };
      if (kind === 'symlink') entry.linkpath = await readlink(src);
      guard.admit(entry);
      // The digest keeps the modes as they were (so it does not change with this rule), the copy
      // is private to the server's user like everything under the data dir.
      const mode = st.mode & 0o755;
      if (kind === 'directory') {
        await mkdir(dest, { mode: 0o700 });
        tree.update(`d ${(mode | 0o700).toString(8)} ${childRel}\n`);
        await visit(childRel);
      } else if (kind === 'symlink') {
        await symlink(entry.linkpath ?? '', dest);
        tree.update(`l ${childRel} -> ${entry.linkpath}\n`);
      } else {
        const digest = await copyFile(src, dest, mode & 0o700);
        sizeBytes += st.size;
        tree.update(`f ${mode.toString(8)} ${childRel} ${st.size} ${digest}\n`);
      }
    }
  };

  await visit('');
  return { sha256: tree.digest('hex'), sizeBytes, files: guard.files };
}

async function copyFile(src: string, dest: string, mode: number): Promise<string> {
  const h = createHash('sha256');
  await pipeline(
    createReadStream(src),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) {
        h.update(c);
        yield c;
      }
    },
    createWriteStream(dest, { mode, flags: 'wx' }),
  );
  return h.digest('hex');
}

// Hard links in a source directory are copied as independent files, so they count as files.
function kindOf(st: Stats): EntryKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special';
}

function typeName(st: Stats): string {
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return kindOf(st);
}
