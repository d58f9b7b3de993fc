// The second pass over an upload: unpacks the archive that receiveUpload wrote and checked, from
// its temp file, with node-tar's synchronous unpacker fed one chunk at a time. Each chunk's entries
// are written before the next chunk is read, so memory holds one chunk whatever the number of
// entries (the asynchronous unpacker starts every entry's file operations at once: 100,000 empty
// files took it from 160 MB to 760 MB RSS). Every entry goes through an EntryGuard again, so this
// pass refuses what the first one would have, whoever calls it.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type ReadEntry, UnpackSync } from 'tar';
import { type ArchiveKind, badArtifact, describeTarError, entryOf } from './archive.ts';
import type { EntryGuard } from './entry-guard.ts';
import type { BufferRelease } from './release-buffers.ts';

export interface FilledArtifact {
  sha256: string;
  sizeBytes: number;
  files: number;
}

/** Bytes read from the temp file at a time: what one synchronous unpacking step handles. */
const CHUNK_BYTES = 64 * 1024;

export async function extractTarball(
  file: string,
  kind: ArchiveKind,
  destDir: string,
  guard: EntryGuard,
  release: BufferRelease,
): Promise<void> {
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
  };
  const unpack = new UnpackSync({
    cwd: destDir,
    strict: true,
    preserveOwner: false,
    zstd: false,
    brotli: false,
    filter: (_path, entry) => {
      if (failure) return false;
      try {
        return admit(guard, entry as ReadEntry);
      } catch (err) {
        fail(err as Error);
        return false;
      }
    },
  });
  unpack.on('error', (err: Error) => fail(describeTarError(err, destDir)));

  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let source: Readable = raw;
  if (kind === 'gzip') {
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    raw.once('error', (err) => gunzip.destroy(err));
    source = raw.pipe(gunzip);
  }
  // A failing write or end is the archive's fault; a failing read, the gzip data's (or the disk's).
  const unpackStep = (step: () => void) => {
    try {
      step();
    } catch (err) {
      fail(describeTarError(err as Error, destDir));
    }
  };
  try {
    for await (const chunk of source) {
      unpackStep(() => unpack.write(chunk as Buffer));
      release.add((chunk as Buffer).length);
      if (failure) break;
    }
  } catch (err) {
    fail(badArtifact(`the gzip data is damaged or incomplete (${(err as Error).message})`));
  } finally {
    raw.destroy();
    source.destroy();
  }
  if (!failure) unpackStep(() => unpack.end());
  if (failure) throw failure;
}

function admit(guard: EntryGuard, entry: ReadEntry): boolean {
  const rel = guard.admit(entryOf(entry));
  // The root's own entry ("./") would only change the private directory's mode.
  if (rel === '') return false;
  // Private to the server's user: no setuid/setgid/sticky bits, nothing for group or others, and
  // directories stay removable.
  const mode = (entry.mode ?? 0) & 0o700;
  entry.mode = entry.type === 'Directory' ? mode | 0o700 : mode;
  return true;
}
