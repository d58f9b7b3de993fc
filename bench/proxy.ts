// Proxy benchmark (npm run bench:proxy): throughput and latency direct to an upstream, through
// Gantry's data plane processes (1 and 2 workers, as `gantry server` runs them) and through nginx
// (1 and 2 workers), side by side in one run, against its budgets (the BUDGET_ constants below).
// Upstream, proxies and load generator each run in their own processes; every run is bounded in time.
// Usage: node bench/proxy.ts [--seconds N] [--rounds N] [--tool wrk|autocannon] [--json]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createMemorySink } from '../src/metrics/memory-sink.ts';
import { type Child, startNodeChild } from './children.ts';
import { type GantryPlane, startGantryPlane } from './gantry-plane.ts';
import { CONNECTIONS, hasWrk, type LoadResult, runLoad } from './load.ts';
import { findNginx, startNginx } from './nginx.ts';
import { type PacedResult, runPaced } from './paced-client.ts';

const BUDGET_THROUGHPUT_RATIO = 0.5;
const BUDGET_ADDED_P99_MS = 1;
const BUDGET_SINK_RECORD_US = 2;
const FIXED_RATE = 1000;
const WARMUP_SECONDS = 3;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    tool: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Math.min(10, Math.max(1, Number(values.seconds)));
const rounds = Math.min(5, Math.max(1, Number(values.rounds)));
const dir = new URL('.', import.meta.url).pathname;

const WORKER_COUNTS = [1, 2] as const;

interface Target {
  name: 'direct' | `gantry x${number}` | `nginx x${number}`;
  port: number;
  best?: LoadResult;
  runs: LoadResult[];
}

async function main(): Promise<void> {
  if (values.tool !== undefined && values.tool !== 'wrk' && values.tool !== 'autocannon') {
    throw new Error(`--tool must be wrk or autocannon, got "${values.tool}"`);
  }
  const useWrk = values.tool === undefined ? hasWrk() : values.tool === 'wrk';
  if (useWrk && !hasWrk())
    throw new Error('wrk is not installed: apt-get install -y wrk, or pass --tool autocannon');
  const nginxBin = findNginx();
  const started: Array<Pick<Child, 'stop'>> = [];
  try {
    const upstream = await startNodeChild(`${dir}upstream.ts`, []);
    started.push(upstream);
    const targets: Target[] = [{ name: 'direct', port: upstream.port, runs: [] }];
    const gantryPlanes: GantryPlane[] = [];
    for (const workers of WORKER_COUNTS) {
      const gantry = await startGantryPlane(upstream.port, workers);
      started.push(gantry);
      gantryPlanes.push(gantry);
      targets.push({ name: `gantry x${workers}`, port: gantry.port, runs: [] });
    }
    for (const workers of nginxBin ? WORKER_COUNTS : []) {
      const nginx = await startNginx(nginxBin as string, upstream.port, workers);
      started.push(nginx);
      targets.push({ name: `nginx x${workers}`, port: nginx.port, runs: [] });
    }
    const gantry = targets[1] as Target;
    const idleRssMb = await rssMb((await gantryPlanes[0]?.plane.pids())?.[0]);
    for (const t of targets) await runLoad(url(t.port), WARMUP_SECONDS, useWrk);
    // Rounds interleave the targets so a burst of noise from other processes hits them alike.
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) t.runs.push(await runLoad(url(t.port), seconds, useWrk));
    }
    for (const t of targets) t.best = t.runs.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));

    const paced: Record<'direct' | 'gantry', PacedResult[]> = { direct: [], gantry: [] };
    for (let r = 0; r < rounds; r++) {
      paced.direct.push(await runPaced(upstream.port, FIXED_RATE, seconds));
      paced.gantry.push(await runPaced(gantry.port, FIXED_RATE, seconds));
    }
    const calmest = (runs: PacedResult[]) => runs.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
    const pacedDirect = calmest(paced.direct);
    const pacedGantry = calmest(paced.gantry);
    const sinkUs = measureSinkRecord();

    report({ useWrk, nginxBin, targets, pacedDirect, pacedGantry, sinkUs, idleRssMb });
  } finally {
    for (const c of started.reverse()) await c.stop();
  }
}

function url(port: number): string {
  return `http://127.0.0.1:${port}/`;
}

/** Mean cost of MemorySink.record() over a million records, in microseconds. */
function measureSinkRecord(): number {
  const sink = createMemorySink({ capacity: 100_000 });
  const n = 1_000_000;
  const versions = ['v1', 'v2'];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    sink.record({
      environment: 'production',
      version: versions[i & 1] as string,
      instance: 'i1',
      method: 'GET',
      status: i % 50 === 0 ? 503 : 200,
      latencyMs: 0.5,
      at: 0,
      error: undefined,
    });
  }
  return ((performance.now() - t0) * 1000) / n;
}

interface Report {
  useWrk: boolean;
  nginxBin: string | undefined;
  targets: Target[];
  pacedDirect: PacedResult;
  pacedGantry: PacedResult;
  sinkUs: number;
  /** Resident memory of one idle data plane process (before any load). */
  idleRssMb: number;
}

function report(r: Report): void {
  const by = (name: Target['name']) => r.targets.find((t) => t.name === name)?.best;
  const ratios = WORKER_COUNTS.map((workers) => {
    const gantry = by(`gantry x${workers}`) as LoadResult;
    const nginx = by(`nginx x${workers}`);
    return { workers, ratio: nginx ? gantry.requestsPerSec / nginx.requestsPerSec : undefined };
  });
  const direct = by('direct') as LoadResult;
  const addedP99 = r.pacedGantry.p99Ms - r.pacedDirect.p99Ms;
  if (values.json) {
    const summary = { ratios, addedP99Ms: addedP99, sinkRecordUs: r.sinkUs, ...r };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const tool = r.useWrk
    ? `wrk -t1 -c${CONNECTIONS}`
    : `autocannon -c${CONNECTIONS} (latencies in whole milliseconds)`;
  const lines = [
    `Proxy benchmark: ${tool}, ${seconds} s per run, best of ${rounds} interleaved rounds, loopback`,
    '',
    `${'target'.padEnd(10)} ${'req/s'.padStart(9)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}  errors  all runs (req/s)`,
  ];
  for (const t of r.targets) {
    const b = t.best as LoadResult;
    const all = t.runs.map((x) => Math.round(x.requestsPerSec)).join(', ');
    lines.push(
      `${t.name.padEnd(10)} ${fmtInt(b.requestsPerSec).padStart(9)} ${ms(b.p50Ms).padStart(9)} ${ms(b.p99Ms).padStart(9)}  ${String(b.errors).padStart(6)}  ${all}`,
    );
  }
  if (!r.nginxBin) lines.push('nginx      skipped: nginx is not installed (apt-get install -y nginx)');
  lines.push('');
  for (const { workers, ratio } of ratios) {
    const gantry = by(`gantry x${workers}`) as LoadResult;
    lines.push(
      ratio === undefined
        ? `Gantry / nginx throughput, ${workers} worker(s): n/a (no nginx)`
        : `Gantry / nginx throughput, ${workers} worker(s): ${pct(ratio)}   budget >= ${pct(BUDGET_THROUGHPUT_RATIO)}   ${verdict(ratio >= BUDGET_THROUGHPUT_RATIO)}` +
            `   (Gantry / direct ${pct(gantry.requestsPerSec / direct.requestsPerSec)})`,
    );
  }
  lines.push(
    `Fixed rate ${FIXED_RATE} req/s for ${seconds} s: p99 direct ${ms(r.pacedDirect.p99Ms)}, through Gantry x1 ${ms(r.pacedGantry.p99Ms)}` +
      ` (p50 ${ms(r.pacedDirect.p50Ms)} / ${ms(r.pacedGantry.p50Ms)}, lowest p99 of ${rounds} rounds,` +
      ` errors ${r.pacedDirect.errors + r.pacedGantry.errors}, queued ${r.pacedDirect.queued + r.pacedGantry.queued})`,
  );
  lines.push(
    `Added p99 at ${FIXED_RATE} req/s: ${ms(addedP99)}   budget <= ${ms(BUDGET_ADDED_P99_MS)}   ${verdict(addedP99 <= BUDGET_ADDED_P99_MS)}`,
  );
  lines.push(
    `Recording a request (memory sink): ${r.sinkUs.toFixed(3)} µs   budget <= ${BUDGET_SINK_RECORD_US} µs   ${verdict(r.sinkUs <= BUDGET_SINK_RECORD_US)}`,
  );
  lines.push(`Idle data plane process: ${r.idleRssMb} MB resident`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** VmRSS of a process in MB (0 when it cannot be read). */
async function rssMb(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (v: number) => `${v.toFixed(2)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

main().catch((err: unknown) => {
  process.stderr.write(`bench:proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
