// Uploads a version's artifact: a directory packed on the fly, or a ready .tar.gz, streamed as the body.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { UploadArtifactResponse } from '../api/types.ts';
import type { GantryClient } from './client.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { formatBytes } from './format.ts';
import type { OutputStream } from './io.ts';

const PROGRESS_EVERY_MS = 100;

interface ReadState {
  error: unknown;
}

export interface UploadRequest {
  version: string;
  artifact: string;
  ref?: string;
  commit?: string;
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
  const counted = countBytes(source.stream, read, ctx.io.stderr, req.version, source.total);
  try {
    const q = { ...(req.ref ? { ref: req.ref } : {}), ...(req.commit ? { commit: req.commit } : {}) };
    const { status, body } = await client.uploadArtifact(req.version, counted, q);
    return { created: status === 201 || body.created, response: body };
  } catch (err) {
    // fetch reports a failing body as a network failure; name the artifact instead.
    if (read.error) {
      throw new UsageError(`cannot read the artifact ${req.artifact}: ${errorMessage(read.error)}`);
    }
    throw err;
  } finally {
    source.stream.destroy();
  }
}

async function openArtifact(
  ctx: CliContext,
  artifact: string,
): Promise<{ stream: Readable; total?: number }> {
  const info = await stat(artifact).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new UsageError(`artifact not found: ${artifact}`, 'Pass a build directory or a .tar.gz of it.');
    }
    throw new UsageError(`cannot read the artifact ${artifact}: ${err.message}`);
  });
  if (info.isDirectory()) return { stream: await packDirectory(ctx, artifact) };
  if (!info.isFile() || !/\.(tar\.gz|tgz)$/.test(artifact)) {
    throw new UsageError(
      `artifact must be a directory or a .tar.gz file: ${artifact}`,
      'Pass the build directory; Gantry packs it for you.',
    );
  }
  return { stream: createReadStream(artifact), total: info.size };
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
    err.write(`\r\x1b[2Kuploading ${version}: ${formatBytes(sent)}${of}`);
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

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
