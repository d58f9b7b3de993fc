// What both passes over an uploaded archive share: telling gzip from tar by their first bytes,
// describing a tar entry to the EntryGuard, and turning node-tar's errors into Gantry's.
import type { ReadEntry } from 'tar';
import { GantryError } from '../lib/errors.ts';
import type { ArtifactEntry, EntryKind } from './entry-guard.ts';

export type ArchiveKind = 'gzip' | 'tar';

/** Throws unless the first bytes are a gzip header or a ustar tar header. */
export function archiveKind(head: Buffer): ArchiveKind {
  if (head.length === 0) throw badArtifact('the upload is empty (0 bytes)');
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  throw badArtifact(
    `the upload is neither a .tar.gz nor a .tar archive (it starts with bytes ${head.subarray(0, 8).toString('hex')})`,
  );
}

export function entryOf(entry: ReadEntry): ArtifactEntry {
  return {
    path: entry.path,
    kind: kindOf(entry.type),
    typeName: entry.type,
    linkpath: entry.linkpath,
    size: entry.size,
  };
}

function kindOf(type: ReadEntry['type']): EntryKind {
  switch (type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    default:
      return 'special';
  }
}

/** node-tar's error as a BAD_ARTIFACT, without the server's own paths (`destDir` shown as "."). */
export function describeTarError(err: Error, destDir?: string): Error {
  if (err instanceof GantryError) return err;
  const e = err as Error & { entry?: { path?: string } };
  const message =
    destDir === undefined ? e.message : e.message.replaceAll(`${destDir}/`, '').replaceAll(destDir, '.');
  const entry = e.entry?.path;
  if (entry) return badArtifact(`artifact entry "${entry}" could not be unpacked: ${message}`);
  return badArtifact(`the archive is damaged or not a tar archive: ${message}`);
}

export function badArtifact(message: string): GantryError {
  return new GantryError('BAD_ARTIFACT', message);
}
