// Artifacts and uploads for the upload tests and `bench/uploads.ts`: a large incompressible
// artifact, a small tarball with more entries than the server allows, an upload streamed from a
// file with its Content-Length, and a server process's RSS.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create } from 'tar';
import { request } from 'undici';
import type { ChildServer } from './gantry.ts';

const MB = 1024 * 1024;

/** RSS of a process, from /proc. */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** Writes `dir/big.tar.gz`: one file of `sizeMb` random bytes (so the upload is that large). */
export async function bigArtifact(dir: string, sizeMb: number): Promise<string> {
  const src = path.join(dir, 'big');
  await mkdir(src, { recursive: true });
  const out = createWriteStream(path.join(src, 'payload.bin'));
  for (let i = 0; i < sizeMb; i++) {
    if (!out.write(randomBytes(MB))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  await writeFile(path.join(src, 'server.js'), 'console.log("hi")\n');
  const file = path.join(dir, 'big.tar.gz');
  await pipeline(create({ gzip: { level: 1 }, cwd: src, portable: true }, ['.']), createWriteStream(file));
  return file;
}

/** Writes `dir/flood.tar.gz`: `entries` empty files, header by header (nothing on disk but it). */
export async function floodTarball(dir: string, entries: number): Promise<string> {
  const file = path.join(dir, 'flood.tar.gz');
  async function* blocks() {
    for (let i = 0; i < entries; i++) yield emptyFileHeader(`f${i}`);
    yield Buffer.alloc(1024);
  }
  await pipeline(blocks(), createGzip(), createWriteStream(file));
  return file;
}

function emptyFileHeader(name: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write('00000000000\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** Uploads a file as a version's artifact, streamed, with its Content-Length. */
export async function uploadFile(
  server: ChildServer,
  version: string,
  file: string,
): Promise<{ status: number; body: string }> {
  const res = await request(`${server.url}/api/v1/versions/${version}/artifact`, {
    method: 'POST',
    headers: {
      ...server.headers(),
      'content-type': 'application/gzip',
      'content-length': String((await stat(file)).size),
    },
    body: createReadStream(file),
  });
  return { status: res.statusCode, body: await res.body.text() };
}
