// Metrics benchmark (npm run bench:metrics): the cost of recording a proxied request, of a canary
// window, and of a 1 h chart query, each beside its budget.
// Usage: node bench/metrics.ts [--records N] [--json]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine, type MetricsEngine } from '../src/metrics/engine.ts';
import type { RequestRecord } from '../src/proxy/types.ts';
import { openStore } from '../src/store/index.ts';

const BUDGET_RECORD_US = 2;
const BUDGET_QUERY_MS = 50;
const VERSIONS = ['v1', 'v2', 'v3', 'v4'];
const CHART_RATE = 200; // req/s per version in the chart and window scenarios

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false },
  },
});
const recordCount = Math.max(10_000, Number(values.records));

/** Deterministic pseudo-random numbers (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Production traffic: mostly 200s, some 404s, rare 500/502 and client aborts; log-normal latencies. */
function makeRecords(n: number, start: number, perSecond: number): RequestRecord[] {
  const random = seeded(7);
  const out: RequestRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const roll = random();
    const status = roll < 0.95 ? 200 : roll < 0.98 ? 404 : roll < 0.99 ? 500 : roll < 0.995 ? 502 : 499;
    const z = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
    out[i] = {
      environment: 'production',
      version: VERSIONS[i % VERSIONS.length] as string,
      instance: 'i1',
      method: 'GET',
      status,
      latencyMs: 25 * Math.exp(0.7 * z),
      at: start + Math.floor((i * 1000) / perSecond),
      ...(status === 502 ? { error: 'upstream_connect' } : status === 499 ? { error: 'client_abort' } : {}),
    };
  }
  return out;
}

function manualClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async () => {},
    set: (ms) => {
      now = ms;
    },
  };
}

/** Mean ns per record() over `records`, best of three fresh engines. */
function measureRecord(records: RequestRecord[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const engine = createMetricsEngine({ service: 'bench', clock: manualClock(records[0]?.at ?? 0) });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < records.length; i++) engine.record(records[i] as RequestRecord);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / records.length);
  }
  return best;
}

/** Mean ms of a window() (reading its latencies too) over the last `seconds` of 15 min at CHART_RATE. */
function measureWindow(engine: MetricsEngine, now: number, seconds: number): number {
  const runs = 200;
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < runs; i++) {
    const w = engine.window('production', 'v1', now - seconds * 1000, now);
    sink += w.latencies.length + (w.p99 ?? 0);
  }
  if (sink < 0) throw new Error('unreachable');
  return (performance.now() - t0) / runs;
}

/** Mean and worst ms of 1 h chart queries at a 10 s step, 4 versions, 45 min of it from rollups. */
async function measureQuery(
  engine: MetricsEngine,
  now: number,
): Promise<Record<string, { mean: number; worst: number }>> {
  const out: Record<string, { mean: number; worst: number }> = {};
  for (const metric of ['http_requests', 'http_5xx_rate', 'http_latency_p99']) {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const series = await engine.query({
        environment: 'production',
        metric,
        from: now - 3600_000,
        to: now,
        step: 10_000,
      });
      times.push(performance.now() - t0);
      if (series.length !== VERSIONS.length)
        throw new Error(`expected ${VERSIONS.length} series, got ${series.length}`);
    }
    out[metric] = { mean: times.reduce((a, b) => a + b, 0) / times.length, worst: Math.max(...times) };
  }
  return out;
}

async function main(): Promise<void> {
  const start = Date.UTC(2026, 4, 1, 12, 0, 0);
  const recordNs = measureRecord(makeRecords(recordCount, start, 10_000));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-metrics-'));
  const store = await openStore({ kind: 'sqlite', path: path.join(dir, 'gantry.db') });
  try {
    // One hour at CHART_RATE per version, rolled up minute by minute as a running server would.
    const clock = manualClock(start);
    const engine = createMetricsEngine({ service: 'bench', store, clock });
    const hour = makeRecords(3600 * CHART_RATE * VERSIONS.length, start, CHART_RATE * VERSIONS.length);
    let next = 0;
    for (let minute = 1; minute <= 60; minute++) {
      const end = start + minute * 60_000;
      while (next < hour.length && (hour[next] as RequestRecord).at < end)
        engine.record(hour[next++] as RequestRecord);
      clock.set(end);
      await engine.tick();
    }
    const now = start + 3600_000;
    const window10 = measureWindow(engine, now, 10);
    const window60 = measureWindow(engine, now, 60);
    const query = await measureQuery(engine, now);
    await engine.stop();
    report({ recordNs, window10, window60, query });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Report {
  recordNs: number;
  window10: number;
  window60: number;
  query: Record<string, { mean: number; worst: number }>;
}

function report(r: Report): void {
  const worstQuery = Math.max(...Object.values(r.query).map((q) => q.worst));
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ ...r, worstQueryMs: worstQuery, records: recordCount }, null, 2)}\n`,
    );
    return;
  }
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const lines = [
    `Metrics benchmark: ${recordCount.toLocaleString('en-US')} records (4 versions, 95 % 2xx, log-normal latencies)`,
    '',
    `record()                      ${r.recordNs.toFixed(0)} ns per request   budget <= ${BUDGET_RECORD_US * 1000} ns   ${verdict(r.recordNs / 1000 <= BUDGET_RECORD_US)}`,
    `window() 10 s at ${CHART_RATE} req/s     ${r.window10.toFixed(3)} ms (with latencies)`,
    `window() 60 s at ${CHART_RATE} req/s     ${r.window60.toFixed(3)} ms (with latencies)`,
  ];
  for (const [metric, q] of Object.entries(r.query)) {
    lines.push(
      `query() 1 h / 10 s, 4 versions, ${metric.padEnd(16)} mean ${q.mean.toFixed(1)} ms, worst ${q.worst.toFixed(1)} ms   budget <= ${BUDGET_QUERY_MS} ms   ${verdict(q.worst <= BUDGET_QUERY_MS)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:metrics failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
