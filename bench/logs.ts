// Logs benchmark (npm run bench:logs): lines/s ingested end to end from a chatty real process run by
// the process runtime while the same process serves HTTP load, full-text search time over 1 M stored
// lines (p50/p99 of several queries), and database size per million lines, beside the budgets.
// Usage: node bench/logs.ts [--lines 1000000] [--json]
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/index.ts';
import { captureRuntimeLogs, createLogService } from '../src/logs/index.ts';
import { createProcessDriver } from '../src/runtime/index.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { fillLogs } from './log-mix.ts';

const BUDGET_LINES_PER_S = 50_000;
const BUDGET_SEARCH_MS = 200;

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false },
  },
});
const totalLines = Math.max(10_000, Number(values.lines));
/** Lines the chatty instance prints in the ingest run. */
const CHATTY_LINES = 500_000;

// Prints pino-like JSON, logfmt and plain lines as fast as stdout takes them, and answers HTTP.
const CHATTY = `
import http from 'node:http';
const server = http.createServer((req, res) => res.end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1');
let n = 0;
const batch = () => {
  let s = '';
  for (let i = 0; i < 500; i++, n++) {
    const k = n % 3;
    if (k === 0) s += '{"level":30,"time":' + Date.now() + ',"msg":"request done","path":"/api/orders/' + n + '","status":200}\\n';
    else if (k === 1) s += 'level=warn msg="slow query" table=orders ms=' + (n % 997) + ' id=' + n + '\\n';
    else s += 'GET /api/items/' + n + ' 200 ' + (n % 50) + 'ms user=' + (n % 1000) + '\\n';
  }
  const more = process.stdout.write(s);
  // A fixed amount of output, so the run ends: the bench times how fast Gantry takes it all in.
  if (n >= Number(process.env.CHATTY_LINES)) return;
  if (more) setImmediate(batch); else process.stdout.once('drain', batch);
};
batch();
`;

function config(dir: string) {
  return parseConfig(
    `service: bench
run: { command: node chatty.mjs }
environments:
  production: { listen: 127.0.0.1:18080 }
logs:
  retention: { age: 3650d, size: 1000GB }
  patterns:
    - { name: slow, match: "slow query" }
`,
    `${dir}/gantry.yaml`,
  );
}

async function dbBytes(file: string): Promise<number> {
  let total = 0;
  for (const f of [file, `${file}-wal`])
    total += await stat(f).then(
      (s) => s.size,
      () => 0,
    );
  return total;
}

async function benchIngest(
  dir: string,
): Promise<{ linesPerS: number; requestsPerS: number; dropped: number }> {
  const app = path.join(dir, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(path.join(app, 'chatty.mjs'), CHATTY);
  const store = await openStore({ kind: 'sqlite', path: path.join(dir, 'ingest.db') });
  const cfg = config(dir);
  const secrets = ['not-in-output-secret'];
  const logs = createLogService({ config: () => cfg, store, redact: () => secrets });
  await logs.start();
  const driver = createProcessDriver({ dataDir: path.join(dir, 'data') });
  captureRuntimeLogs(driver, logs);
  const info = await driver.start({
    id: 'production-v1-bench',
    service: 'bench',
    environment: 'production',
    version: 'v1',
    artifact: { kind: 'directory', directory: app },
    command: 'node chatty.mjs',
    env: {
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      CHATTY_LINES: String(CHATTY_LINES),
    },
    portEnv: 'PORT',
    stopTimeoutMs: 10_000,
  });
  // From the first line to the last one stored, while HTTP requests to the instance go on.
  const t0 = performance.now();
  const deadline = Date.now() + 120_000;
  // The HTTP load comes from its own process, as real clients would: in this one it would compete
  // with the ingest for the event loop and measure the bench, not Gantry.
  const load = startLoadProcess(`http://127.0.0.1:${info.port}/`);
  while (logs.stats().written + logs.stats().dropped < CHATTY_LINES && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await logs.flush();
  const elapsed = (performance.now() - t0) / 1000;
  const requests = await load.stop();
  const written = logs.stats().written;
  await driver.close({ stopInstances: true, graceMs: 2000 });
  await logs.stop();
  const dropped = logs.stats().dropped;
  await store.close();
  return { linesPerS: written / elapsed, requestsPerS: requests / elapsed, dropped };
}

// Keeps 10 requests in flight until stdin closes, then prints how many were answered.
const LOAD = `
let answered = 0;
let done = false;
process.stdin.on('end', () => { done = true; }).resume();
const worker = async () => {
  while (!done) {
    try {
      const res = await fetch(process.argv[1], { signal: AbortSignal.timeout(1000) });
      await res.text();
      answered++;
    } catch {}
  }
};
await Promise.all(Array.from({ length: 10 }, worker));
process.stdout.write(String(answered));
`;

function startLoadProcess(url: string): { stop(): Promise<number> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', LOAD, url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.stdin.end();
      await exited;
      return Number(out) || 0;
    },
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function benchSearch(dir: string) {
  const file = path.join(dir, 'search.db');
  const store: Store = await openStore({ kind: 'sqlite', path: file });
  const cfg = config(dir);
  const noSecrets: string[] = [];
  const logs = createLogService({ config: () => cfg, store, redact: () => noSecrets });
  const fillRate = await fillLogs(logs, totalLines);
  const queries = [
    { q: 'payment failed', limit: 100 },
    { q: '"payment failed"', environment: 'production', limit: 100 },
    { q: 'card_declined', level: 'error' as const, limit: 100 },
    { q: 'refund invoice', environment: 'staging', version: 'v1', limit: 100 },
    { q: 'checkout', since: new Date(Date.now() - 60_000).toISOString(), limit: 100 },
    { q: 'request 777777', limit: 100 },
    { q: 'handled', limit: 500 },
    { environment: 'production', level: 'error' as const, limit: 100 },
  ];
  const times: number[] = [];
  const perQuery: Array<{ query: string; ms: number; rows: number }> = [];
  for (let round = 0; round < 5; round++) {
    for (const q of queries) {
      const t0 = performance.now();
      const rows = await logs.search(q);
      const ms = performance.now() - t0;
      times.push(ms);
      if (round === 4) perQuery.push({ query: JSON.stringify(q), ms, rows: rows.length });
    }
  }
  times.sort((a, b) => a - b);
  await store.close();
  const bytes = await dbBytes(file);
  return {
    fillRate,
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    perQuery,
    bytesPerMillion: (bytes / totalLines) * 1e6,
  };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-logs-'));
try {
  const ingest = await benchIngest(dir);
  const search = await benchSearch(dir);
  const result = { ingest, search, lines: totalLines };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const ok = (good: boolean) => (good ? 'ok' : 'OVER BUDGET');
    console.log(
      `ingest of ${CHATTY_LINES} lines from a chatty instance under HTTP load (${Math.round(ingest.requestsPerS)} req/s served meanwhile):`,
    );
    console.log(
      `  ${Math.round(ingest.linesPerS)} lines/s stored   budget ≥ ${BUDGET_LINES_PER_S}   ${ok(ingest.linesPerS >= BUDGET_LINES_PER_S)}   (dropped ${ingest.dropped})`,
    );
    console.log(
      `ingest path alone (parse, redact, count, batch, insert): ${Math.round(search.fillRate)} lines/s`,
    );
    console.log(
      `full-text search over ${totalLines} lines: p50 ${search.p50.toFixed(1)} ms, p99 ${search.p99.toFixed(1)} ms   budget ≤ ${BUDGET_SEARCH_MS} ms   ${ok(search.p99 <= BUDGET_SEARCH_MS)}`,
    );
    for (const q of search.perQuery)
      console.log(`  ${q.ms.toFixed(1).padStart(7)} ms  ${String(q.rows).padStart(4)} rows  ${q.query}`);
    console.log(`database size: ${(search.bytesPerMillion / 1024 ** 2).toFixed(0)} MB per million lines`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
