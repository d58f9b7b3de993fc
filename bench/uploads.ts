// Memory of a real `gantry server` process while it takes artifact uploads: its RSS when idle, after
// each of --uploads uploads of a --size MB artifact (incompressible, so the upload is that large),
// and after each of --floods uploads of a small tarball holding --entries empty files (over the
// entry limit, so each is refused with 413). Budget: RSS after the uploads within 20 MB of idle.
//   node bench/uploads.ts [--uploads 20] [--size 50] [--floods 4] [--entries 100005]
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { create } from 'tar';
import { request } from 'undici';
import { ChildServer, sleep, tempDir, writeHelloConfig } from '../test/helpers/gantry.ts';

const { values } = parseArgs({
  options: {
    uploads: { type: 'string', default: '20' },
    size: { type: 'string', default: '50' },
    floods: { type: 'string', default: '4' },
    entries: { type: 'string', default: '100005' },
  },
});
const UPLOADS = Number(values.uploads);
const SIZE_MB = Number(values.size);
const FLOODS = Number(values.floods);
const ENTRIES = Number(values.entries);
const BUDGET_MB = 20;
/** Time for the server to finish its own work (GC, log flushes) before RSS is read. */
const SETTLE_MS = 3000;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb * 1024;
}

/** A .tar.gz of one file of random bytes. */
async function bigArtifact(dir: string, sizeMb: number): Promise<string> {
  const src = path.join(dir, 'big');
  await mkdir(src, { recursive: true });
  const out = createWriteStream(path.join(src, 'payload.bin'));
  for (let i = 0; i < sizeMb; i++) {
    if (!out.write(randomBytes(1024 * 1024))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  await writeFile(path.join(src, 'server.js'), 'console.log("hi")\n');
  const file = path.join(dir, 'big.tar.gz');
  await pipeline(create({ gzip: true, cwd: src, portable: true }, ['.']), createWriteStream(file));
  return file;
}

/** A .tar.gz of `entries` empty files, written header by header (no files on disk). */
async function floodArtifact(dir: string, entries: number): Promise<string> {
  const file = path.join(dir, 'flood.tar.gz');
  async function* blocks() {
    for (let i = 0; i < entries; i++) yield tarHeader(`f${i}`);
    yield Buffer.alloc(1024);
  }
  await pipeline(blocks(), createGzip(), createWriteStream(file));
  return file;
}

function tarHeader(name: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
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

async function upload(server: ChildServer, version: string, file: string): Promise<number> {
  const size = (await stat(file)).size;
  const res = await request(`${server.url}/api/v1/versions/${version}/artifact`, {
    method: 'POST',
    headers: { ...server.headers(), 'content-type': 'application/gzip', 'content-length': String(size) },
    body: createReadStream(file),
  });
  await res.body.text();
  return res.statusCode;
}

const { dir, cleanup } = await tempDir('gantry-bench-uploads-');
const server = new ChildServer({
  config: (await writeHelloConfig(dir)).file,
  dataDir: path.join(dir, 'data'),
});
try {
  const big = await bigArtifact(dir, SIZE_MB);
  const flood = await floodArtifact(dir, ENTRIES);
  await server.start();
  const pid = server.proc?.pid as number;
  await sleep(SETTLE_MS);
  const idle = await rssOf(pid);
  console.log(`idle server: RSS ${mb(idle)} MB`);

  let peak = idle;
  for (let i = 1; i <= UPLOADS; i++) {
    const started = Date.now();
    const status = await upload(server, `v${i}`, big);
    const rss = await rssOf(pid);
    peak = Math.max(peak, rss);
    console.log(`upload ${i} of ${SIZE_MB} MB: ${status} in ${Date.now() - started} ms, RSS ${mb(rss)} MB`);
  }
  await sleep(SETTLE_MS);
  const afterUploads = await rssOf(pid);
  const grew = afterUploads - idle;
  console.log(
    `after ${UPLOADS} uploads: RSS ${mb(afterUploads)} MB (${grew >= 0 ? '+' : ''}${mb(grew)} MB over idle, peak ${mb(peak)} MB)   budget <= +${BUDGET_MB} MB   ${grew <= BUDGET_MB * 1024 * 1024 ? 'ok' : 'OVER'}`,
  );

  for (let i = 1; i <= FLOODS; i++) {
    const started = Date.now();
    const status = await upload(server, `flood${i}`, flood);
    const rss = await rssOf(pid);
    peak = Math.max(peak, rss);
    console.log(
      `flood ${i} (${ENTRIES} entries): ${status} in ${Date.now() - started} ms, RSS ${mb(rss)} MB`,
    );
  }
  await sleep(SETTLE_MS);
  console.log(`after ${FLOODS} floods: RSS ${mb(await rssOf(pid))} MB (peak ${mb(peak)} MB)`);
} finally {
  await server.stop();
  await cleanup();
}
