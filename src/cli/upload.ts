// Uploads a version's artifact: a ready .tar.gz, or a directory packed into a temporary one first,
// streamed as the body with its SHA-256 in X-Checksum-Sha256 (the server stores nothing unless the
// bytes it received match it).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UploadArtifactResponse } from '../api/types.ts';
import type { GantryClient } from './client.ts';
import type { CliContext } from './context.ts';
import { ApiError, ConnectionError, UsageError } from './errors.ts';
import { formatBytes } from './format.ts';
import type { OutputStream } from './io.ts';
import { escapeControls } from './terminal-text.ts';

const PROGRESS_EVERY_MS = 100;

interface ReadState {
  error: unknown;
}

export interface UploadRequest {
  version: string;
  artifact: string;
  ref?: string;
  commit?: string;
  /** When the commit was made (ISO-8601), for DORA's lead time. */
  commitTime?: string;
}

export interface UploadResult {
  /** false when the server already had these exact bytes (200), true when it stored them (201). */
  created: boolean;
  response: UploadArtifactResponse;
}

export async function uploadArtifact(
  ctx: CliContext,
  client: GantryClient,
  req: UploadRequest,
): Promise<UploadResult> {
  const source = await openArtifact(ctx, req.artifact);
  const read: ReadState = { error: undefined };
  const stream = createReadStream(source.file);
  const counted = countBytes(stream, read, ctx.io.stderr, req.version, source.total);
  try {
    const q = {
      ...(req.ref ? { ref: req.ref } : {}),
      ...(req.commit ? { commit: req.commit } : {}),
      ...(req.commitTime ? { commit_time: req.commitTime } : {}),
    };
    const { status, body } = await client.uploadArtifact(req.version, counted, q, {
      sha256: source.sha256,
      bytes: source.total,
    });
    return { created: status === 201 || body.created, response: body };
  } catch (err) {
    // fetch reports a failing body as a network failure; name the artifact instead.
    if (read.error) {
      throw new UsageError(`cannot read the artifact ${req.artifact}: ${errorMessage(read.error)}`);
    }
    throw describeRefusedUpload(err, source.total);
  } finally {
    stream.destroy();
    await source.cleanup();
  }
}

interface OpenedArtifact {
  /** The .tar.gz to send. */
  file: string;
  sha256: string;
  total: number;
  cleanup: () => Promise<void>;
}

async function openArtifact(ctx: CliContext, artifact: string): Promise<OpenedArtifact> {
  const info = await stat(artifact).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new UsageError(`artifact not found: ${artifact}`, 'Pass a build directory or a .tar.gz of it.');
    }
    throw new UsageError(`cannot read the artifact ${artifact}: ${err.message}`);
  });
  if (info.isDirectory()) return packToTempFile(ctx, artifact);
  if (!info.isFile() || !/\.(tar\.gz|tgz)$/.test(artifact)) {
    throw new UsageError(
      `artifact must be a directory or a .tar.gz file: ${artifact}`,
      'Pass the build directory; Gantry packs it for you.',
    );
  }
  const { sha256, bytes } = await hashInto(createReadStream(artifact));
  return { file: artifact, sha256, total: bytes, cleanup: async () => {} };
}

/** The checksum must go before the body, so a directory is packed into a temporary file first. */
async function packToTempFile(ctx: CliContext, dir: string): Promise<OpenedArtifact> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'gantry-upload-'));
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    const file = path.join(tmp, 'artifact.tar.gz');
    const { sha256, bytes } = await hashInto(await packDirectory(ctx, dir), file);
    return { file, sha256, total: bytes, cleanup };
  } catch (err) {
    await cleanup();
    throw new UsageError(`cannot pack the artifact directory ${dir}: ${errorMessage(err)}`);
  }
}

/** SHA-256 and size of a stream's bytes, written to `file` on the way when given. */
async function hashInto(source: Readable, file?: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, file ? chunk : undefined);
    },
  });
  if (file) await pipeline(source, tap, createWriteStream(file, { mode: 0o600 }));
  else
    await pipeline(source, tap, async (s: AsyncIterable<unknown>) => {
      for await (const _ of s);
    });
  return { sha256: hash.digest('hex'), bytes };
}

async function packDirectory(ctx: CliContext, dir: string): Promise<Readable> {
  if (ctx.deps.packDirectory) return ctx.deps.packDirectory(dir);
  // Loaded on demand: only deploys and releases need the tar code.
  const artifacts = await import('../artifacts/index.ts');
  return artifacts.packDirectory(dir);
}

/** Passes the bytes through, drawing `uploading v2: 1.2 MB / 3.4 MB` on stderr when it is a terminal. */
async function* countBytes(
  stream: Readable,
  read: ReadState,
  err: OutputStream,
  version: string,
  total?: number,
): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let drawnAt = 0;
  const draw = () => {
    const of = total !== undefined ? ` / ${formatBytes(total)}` : '';
    err.write(`\r\x1b[2Kuploading ${escapeControls(version)}: ${formatBytes(sent)}${of}`);
  };
  const chunks = stream[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await chunks.next();
    } catch (e) {
      read.error = e;
      throw e;
    }
    if (next.done) break;
    const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Uint8Array);
    sent += bytes.length;
    if (err.isTTY && Date.now() - drawnAt >= PROGRESS_EVERY_MS) {
      drawnAt = Date.now();
      draw();
    }
    yield bytes;
  }
  if (err.isTTY) {
    draw();
    err.write('\n');
  }
}

/**
 * A 413 that is not Gantry's own (a proxy in front of it) or a connection cut while the bytes were
 * going out: both most likely mean the artifact is over a size limit, so say that and how to raise it.
 */
export function describeRefusedUpload(err: unknown, bytes: number): unknown {
  const size = `${formatBytes(bytes)} (${bytes} bytes)`;
  if (err instanceof ApiError && err.status === 413 && err.code !== 'ARTIFACT_TOO_LARGE') {
    return new ApiError(
      413,
      'ARTIFACT_TOO_LARGE',
      `the artifact of ${size} is larger than the server accepts (HTTP 413: ${err.message}); nothing was stored`,
      UPLOAD_LIMIT_HINT,
    );
  }
  if (err instanceof ConnectionError && err.reason === 'connection reset') {
    return new UsageError(
      `the server cut the connection while the artifact of ${size} was being sent; it is probably over the server's upload limit`,
      UPLOAD_LIMIT_HINT,
    );
  }
  return err;
}

const UPLOAD_LIMIT_HINT =
  'Make the artifact smaller, or raise the limit with `gantry server --max-artifact-size` (or GANTRY_MAX_ARTIFACT_SIZE), and that of any proxy in front of Gantry (nginx: client_max_body_size).';

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The line saying what an upload did: stored the bytes, or found them stored already. */
export function describeUpload(v: UploadArtifactResponse['version'], created: boolean): string {
  const sum = v.sha256 ? `sha256 ${v.sha256.slice(0, 12)}` : 'no checksum';
  const size = v.sizeBytes !== null ? `${formatBytes(v.sizeBytes)}, ` : '';
  return created
    ? `uploaded ${v.version} (${size}${sum})`
    : `version ${v.version} already uploaded with the same checksum (${sum}); reusing it`;
}
