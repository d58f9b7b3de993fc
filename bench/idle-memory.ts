// Idle memory benchmark (npm run bench:memory): the resident memory of `gantry server` and its data
// plane process as `npm start` runs them (the built JavaScript, --max-semi-space-size=4), with the
// bundled example service, first idle after start and then idle again after 2,000 proxied requests
// to each environment. Beside them, in the same run, a bare `node` process as the reference: two
// Node processes cannot weigh less than two of those. RSS counts the pages of the node binary that
// both processes share once in each; PSS splits shared pages between the processes that map them,
// so the PSS sum is what the pair costs the machine. The budget is 150 MB for both.
// Usage: npm run bench:memory [-- --wait 20] [--json]
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
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

async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const mb = (n: number) => Math.round(n / 102.4) / 10;
  return {
    rssMb: mb(kb(status, 'VmRSS')),
    pssMb: mb(kb(rollup, 'Pss')),
    anonMb: mb(kb(status, 'RssAnon')),
    fileMb: mb(kb(status, 'RssFile')),
  };
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
    server = spawn(
      process.execPath,
      [
        '--max-semi-space-size=4',
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
      { cwd: root, stdio: 'ignore' },
    );
    process.stderr.write(`starting the example server; measuring after ${values.wait} s idle…\n`);
    await sleep(waitMs);
    const planePid = Number(
      (await readdir(path.join(dataDir, 'dataplane'))).find((f) => f.endsWith('.sock'))?.slice(0, -5),
    );
    const serverPid = server.pid as number;
    const rows: Array<{ what: string; server: Memory; plane: Memory }> = [];
    rows.push({
      what: 'idle after start',
      server: await memoryOf(serverPid),
      plane: await memoryOf(planePid),
    });
    process.stderr.write(`${REQUESTS} requests to each environment, then ${values.wait} s idle…\n`);
    await load(8080);
    await load(8081);
    await sleep(waitMs);
    rows.push({
      what: 'idle after traffic',
      server: await memoryOf(serverPid),
      plane: await memoryOf(planePid),
    });
    const reference = await memoryOf(bare.pid as number);

    if (values.json) {
      process.stdout.write(`${JSON.stringify({ budgetMb: BUDGET_MB, reference, rows })}\n`);
      return;
    }
    const col = (n: number) => n.toFixed(1).padStart(7);
    const line = (what: string, cells: number[]) =>
      process.stdout.write(`${what.padEnd(20)}${cells.map(col).join('')}\n`);
    process.stdout.write(
      `\n${'MB'.padEnd(20)}${'server'.padStart(14)}${'data plane'.padStart(14)}${'together'.padStart(14)}\n`,
    );
    process.stdout.write(`${''.padEnd(20)}${'    RSS    PSS'.repeat(3)}\n`);
    for (const { what, server: s, plane: p } of rows) {
      line(what, [s.rssMb, s.pssMb, p.rssMb, p.pssMb, s.rssMb + p.rssMb, s.pssMb + p.pssMb]);
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
