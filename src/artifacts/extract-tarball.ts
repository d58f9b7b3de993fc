// Streams an uploaded .tar.gz (or plain .tar) into a directory: hashes and counts the uploaded
// bytes as they arrive, gunzips them, and lets node-tar write only what the EntryGuard admits.
// Gunzipping here rather than inside node-tar means a stop half-way (limit, refused entry,
// damaged gzip) always ends the tar stream cleanly, so node-tar finishes and closes its files
// before the caller deletes the directory.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { type ReadEntry, Unpack } from 'tar';
import { formatSize } from '../config/units.ts';
import { GantryError } from '../lib/errors.ts';
import type { EntryGuard, EntryKind } from './entry-guard.ts';

export interface FilledArtifact {
  sha256: string;
  sizeBytes: number;
  files: number;
}

const SNIFF_BYTES = 512;
/** Tar framing allowed per entry on top of file contents (header, pax header, padding). */
const FRAMING_BYTES_PER_ENTRY = 2048;
// node-tar always closes after end() unless it aborted itself; this only bounds a bug.
const CLOSE_TIMEOUT_MS = 30_000;

export async function extractTarball(
  source: Readable,
  destDir: string,
  guard: EntryGuard,
  maxBytes: number,
): Promise<FilledArtifact> {
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

  const unpack = new Unpack({
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
  const closed = new Promise<void>((resolve) => unpack.once('close', () => resolve()));
  unpack.on('error', (err: Error) => fail(describeTarError(err, destDir)));

  const maxTarBytes = guard.limits.maxUnpackedBytes + FRAMING_BYTES_PER_ENTRY * guard.limits.maxEntries;
  let tarBytes = 0;
  const toUnpack = async (chunk: Buffer) => {
    tarBytes += chunk.length;
    if (tarBytes > maxTarBytes) {
      fail(new GantryError('ARTIFACT_TOO_LARGE', `the archive unpacks to more than ${maxTarBytes} bytes`));
      return;
    }
    if (!unpack.write(chunk)) await Promise.race([waitFor(unpack, 'drain'), failed]);
  };

  const hash = createHash('sha256');
  let size = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  let gunzip: Gunzip | undefined;
  let pump: Promise<void> = Promise.resolve();
  const forward = async (chunk: Buffer) => {
    if (!gunzip) return toUnpack(chunk);
    if (!gunzip.write(chunk)) await Promise.race([waitFor(gunzip, 'drain'), failed]);
  };
  const begin = (first: Buffer) => {
    if (archiveKind(first) !== 'gzip') return;
    const z = createGunzip();
    gunzip = z;
    pump = (async () => {
      try {
        for await (const out of z) {
          if (failure) break;
          await toUnpack(out as Buffer);
        }
      } catch (err) {
        fail(
          new GantryError(
            'BAD_ARTIFACT',
            `the gzip data is damaged or incomplete (${(err as Error).message})`,
          ),
        );
      }
    })();
  };

  try {
    for await (const data of source.iterator({ destroyOnReturn: false })) {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
      size += chunk.length;
      if (size > maxBytes) {
        fail(artifactTooLarge(maxBytes));
        break;
      }
      hash.update(chunk);
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
  } catch (err) {
    fail(
      err instanceof GantryError ? err : badArtifact(`the upload was interrupted: ${(err as Error).message}`),
    );
  }

  if (failure) gunzip?.destroy();
  else gunzip?.end();
  await pump;
  unpack.end();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
  if (failure) throw failure;
  if (guard.files === 0) throw badArtifact('the archive holds no files');
  return { sha256: hash.digest('hex'), sizeBytes: size, files: guard.files };
}

function admit(guard: EntryGuard, entry: ReadEntry): boolean {
  const rel = guard.admit({
    path: entry.path,
    kind: kindOf(entry.type),
    typeName: entry.type,
    linkpath: entry.linkpath,
    size: entry.size,
  });
  // The root's own entry ("./") would only change the private directory's mode.
  if (rel === '') return false;
  // No setuid/setgid/sticky bits and nothing writable by others; directories stay removable.
  const mode = (entry.mode ?? 0) & 0o755;
  entry.mode = entry.type === 'Directory' ? mode | 0o700 : mode;
  return true;
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

/** Throws unless the first bytes are a gzip header or a ustar tar header. */
function archiveKind(head: Buffer): 'gzip' | 'tar' {
  if (head.length === 0) throw badArtifact('the upload is empty (0 bytes)');
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  throw badArtifact(
    `the upload is neither a .tar.gz nor a .tar archive (it starts with bytes ${head.subarray(0, 8).toString('hex')})`,
  );
}

function describeTarError(err: Error, destDir: string): Error {
  if (err instanceof GantryError) return err;
  const e = err as Error & { entry?: { path?: string } };
  const message = e.message.replaceAll(`${destDir}/`, '').replaceAll(destDir, '.');
  const entry = e.entry?.path;
  if (entry) return badArtifact(`artifact entry "${entry}" could not be unpacked: ${message}`);
  return badArtifact(`the archive is damaged or not a tar archive: ${message}`);
}

function badArtifact(message: string): GantryError {
  return new GantryError('BAD_ARTIFACT', message);
}

function waitFor(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/** The upload (of `declared` bytes, when the request said) is over the server's limit. */
export function artifactTooLarge(maxBytes: number, declared?: number): GantryError {
  const what = declared === undefined ? 'the upload' : `the upload (${declared} bytes)`;
  return new GantryError(
    'ARTIFACT_TOO_LARGE',
    `${what} is larger than the limit of ${describeBytes(maxBytes)}; nothing was stored`,
    { hint: 'Make the artifact smaller, or raise the limit with `gantry server --max-artifact-size`.' },
  );
}

/** `536870912 bytes (512MB)`; just `10000 bytes` when no unit divides it. */
function describeBytes(n: number): string {
  const short = formatSize(n);
  return /^\d+B$/.test(short) ? `${n} bytes` : `${n} bytes (${short})`;
}
