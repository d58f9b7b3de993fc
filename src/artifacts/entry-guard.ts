// Decides, entry by entry, whether an artifact may contain what it claims: paths stay inside the
// root, links resolve inside it, nothing but files, directories and links, and bounded totals.
// Shared by tarball and directory imports; a refused entry is an error, never a silent skip.
import { posix } from 'node:path';
import { GantryError } from '../lib/errors.ts';

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'special';

export interface ArtifactEntry {
  /** Path as written in the archive (or relative to the source directory). */
  path: string;
  kind: EntryKind;
  /** Human name of the type, used in messages ('FIFO', 'CharacterDevice'…). */
  typeName: string;
  /** Target of a link: relative to the link's directory (symlink) or to the root (hard link). */
  linkpath?: string;
  size: number;
}

export interface EntryLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

export class EntryGuard {
  files = 0;
  unpackedBytes = 0;
  entries = 0;
  readonly limits: Readonly<EntryLimits>;
  readonly #symlinks = new Set<string>();
  readonly #regularFiles = new Set<string>();

  constructor(limits: EntryLimits) {
    this.limits = limits;
  }

  /** Returns the entry's normalised relative path ('' for the root itself), or throws naming it. */
  admit(e: ArtifactEntry): string {
    const parts = safeParts(e.path, e.path, 'its path');
    const rel = parts.join('/');
    if (rel === '' && e.kind !== 'directory')
      refuse(e.path, 'it would replace the artifact directory itself');
    this.#refuseThroughSymlink(e.path, parts);
    this.#count(e);
    switch (e.kind) {
      case 'special':
        refuse(e.path, `it is a ${e.typeName}; only files, directories and links are allowed`);
        break;
      case 'symlink':
        this.#checkSymlink(e, parts);
        this.#symlinks.add(rel);
        this.#regularFiles.delete(rel);
        break;
      case 'hardlink':
        this.#checkHardlink(e);
        this.#regularFiles.add(rel);
        this.#symlinks.delete(rel);
        break;
      case 'file':
        this.#regularFiles.add(rel);
        this.#symlinks.delete(rel);
        break;
      case 'directory':
        this.#symlinks.delete(rel);
        break;
    }
    return rel;
  }

  #count(e: ArtifactEntry): void {
    this.entries++;
    if (this.entries > this.limits.maxEntries) {
      throw new GantryError(
        'ARTIFACT_TOO_LARGE',
        `artifact entry "${e.path}" is one entry too many: an artifact may hold at most ${this.limits.maxEntries} entries`,
      );
    }
    if (e.kind === 'file' || e.kind === 'hardlink') this.files++;
    if (e.kind !== 'file') return;
    this.unpackedBytes += e.size;
    if (this.unpackedBytes > this.limits.maxUnpackedBytes) {
      throw new GantryError(
        'ARTIFACT_TOO_LARGE',
        `artifact entry "${e.path}" (${e.size} bytes) takes the unpacked size past the limit of ${this.limits.maxUnpackedBytes} bytes`,
      );
    }
  }

  // Writing "a/b" where "a" is a symlink would write wherever "a" points.
  #refuseThroughSymlink(raw: string, parts: string[]): void {
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.#symlinks.has(prefix)) refuse(raw, `it lies inside "${prefix}", which is a symlink`);
    }
  }

  #checkSymlink(e: ArtifactEntry, parts: string[]): void {
    const target = e.linkpath ?? '';
    const link = `symlink "${e.path}" -> "${target}"`;
    if (target === '') refuseLink(e.path, link, 'it has no target');
    if (posix.isAbsolute(target) || /^[A-Za-z]:/.test(target)) {
      refuseLink(e.path, link, 'an absolute target points outside the artifact');
    }
    const steps = target.split('/').filter((p) => p !== '' && p !== '.');
    const ups = steps.findIndex((p) => p !== '..');
    const leading = ups === -1 ? steps.length : ups;
    // "a/../b" is refused even when it looks inside: if "a" is itself a symlink, the kernel
    // resolves ".." from wherever "a" points, not from the lexical parent.
    if (steps.slice(leading).includes('..')) {
      refuseLink(e.path, link, '".." may only appear at the start of a link target');
    }
    if (leading > parts.length - 1) refuseLink(e.path, link, 'its target resolves outside the artifact');
  }

  #checkHardlink(e: ArtifactEntry): void {
    const target = e.linkpath ?? '';
    const link = `hard link "${e.path}" -> "${target}"`;
    if (target === '') refuseLink(e.path, link, 'it has no target');
    if (posix.isAbsolute(target) || /^[A-Za-z]:/.test(target)) {
      refuseLink(e.path, link, 'an absolute target points outside the artifact');
    }
    const parts = target.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) refuseLink(e.path, link, 'its target leaves the artifact directory ("..")');
    if (!this.#regularFiles.has(parts.join('/'))) {
      refuseLink(e.path, link, 'its target is not a file earlier in the archive');
    }
  }
}

function safeParts(p: string, entryName: string, what: string): string[] {
  if (p === '') refuse(entryName, `${what} is empty`);
  if (p.includes('\0')) refuse(entryName, `${what} contains a NUL byte`);
  if (posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) refuse(entryName, `${what} is absolute`);
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  if (parts.includes('..')) refuse(entryName, `${what} leaves the artifact directory ("..")`);
  return parts;
}

function refuse(entry: string, why: string): never {
  throw new GantryError('BAD_ARTIFACT', `artifact entry "${entry}" is not allowed: ${why}`, {
    details: { entry },
  });
}

function refuseLink(entry: string, link: string, why: string): never {
  throw new GantryError('BAD_ARTIFACT', `artifact ${link} is not allowed: ${why}`, { details: { entry } });
}
