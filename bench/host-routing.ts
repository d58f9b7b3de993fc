// Host routing benchmark (npm run bench:hosts): throughput and latency direct to an upstream, through
// Gantry's data plane (one listener with one route, and shared by 10 and by 1,000 routes chosen by
// Host) and through nginx, side by side in one run, against its budgets (the BUDGET_ constants below).
// Upstream, proxy and load generator each run in their own process; every run is bounded in time.
// (bench/proxy.ts compares the data plane processes, 1 and 2 workers, with nginx.)
// Usage: node bench/host-routing.ts [--seconds N] [--rounds N] [--tool wrk|autocannon] [--json]

import type { IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import { createMemorySink } from '../src/metrics/memory-sink.ts';
import { buildListenerRoutes, chooseRoute } from '../src/proxy/host-routing.ts';
import { buildRoutingTable } from '../src/proxy/routing-table.ts';
import { type Child, startNodeChild } from './children.ts';
import { benchHost, CONNECTIONS, hasWrk, type LoadResult, runLoad } from './load.ts';
import { findNginx, startNginx } from './nginx.ts';
import { type PacedResult, runPaced } from './paced-client.ts';

const BUDGET_THROUGHPUT_RATIO = 0.5;
const BUDGET_ADDED_P99_MS = 1;
const BUDGET_SINK_RECORD_US = 2;
/** Throughput lost to choosing among 1,000 routes by Host, against a listener with one route. */
const BUDGET_HOST_ROUTING_COST = 0.05;
const HOST_COUNTS = [10, 1000] as const;
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

interface Target {
  name: string;
  port: number;
  /** Host header to send (a route of the host-routing listeners). */
  host?: string;
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
  const started: Child[] = [];
  try {
    const upstream = await startNodeChild(`${dir}upstream.ts`, []);
    started.push(upstream);
    const gantry = await startNodeChild(`${dir}proxy-child.ts`, [`http://127.0.0.1:${upstream.port}`]);
    started.push(gantry);
    const hostTargets: Target[] = [];
    for (const n of HOST_COUNTS) {
      const child = await startNodeChild(`${dir}proxy-child.ts`, [
        `http://127.0.0.1:${upstream.port}`,
        '--hosts',
        String(n),
      ]);
      started.push(child);
      hostTargets.push({
        name: `${n} hosts`,
        port: child.port,
        host: benchHost(Math.floor(n / 2)),
        runs: [],
      });
    }
    const nginx = nginxBin ? await startNginx(nginxBin, upstream.port) : undefined;
    if (nginx) started.push(nginx);

    const targets: Target[] = [
      { name: 'direct', port: upstream.port, runs: [] },
      { name: 'gantry', port: gantry.port, runs: [] },
      ...hostTargets,
      ...(nginx ? [{ name: 'nginx', port: nginx.port, runs: [] }] : []),
    ];
    for (const t of targets) await runLoad(url(t.port), WARMUP_SECONDS, useWrk, t.host);
    // Rounds interleave the targets so a burst of noise from other processes hits them alike.
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) t.runs.push(await runLoad(url(t.port), seconds, useWrk, t.host));
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
    const choiceNs = measureHostChoice();

    report({ useWrk, nginxBin, targets, pacedDirect, pacedGantry, sinkUs, choiceNs });
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

/**
 * Mean cost of choosing a request's route in-process, in nanoseconds: a listener with one route
 * (no hosts), and 10 and 1,000 routes chosen by an exact name or by a wildcard. On a loaded
 * machine this is steadier than comparing throughputs, and it is all that host routing adds.
 */
function measureHostChoice(): Record<string, number> {
  const listenerOf = (n: number, wildcard: boolean) =>
    buildListenerRoutes(
      Array.from({ length: n }, (_, i) => {
        const route = { environment: `h${i}`, listen: '127.0.0.1:8080', pools: [] };
        const hosts = n === 1 && !wildcard ? undefined : [wildcard ? `*.h${i}.bench.test` : benchHost(i)];
        return { hosts, table: buildRoutingTable(route, new Map()) };
      }),
    );
  const requestFor = (host: string) => ({ headers: { host: `${host}:8080` }, socket: {} }) as IncomingMessage;
  const cases: Array<[string, ReturnType<typeof listenerOf>, IncomingMessage]> = [
    ['one route', listenerOf(1, false), requestFor('127.0.0.1')],
    ...HOST_COUNTS.map((n): [string, ReturnType<typeof listenerOf>, IncomingMessage] => [
      `${n} exact`,
      listenerOf(n, false),
      requestFor(benchHost(Math.floor(n / 2))),
    ]),
    ...HOST_COUNTS.map((n): [string, ReturnType<typeof listenerOf>, IncomingMessage] => [
      `${n} wildcard`,
      listenerOf(n, true),
      requestFor(`www.${benchHost(Math.floor(n / 2))}`),
    ]),
  ];
  // The lowest of several rounds, interleaved: the machine's other work only ever adds time.
  const n = 200_000;
  const out: Record<string, number> = {};
  for (let round = 0; round < 5; round++) {
    for (const [name, routes, req] of cases) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) chooseRoute(routes, req);
      const ns = ((performance.now() - t0) * 1e6) / n;
      out[name] = Math.min(out[name] ?? ns, ns);
    }
  }
  return out;
}

interface Report {
  useWrk: boolean;
  nginxBin: string | undefined;
  targets: Target[];
  pacedDirect: PacedResult;
  pacedGantry: PacedResult;
  sinkUs: number;
  choiceNs: Record<string, number>;
}

function report(r: Report): void {
  const by = (name: string) => r.targets.find((t) => t.name === name)?.best;
  const gantry = by('gantry') as LoadResult;
  const nginx = by('nginx');
  const ratio = nginx ? gantry.requestsPerSec / nginx.requestsPerSec : undefined;
  const addedP99 = r.pacedGantry.p99Ms - r.pacedDirect.p99Ms;
  if (values.json) {
    const hostRoutingCost = Object.fromEntries(
      HOST_COUNTS.map((n) => [
        n,
        1 - (by(`${n} hosts`) as LoadResult).requestsPerSec / gantry.requestsPerSec,
      ]),
    );
    const summary = { ratio, addedP99Ms: addedP99, sinkRecordUs: r.sinkUs, hostRoutingCost, ...r };
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
  if (!nginx) lines.push('nginx      skipped: nginx is not installed (apt-get install -y nginx)');
  lines.push('');
  for (const n of HOST_COUNTS) {
    const cost = 1 - (by(`${n} hosts`) as LoadResult).requestsPerSec / gantry.requestsPerSec;
    const budget =
      n === 1000
        ? `   budget <= ${pct(BUDGET_HOST_ROUTING_COST)}   ${verdict(cost <= BUDGET_HOST_ROUTING_COST)}`
        : '';
    lines.push(
      `Host routing, ${n} routes on one listener vs one route: ${pctFine(cost)} less throughput${budget}`,
    );
  }
  const perRequestNs = 1e9 / gantry.requestsPerSec;
  const choice = Object.entries(r.choiceNs)
    .map(([name, ns]) => `${name} ${ns.toFixed(0)} ns`)
    .join(', ');
  const added = Math.max(0, (r.choiceNs['1000 wildcard'] ?? 0) - (r.choiceNs['one route'] ?? 0));
  lines.push(`Route choice per request (in-process): ${choice}`);
  lines.push(
    `  1,000 routes (wildcard, the slower) add ${added.toFixed(0)} ns to the ${fmtInt(perRequestNs)} ns a request costs at Gantry's throughput above: ${pctFine(added / perRequestNs)}   budget <= ${pct(BUDGET_HOST_ROUTING_COST)}   ${verdict(added / perRequestNs <= BUDGET_HOST_ROUTING_COST)}`,
  );
  lines.push(
    ratio === undefined
      ? 'Gantry / nginx throughput: n/a (no nginx)'
      : `Gantry / nginx throughput: ${pct(ratio)}   budget >= ${pct(BUDGET_THROUGHPUT_RATIO)}   ${verdict(ratio >= BUDGET_THROUGHPUT_RATIO)}`,
  );
  if (ratio !== undefined) {
    lines.push(
      `Gantry / direct throughput: ${pct(gantry.requestsPerSec / (by('direct') as LoadResult).requestsPerSec)}`,
    );
  }
  lines.push(
    `Fixed rate ${FIXED_RATE} req/s for ${seconds} s: p99 direct ${ms(r.pacedDirect.p99Ms)}, through Gantry ${ms(r.pacedGantry.p99Ms)}` +
      ` (p50 ${ms(r.pacedDirect.p50Ms)} / ${ms(r.pacedGantry.p50Ms)}, lowest p99 of ${rounds} rounds,` +
      ` errors ${r.pacedDirect.errors + r.pacedGantry.errors}, queued ${r.pacedDirect.queued + r.pacedGantry.queued})`,
  );
  lines.push(
    `Added p99 at ${FIXED_RATE} req/s: ${ms(addedP99)}   budget <= ${ms(BUDGET_ADDED_P99_MS)}   ${verdict(addedP99 <= BUDGET_ADDED_P99_MS)}`,
  );
  lines.push(
    `Recording a request (memory sink): ${r.sinkUs.toFixed(3)} µs   budget <= ${BUDGET_SINK_RECORD_US} µs   ${verdict(r.sinkUs <= BUDGET_SINK_RECORD_US)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (v: number) => `${v.toFixed(2)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const pctFine = (v: number) => `${(v * 100).toFixed(1)} %`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

main().catch((err: unknown) => {
  process.stderr.write(`bench:proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
