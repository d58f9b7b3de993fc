// Idle memory benchmark (npm run bench:memory): the resident memory of `gantry server` and its data
// plane processes as `npm start` runs them (the bundle in dist/, with the Node flags and malloc
// setting of the start script), with the bundled example service, first idle after start and then
// idle again after 2,000 proxied requests to each environment. Beside them, in the same run, a bare
// `node` process as the reference: two Node processes cannot weigh less than two of those.
// Three measures of "together": the sum of the RSS counts the pages of the node binary that the
// processes share (~50 MB) once in each; "distinct" counts each physical page the processes hold
// once (from /proc/<pid>/pagemap, readable by root only: else it is left out); PSS splits shared
// pages between all the processes that map them, this benchmark's own included. Budget: 150 MB.
// Usage: npm run bench:memory [-- --wait 20] [--json]
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { npmStartCommand } from '../test/helpers/gantry.ts';
import { freePort } from './children.ts';

const BUDGET_MB = 150;
const REQUESTS = 2000;
const root = path.join(import.meta.dirname, '..');

const { values } = parseArgs({
  options: { wait: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const waitMs = Number(values.wait) * 1000;

interface Memory {
  rssMb: number;
  pssMb: number;
  anonMb: number;
  fileMb: number;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    rssMb: mb(kb(status, 'VmRSS')),
    pssMb: mb(kb(rollup, 'Pss')),
    anonMb: mb(kb(status, 'RssAnon')),
    fileMb: mb(kb(status, 'RssFile')),
  };
}

/** The physical pages resident in any of `pids`, each counted once; undefined unless root. */
async function distinctMb(pids: number[]): Promise<number | undefined> {
  const PRESENT = 1n << 63n;
  const FRAME = (1n << 55n) - 1n;
  const frames = new Set<bigint>();
  for (const pid of pids) {
    const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
    const pagemap = await open(`/proc/${pid}/pagemap`, 'r');
    try {
      for (const line of maps.split('\n')) {
        const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
        if (!m || line.endsWith('[vsyscall]')) continue;
        const first = Number.parseInt(m[1] ?? '0', 16) / 4096;
        const pages = Number.parseInt(m[2] ?? '0', 16) / 4096 - first;
        const buf = Buffer.alloc(pages * 8);
        await pagemap.read(buf, 0, buf.length, first * 8);
        for (let i = 0; i < pages; i++) {
          const entry = buf.readBigUInt64LE(i * 8);
          if (entry & PRESENT) frames.add(entry & FRAME);
        }
      }
    } finally {
      await pagemap.close();
    }
  }
  // Without CAP_SYS_ADMIN the kernel reports frame 0 for every page.
  if (frames.size <= 1) return undefined;
  return mb(frames.size * 4);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function load(port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const one = () =>
    new Promise<void>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().on('end', resolve))
        .on('error', reject),
    );
  const running: Promise<void>[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    running.push(one());
    if (running.length >= 8) await running.shift();
  }
  await Promise.all(running);
  agent.destroy();
}

async function main(): Promise<void> {
  if (!existsSync(path.join(root, 'dist/main.js'))) throw new Error('run `npm run build` first');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-memory-'));
  const dataDir = path.join(tmp, 'data');
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  let server: ChildProcess | undefined;
  try {
    const api = await freePort();
    const start = npmStartCommand();
    server = spawn(
      process.execPath,
      [
        ...start.flags,
        'dist/main.js',
        'server',
        '--config',
        'examples/hello/gantry.yaml',
        '--data-dir',
        dataDir,
        '--initial-version',
        'v1',
        '--initial-artifact',
        'examples/hello/app',
        '--listen',
        `127.0.0.1:${api}`,
      ],
      { cwd: root, stdio: 'ignore', env: { ...process.env, ...start.env } },
    );
    const startLine = [...Object.entries(start.env).map(([k, v]) => `${k}=${v}`), 'node', ...start.flags];
    process.stderr.write(
      `starting the example server (${startLine.join(' ')}); measuring after ${values.wait} s idle…\n`,
    );
    await sleep(waitMs);
    const planePids = (await readdir(path.join(dataDir, 'dataplane')))
      .filter((f) => f.endsWith('.sock'))
      .map((f) => Number(f.slice(0, -'.sock'.length)));
    const serverPid = server.pid as number;
    const measure = async (what: string) => {
      const planes = await Promise.all(planePids.map(memoryOf));
      const sum = (k: keyof Memory) => Math.round(planes.reduce((n, m) => n + m[k], 0) * 10) / 10;
      const plane = {
        rssMb: sum('rssMb'),
        pssMb: sum('pssMb'),
        anonMb: sum('anonMb'),
        fileMb: sum('fileMb'),
      };
      return {
        what,
        server: await memoryOf(serverPid),
        plane,
        distinctMb: await distinctMb([serverPid, ...planePids]),
      };
    };
    const rows = [await measure('idle after start')];
    process.stderr.write(`${REQUESTS} requests to each environment, then ${values.wait} s idle…\n`);
    await load(8080);
    await load(8081);
    await sleep(waitMs);
    rows.push(await measure('idle after traffic'));
    const reference = await memoryOf(bare.pid as number);

    if (values.json) {
      const out = {
        budgetMb: BUDGET_MB,
        start: startLine,
        dataPlaneProcesses: planePids.length,
        reference,
        rows,
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const col = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1)).padStart(9);
    const line = (what: string, cells: Array<number | undefined>) =>
      process.stdout.write(`${what.padEnd(20)}${cells.map(col).join('')}\n`);
    process.stdout.write(
      `\n${'MB'.padEnd(20)}${'server'.padStart(18)}${`data plane (${planePids.length})`.padStart(18)}${'together'.padStart(27)}\n`,
    );
    process.stdout.write(
      `${''.padEnd(20)}${'      RSS      PSS'.repeat(2)}${'      RSS distinct      PSS'}\n`,
    );
    for (const { what, server: s, plane: p, distinctMb: d } of rows) {
      const together = Math.round((s.rssMb + p.rssMb) * 10) / 10;
      line(what, [
        s.rssMb,
        s.pssMb,
        p.rssMb,
        p.pssMb,
        together,
        d,
        Math.round((s.pssMb + p.pssMb) * 10) / 10,
      ]);
    }
    line('bare node (ref.)', [reference.rssMb, reference.pssMb]);
    const last = rows[rows.length - 1];
    process.stdout.write(
      `\nbudget: ${BUDGET_MB} MB for both; two bare node processes: ${(2 * reference.rssMb).toFixed(1)} MB RSS. ` +
        `Pages of the node binary in each RSS (shared): ${last?.server.fileMb} MB and ${last?.plane.fileMb} MB.\n`,
    );
  } finally {
    bare.kill();
    server?.kill('SIGINT');
    await new Promise((r) => server?.once('exit', r));
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
