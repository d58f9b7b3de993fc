// Memory of a real `gantry server` process while it takes artifact uploads: its RSS when idle, after
// each of --uploads uploads of a --size MB artifact (incompressible, so the upload is that large),
// and after each of --floods uploads of a small tarball holding --entries empty files (over the
// entry limit, so each is refused with 413). Budget: RSS after the uploads within 20 MB of idle.
//   node bench/uploads.ts [--uploads 20] [--size 50] [--floods 4] [--entries 100005]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ChildServer, sleep, tempDir, writeHelloConfig } from '../test/helpers/gantry.ts';
import { bigArtifact, floodTarball, rssOf, uploadFile } from '../test/helpers/uploads.ts';

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

const { dir, cleanup } = await tempDir('gantry-bench-uploads-');
const server = new ChildServer({
  config: (await writeHelloConfig(dir)).file,
  dataDir: path.join(dir, 'data'),
});
try {
  const big = await bigArtifact(dir, SIZE_MB);
  const flood = await floodTarball(dir, ENTRIES);
  await server.start();
  const pid = server.proc?.pid as number;
  await sleep(SETTLE_MS);
  const idle = await rssOf(pid);
  console.log(`idle server: RSS ${mb(idle)} MB`);

  let peak = idle;
  for (let i = 1; i <= UPLOADS; i++) {
    const started = Date.now();
    const { status } = await uploadFile(server, `v${i}`, big);
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
    const { status } = await uploadFile(server, `flood${i}`, flood);
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
