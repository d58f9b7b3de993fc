// The first pass over an uploaded .tar.gz (or plain .tar): the request's bytes go to a private temp
// file as they arrive, hashed and counted, while a tar parser reads their headers (nothing else) and
// puts every entry through the EntryGuard. Nothing is unpacked yet, and nothing but the one chunk
// in hand is held in memory, so an archive of a hundred thousand empty files is refused at its
// first entry over the limit, after reading a few hundred KB and writing no file but the temp one.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { GantryError } from '../lib/errors.ts';
import { type ArchiveKind, archiveKind, badArtifact, describeTarError, entryOf } from './archive.ts';
import type { EntryGuard } from './entry-guard.ts';
import type { BufferRelease } from './release-buffers.ts';
import { artifactTooLarge } from './upload-errors.ts';

export interface ReceivedUpload {
  kind: ArchiveKind;
  sha256: string;
  sizeBytes: number;
  files: number;
}

/** Bytes looked at before deciding between gzip and tar (a ustar header's magic is at 257). */
const SNIFF_BYTES = 512;
/** Tar framing allowed per entry on top of file contents (header, pax header, padding). */
const FRAMING_BYTES_PER_ENTRY = 2048;

/**
 * Writes `source` to `file` (created, mode 0600) and checks the archive it holds entry by entry.
 * Reading stops at the first error (the stream is left paused, not destroyed); the caller removes
 * the file in every case.
 */
export async function receiveUpload(
  source: Readable,
  file: string,
  guard: EntryGuard,
  maxBytes: number,
  release: BufferRelease,
): Promise<ReceivedUpload> {
  let failure: Error | undefined;
  let onFailed = () => {};
  const failed = new Promise<void>((resolve) => {
    onFailed = resolve;
  });
  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    onFailed();
  };
  const drained = (stream: WriteStream | Gunzip) =>
    Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
  const out = createWriteStream(file, { mode: 0o600, flags: 'wx' });
  const outDone = new Promise<void>((resolve) => {
    out.once('close', () => resolve());
    out.once('error', (err) => {
      fail(err);
      resolve();
    });
  });

  const parser = new Parser({
    strict: true,
    zstd: false,
    brotli: false,
    onReadEntry: (entry: ReadEntry) => {
      if (!failure) {
        try {
          guard.admit(entryOf(entry));
        } catch (err) {
          fail(err as Error);
        }
      }
      entry.resume();
    },
  });
  parser.on('error', (err: Error) => fail(describeTarError(err)));
  const parsed = new Promise<void>((resolve) => parser.once('end', () => resolve()));

  const maxTarBytes = guard.limits.maxUnpackedBytes + FRAMING_BYTES_PER_ENTRY * guard.limits.maxEntries;
  let tarBytes = 0;
  const toParser = (chunk: Buffer) => {
    tarBytes += chunk.length;
    release.add(chunk.length);
    if (tarBytes > maxTarBytes) {
      fail(new GantryError('ARTIFACT_TOO_LARGE', `the archive unpacks to more than ${maxTarBytes} bytes`));
      return;
    }
    parser.write(chunk);
  };

  let kind: ArchiveKind | undefined;
  let gunzip: Gunzip | undefined;
  const begin = (head: Buffer) => {
    kind = archiveKind(head);
    if (kind !== 'gzip') return;
    gunzip = createGunzip();
    gunzip.on('data', (c: Buffer) => {
      if (!failure) toParser(c);
    });
    gunzip.on('error', (err) =>
      fail(badArtifact(`the gzip data is damaged or incomplete (${(err as Error).message})`)),
    );
  };
  const forward = async (chunk: Buffer) => {
    if (!gunzip) return toParser(chunk);
    // The gunzip's output is parsed synchronously as it comes; waiting for it to drain keeps at
    // most one chunk of decompressed data in flight.
    if (!gunzip.write(chunk)) await drained(gunzip);
  };

  const hash = createHash('sha256');
  let size = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  try {
    for await (const data of source.iterator({ destroyOnReturn: false })) {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
      size += chunk.length;
      if (size > maxBytes) {
        fail(artifactTooLarge(maxBytes));
        break;
      }
      hash.update(chunk);
      release.add(chunk.length);
      if (!out.write(chunk)) await drained(out);
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length < SNIFF_BYTES) continue;
        begin(head);
        await forward(head);
        head = undefined;
      } else {
        await forward(chunk);
      }
      if (failure) break;
    }
    if (!failure && head) {
      begin(head);
      await forward(head);
    }
    if (!failure && gunzip) {
      const z = gunzip;
      await new Promise<void>((resolve) => {
        z.once('end', () => resolve());
        z.once('error', () => resolve());
        z.end();
        z.resume();
      });
    }
    if (!failure) {
      parser.end();
      await Promise.race([parsed, failed]);
    }
  } catch (err) {
    fail(
      err instanceof GantryError ? err : badArtifact(`the upload was interrupted: ${(err as Error).message}`),
    );
  }
  gunzip?.destroy();
  out.end();
  await outDone;
  if (failure) throw failure;
  if (guard.files === 0) throw badArtifact('the archive holds no files');
  return { kind: kind as ArchiveKind, sha256: hash.digest('hex'), sizeBytes: size, files: guard.files };
}
