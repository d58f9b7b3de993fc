// Figures for the API hardening of issue 10, each against a real server (a child process running
// the tree given with --root, this repository by default, so an older checkout can be measured
// side by side):
//   node bench/api-hardening.ts audit   [--root DIR]  2,000 token-less POSTs with a 14.6 KB query:
//                                                      audit rows and database growth
//   node bench/api-hardening.ts webhook [--root DIR]  40 concurrent unsigned 24 MB webhook posts:
//                                                      the server's peak RSS (VmHWM)
// The reload figures come from test/config-large.test.ts (it prints them).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';

const repo = fileURLToPath(new URL('..', import.meta.url));
const which = process.argv[2];
const rootAt = process.argv.indexOf('--root');
const root = rootAt > 0 ? path.resolve(process.argv[rootAt + 1] ?? '.') : repo;
const FLOOD = 2000;
const WEBHOOK_POSTS = 40;
const WEBHOOK_BYTES = 24 * 1024 * 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startServer(dir: string, webhook: boolean) {
  const config = path.join(dir, 'gantry.yaml');
  await writeFile(
    config,
    `service: bench\nrun:\n  command: node server.js\nenvironments:\n  staging:\n    listen: 127.0.0.1:${await freePort()}\n${
      webhook ? `triggers:\n  github: { secret: "\${secret:BENCH_WEBHOOK_SECRET}" }\n` : ''
    }`,
  );
  const dataDir = path.join(dir, 'data');
  const proc = spawn(
    process.execPath,
    [
      path.join(root, 'bin/gantry.js'),
      'server',
      '--config',
      config,
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_WEBHOOK_SECRET: randomBytes(16).toString('hex') },
    },
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*gantry server ready/.exec(out);
      if (m?.[1]) resolve(m[1]);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  proc.stdout.resume();
  proc.stderr.resume();
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  return { url, dataDir, pid: proc.pid ?? 0, stop };
}

async function dbBytes(dataDir: string): Promise<number> {
  let total = 0;
  for (const f of ['gantry.db', 'gantry.db-wal'])
    total += (await stat(path.join(dataDir, f)).catch(() => ({ size: 0 }))).size;
  return total;
}

function auditRows(dataDir: string): { rows: number; bytes: number } {
  const db = new DatabaseSync(path.join(dataDir, 'gantry.db'), { readOnly: true });
  try {
    const r = db
      .prepare('select count(*) as n, coalesce(sum(length(details) + length(action)), 0) as b from audit_log')
      .get() as {
      n: number;
      b: number;
    };
    return { rows: r.n, bytes: r.b };
  } finally {
    db.close();
  }
}

async function auditFlood(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-audit-'));
  const server = await startServer(dir, false);
  try {
    const before = { db: await dbBytes(server.dataDir), audit: auditRows(server.dataDir) };
    const query = Array.from({ length: 50 }, (_, i) => `k${i}=${'x'.repeat(290)}`).join('&');
    const agent = new Agent({ connections: 8 });
    const statuses = new Map<number, number>();
    const started = performance.now();
    for (let i = 0; i < FLOOD; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, FLOOD - i) }, async () => {
          const res = await request(`${server.url}/api/v1/releases?${query}`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json' },
            body: '{"environment":"staging","version":"v1"}',
          });
          await res.body.dump();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }),
      );
    }
    const took = performance.now() - started;
    await agent.close();
    await server.stop();
    const after = { db: await dbBytes(server.dataDir), audit: auditRows(server.dataDir) };
    console.log(
      JSON.stringify({
        root,
        requests: FLOOD,
        queryBytes: query.length,
        statuses: Object.fromEntries(statuses),
        seconds: Number((took / 1000).toFixed(1)),
        auditRowsAdded: after.audit.rows - before.audit.rows,
        auditBytesAdded: after.audit.bytes - before.audit.bytes,
        databaseBytesAdded: after.db - before.db,
      }),
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function vm(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

async function webhookFlood(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-webhook-'));
  const server = await startServer(dir, true);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const before = await vm(server.pid);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const agent = new Agent({ connections: WEBHOOK_POSTS });
    const statuses = new Map<number, number>();
    let peak = before.rssMb;
    const sampler = setInterval(() => {
      vm(server.pid).then(
        (v) => {
          peak = Math.max(peak, v.rssMb);
        },
        () => {},
      );
    }, 100);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WEBHOOK_POSTS }, async (_, i) => {
        async function* body() {
          for (let sent = 0; sent < WEBHOOK_BYTES; sent += chunk.length) yield chunk;
        }
        const res = await request(`${server.url}/api/v1/hooks/github`, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/json',
            'content-length': String(WEBHOOK_BYTES),
            'x-github-event': 'push',
            'x-github-delivery': `bench-${i}`,
          },
          body: Readable.from(body()),
        }).catch((err: Error) => ({ statusCode: 0, body: { dump: async () => {} }, err }));
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }),
    );
    const took = performance.now() - started;
    clearInterval(sampler);
    await agent.close();
    const after = await vm(server.pid);
    console.log(
      JSON.stringify({
        root,
        posts: WEBHOOK_POSTS,
        bytesEach: WEBHOOK_BYTES,
        statuses: Object.fromEntries(statuses),
        seconds: Number((took / 1000).toFixed(1)),
        rssBeforeMb: before.rssMb,
        rssSampledPeakMb: peak,
        vmHwmAfterMb: after.peakMb,
      }),
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (which === 'audit') await auditFlood();
else if (which === 'webhook') await webhookFlood();
else {
  console.error('usage: node bench/api-hardening.ts audit|webhook [--root DIR]');
  process.exitCode = 2;
}
