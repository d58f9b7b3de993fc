// Uploads against a real `gantry server` process: its memory (RSS from /proc) after large uploads
// and after floods of tarballs over the entry limit, an upload refused for its Content-Length before
// a byte of the body is sent, and the CLI's words for it. `npm run bench:uploads` gives the figures.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create } from 'tar';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildServer, runGantry, sleep, tempDir, writeHelloConfig } from './helpers/gantry.ts';

const MB = 1024 * 1024;
const LIMIT_MB = 40;
/** Entries in a flood tarball: just over the default limit of 100,000. */
const FLOOD_ENTRIES = 100_005;

let dir: string;
let cleanup: () => Promise<void>;
let server: ChildServer;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('gantry-uploads-memory-'));
  server = new ChildServer({
    config: (await writeHelloConfig(dir)).file,
    dataDir: path.join(dir, 'data'),
  });
  server.args.push('--max-artifact-size', `${LIMIT_MB}MB`);
  await server.start();
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await cleanup?.();
});

async function rss(): Promise<number> {
  const status = await readFile(`/proc/${server.proc?.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** RSS once the server has been left alone for a moment (log flushes, timers). */
async function settledRss(): Promise<number> {
  await sleep(1500);
  return rss();
}

async function upload(version: string, file: string): Promise<{ status: number; body: string }> {
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

/** A .tar.gz of `entries` empty files, header by header (nothing on disk but the archive). */
async function floodTarball(file: string, entries: number): Promise<void> {
  async function* blocks() {
    for (let i = 0; i < entries; i++) yield emptyFileHeader(`f${i}`);
    yield Buffer.alloc(1024);
  }
  await pipeline(blocks(), createGzip(), createWriteStream(file));
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

describe('a server taking uploads', () => {
  it('stays within 20 MB of its idle RSS after uploads of 32 MB (each upload is streamed, never held)', async () => {
    const src = path.join(dir, 'big');
    await mkdir(src);
    await writeFile(path.join(src, 'payload.bin'), randomBytes(32 * MB));
    await writeFile(path.join(src, 'server.js'), 'console.log("hi")\n');
    const file = path.join(dir, 'big.tar.gz');
    await pipeline(create({ gzip: { level: 1 }, cwd: src, portable: true }, ['.']), createWriteStream(file));

    const idle = await settledRss();
    for (let i = 1; i <= 6; i++) expect((await upload(`big${i}`, file)).status).toBe(201);
    const after = await settledRss();
    // Before: +61 MB after the first upload already (dead buffers V8 had not collected yet).
    expect((after - idle) / MB).toBeLessThan(20);
  }, 180_000);

  it('refuses tarballs over the entry limit at the limit, quickly and with flat memory', async () => {
    const file = path.join(dir, 'flood.tar.gz');
    await floodTarball(file, FLOOD_ENTRIES);
    expect((await stat(file)).size).toBeLessThan(1 * MB);
    const before = await settledRss();
    for (let i = 1; i <= 3; i++) {
      const started = Date.now();
      const res = await upload(`flood${i}`, file);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).error.message).toContain('"f100000" is one entry too many');
      // Before: 18 to 96 s each, as every entry was unpacked before the one too many was seen.
      expect(Date.now() - started).toBeLessThan(30_000);
    }
    const after = await settledRss();
    // Before: +600 MB after the first flood, 1.1 GB after three.
    expect((after - before) / MB).toBeLessThan(60);
    expect(await readdir(path.join(server.dataDir, 'artifacts/.incoming'))).toEqual([]);
  }, 180_000);

  it('answers 413 to a Content-Length over the limit before the body is sent', async () => {
    const url = new URL(server.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (c: Buffer) => {
      answer += c.toString();
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      [
        'POST /api/v1/versions/huge/artifact HTTP/1.1',
        `Host: ${url.host}`,
        `Authorization: Bearer ${server.token}`,
        'Content-Type: application/gzip',
        `Content-Length: ${1024 * MB}`,
        '',
        '',
      ].join('\r\n'),
    );
    // No body at all: before, the server waited for it (up to 30 s) before answering.
    const deadline = Date.now() + 10_000;
    while (!answer.includes('}') && Date.now() < deadline) await sleep(50);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toContain('ARTIFACT_TOO_LARGE');
    expect(answer).toContain(
      `the upload (${1024 * MB} bytes) is larger than the limit of ${LIMIT_MB * MB} bytes`,
    );
  }, 30_000);

  it('gantry upload of an artifact over the limit says so, with the limit and the flag to raise it', async () => {
    // Far over the limit plus what the server reads and drops after refusing a chunked upload
    // (64 MB): before, the CLI sent it chunked, the server cut the connection, and the CLI said
    // "cannot reach Gantry". A sparse file: no disk is used.
    const file = path.join(dir, 'huge.tar.gz');
    await writeFile(file, '');
    await truncate(file, (LIMIT_MB + 100) * MB);
    const res = await runGantry(['upload', '--version', 'huge', '--artifact', file], {
      env: { GANTRY_URL: server.url, GANTRY_TOKEN: server.token },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).not.toContain('cannot reach');
    expect(res.stderr).toContain(`is larger than the limit of ${LIMIT_MB * MB} bytes (${LIMIT_MB}MB)`);
    expect(res.stderr).toContain('--max-artifact-size');
  }, 120_000);
});
