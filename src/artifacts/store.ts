// Artifact directories under the data dir: `artifacts/<service>/<version>/`, private (0700) and
// never rewritten. Each import fills a temp dir beside them and renames it into place, so a
// version directory either holds a complete, checked artifact or does not exist. An upload is
// first written whole to a temp file (checked entry by entry as it arrives, its checksum compared),
// and only then unpacked from that file: a refused upload never unpacks a single file.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_MAX_ARTIFACT_ENTRIES } from '../config/defaults.ts';
import { GantryError } from '../lib/errors.ts';
import { copyDirectory } from './copy-directory.ts';
import { EntryGuard } from './entry-guard.ts';
import { extractTarball, type FilledArtifact } from './extract-tarball.ts';
import { assertServiceName, assertVersionName } from './names.ts';
import { packDirectory } from './pack-directory.ts';
import { receiveUpload } from './receive-upload.ts';
import { BufferRelease } from './release-buffers.ts';
import { checksumMismatch } from './upload-errors.ts';

/** Unpacked size allowed per uploaded byte (a compressed upload of maxBytes may unpack to 20×). */
export const UNPACKED_SIZE_FACTOR = 20;
export const DEFAULT_MAX_ENTRIES = DEFAULT_MAX_ARTIFACT_ENTRIES;
const INCOMING = '.incoming';

export interface ImportOptions {
  service: string;
  version: string;
  /** Limit on the uploaded bytes (tarball); a directory import allows maxBytes × 20 unpacked. */
  maxBytes: number;
  /** Limit on the total size of unpacked files; default maxBytes × UNPACKED_SIZE_FACTOR. */
  maxUnpackedBytes?: number;
  /** Limit on entries (files, directories, links); default DEFAULT_MAX_ENTRIES. */
  maxEntries?: number;
  /** Tarball: the SHA-256 (hex) the uploaded bytes must have; a mismatch stores nothing. */
  expectedSha256?: string;
}

export interface ImportedArtifact {
  /** Directory relative to the data dir, with '/' separators: `artifacts/<service>/<version>`. */
  dir: string;
  /** Tarball: SHA-256 of the uploaded bytes. Directory: SHA-256 digest of the copied tree. */
  sha256: string;
  /** Tarball: uploaded bytes. Directory: total bytes of the copied files. */
  sizeBytes: number;
  /** Regular files and hard links in the artifact. */
  files: number;
}

export interface ArtifactStore {
  /**
   * Imports a .tar.gz or .tar stream. Reading stops at the first error (the stream is left
   * paused, not destroyed); nothing is left behind on failure.
   */
  importTarball(stream: Readable, opts: ImportOptions): Promise<ImportedArtifact>;
  importDirectory(srcDir: string, opts: ImportOptions): Promise<ImportedArtifact>;
  packDirectory(dir: string): Readable;
  /** Absolute path of a `dir` returned by an import; refuses paths outside the store. */
  pathOf(rel: string): string;
  remove(service: string, version: string): Promise<void>;
  /** Removes temp dirs of imports interrupted by a crash; returns how many were removed. */
  sweepIncoming(olderThanMs?: number): Promise<number>;
}

export function createArtifactStore(dataDir: string): ArtifactStore {
  const base = resolve(dataDir);
  const root = join(base, 'artifacts');
  const incoming = join(root, INCOMING);

  const versionDir = (service: string, version: string) => {
    assertServiceName(service);
    assertVersionName(version);
    return join(root, service, version);
  };

  const guardFor = (opts: ImportOptions) =>
    new EntryGuard({
      maxUnpackedBytes: opts.maxUnpackedBytes ?? opts.maxBytes * UNPACKED_SIZE_FACTOR,
      maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
    });

  async function importWith(
    opts: ImportOptions,
    fill: (tmpDir: string) => Promise<FilledArtifact>,
  ): Promise<ImportedArtifact> {
    const finalDir = versionDir(opts.service, opts.version);
    if (await exists(finalDir)) throw versionExists(opts);
    await mkdir(incoming, { recursive: true, mode: 0o700 });
    const tmpDir = await mkdtemp(join(incoming, `${opts.service}-`));
    try {
      const filled = await fill(tmpDir);
      await mkdir(join(root, opts.service), { recursive: true, mode: 0o700 });
      await rename(tmpDir, finalDir).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOTEMPTY' || err.code === 'EEXIST' ? versionExists(opts) : err;
      });
      return { dir: relative(base, finalDir).split(sep).join('/'), ...filled };
    } catch (err) {
      await rm(tmpDir, { recursive: true, force: true, maxRetries: 3 });
      throw err;
    }
  }

  return {
    async importTarball(stream, opts) {
      if (await exists(versionDir(opts.service, opts.version))) throw versionExists(opts);
      await mkdir(incoming, { recursive: true, mode: 0o700 });
      const file = join(incoming, `${opts.service}-${randomUUID()}.upload`);
      const release = new BufferRelease();
      try {
        const received = await receiveUpload(stream, file, guardFor(opts), opts.maxBytes, release);
        if (opts.expectedSha256 !== undefined && received.sha256 !== opts.expectedSha256.toLowerCase()) {
          throw checksumMismatch(opts.expectedSha256, received.sha256, received.sizeBytes);
        }
        return await importWith(opts, async (tmpDir) => {
          await extractTarball(file, received.kind, tmpDir, guardFor(opts), release);
          return { sha256: received.sha256, sizeBytes: received.sizeBytes, files: received.files };
        });
      } finally {
        await rm(file, { force: true });
        release.finish();
      }
    },
    async importDirectory(srcDir, opts) {
      const st = await stat(srcDir).catch(() => undefined);
      if (!st?.isDirectory()) {
        throw new GantryError(
          'BAD_ARTIFACT',
          `artifact directory ${srcDir} does not exist or is not a directory`,
          {
            hint: 'Pass the directory that holds the built service.',
          },
        );
      }
      return importWith(opts, (tmpDir) => copyDirectory(srcDir, tmpDir, guardFor(opts)));
    },
    packDirectory,
    pathOf(rel) {
      const abs = resolve(base, rel);
      if (!abs.startsWith(root + sep) || abs.startsWith(incoming + sep)) {
        throw new GantryError(
          'BAD_REQUEST',
          `artifact path ${JSON.stringify(rel)} is not inside the artifact store`,
          {
            hint: 'Use the `dir` returned by the import.',
          },
        );
      }
      return abs;
    },
    async remove(service, version) {
      await rm(versionDir(service, version), { recursive: true, force: true, maxRetries: 3 });
    },
    async sweepIncoming(olderThanMs = 60 * 60 * 1000) {
      const names = await readdir(incoming).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names) {
        const p = join(incoming, name);
        const st = await stat(p).catch(() => undefined);
        if (!st || Date.now() - st.mtimeMs < olderThanMs) continue;
        await rm(p, { recursive: true, force: true, maxRetries: 3 });
        removed++;
      }
      return removed;
    },
  };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function versionExists(opts: ImportOptions): GantryError {
  return new GantryError(
    'VERSION_EXISTS',
    `version ${opts.version} of ${opts.service} already has an artifact; versions are immutable`,
  );
}
