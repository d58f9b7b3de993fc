// Store benchmark (npm run bench:store): the same operations on SQLite and on PostgreSQL in one run,
// side by side. Sections: the release path (create, transitions, events, history), metric rollups
// (a day of minutes written, an hour's chart read), and logs (ingest, then full-text search over
// 1 M lines beside the 200 ms p99 budget). A section is one entry of SECTIONS: more (backups) add
// theirs there.
//
// PostgreSQL: --postgres URL of an empty database, else a throw-away cluster started here with
// PostgreSQL's defaults but synchronous_commit=off, which is what SQLite's WAL with synchronous=NORMAL
// does: no fsync per commit, nothing lost when a process dies, the last commits at risk only when
// the machine does. (With synchronous_commit=on every commit waits for a disk flush.)
// Usage: node bench/store.ts [--lines 1000000] [--releases 300] [--postgres URL] [--only SECTION] [--json]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseConfig } from '../src/config/index.ts';
import { createLogService } from '../src/logs/index.ts';
import { mergeRollups } from '../src/metrics/rollup.ts';
import { createSketch, serializeSketch } from '../src/metrics/sketch.ts';
import { type MetricRollupRecord, openStore, type Store, type StoreOptions } from '../src/store/index.ts';
import {
  createDatabase,
  type PostgresCluster,
  startPostgresCluster,
  stopPostgresCluster,
} from '../test/helpers/postgres.ts';
import { fillLogs } from './log-mix.ts';

const BUDGET_SEARCH_MS = 200;

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    releases: { type: 'string', default: '300' },
    postgres: { type: 'string' },
    /** Runs only the sections whose title starts with this (e.g. `logs`). */
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const LOG_LINES = Math.max(10_000, Number(values.lines));
const RELEASES = Math.max(10, Number(values.releases));

type Kind = StoreOptions['kind'];

/** One measured figure of a section on one store kind. */
interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The budget the figure must stay under (or, with `atLeast`, over). */
  budget?: { limit: number; atLeast?: boolean };
}

/** Fresh, empty databases of one kind: each section measures on its own. */
interface Target {
  kind: Kind;
  fresh(name: string): Promise<StoreOptions>;
  /** Bytes the database takes on disk. */
  size(opts: StoreOptions): Promise<number>;
}

interface Section {
  title: string;
  run(target: Target): Promise<Figure[]>;
}

const SECTIONS: Section[] = [
  { title: 'release path', run: benchReleasePath },
  { title: 'metric rollups', run: benchRollups },
  { title: `logs (${LOG_LINES.toLocaleString('en')} lines)`, run: benchLogs },
];

// ---- release path ----

async function benchReleasePath(target: Target): Promise<Figure[]> {
  const store = await openStore(await target.fresh('releases'));
  try {
    await store.services.upsert('shop');
    const creates: number[] = [];
    const transitions: number[] = [];
    const events: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < RELEASES; i++) {
      const environment = `env-${i % 5}`;
      const id = `rel_${String(i).padStart(6, '0')}`;
      creates.push(
        await timed(() =>
          store.releases.create({
            id,
            service: 'shop',
            environment,
            kind: 'deploy',
            version: `v${i}`,
            previousVersion: i >= 5 ? `v${i - 5}` : null,
            strategy: 'rolling',
            ref: 'refs/heads/main',
            createdBy: 'bench',
            plan: { newInstanceIds: [`${environment}-v${i}-a`], oldInstanceIds: [] },
          }),
        ),
      );
      for (const state of ['starting', 'verifying', 'switching', 'draining', 'succeeded'] as const) {
        transitions.push(
          await timed(() =>
            store.releases.transition(id, {
              state,
              message: `now ${state}`,
              ...(state === 'switching' ? { setCurrentVersion: `v${i}` } : {}),
            }),
          ),
        );
        events.push(
          await timed(() =>
            store.releases.appendEvent(id, { type: 'instance', message: 'ready', data: { n: i } }),
          ),
        );
      }
    }
    const releasesPerS = RELEASES / ((performance.now() - t0) / 1000);
    const history: number[] = [];
    for (let i = 0; i < 50; i++) {
      history.push(
        await timed(() => store.releases.list({ service: 'shop', environment: 'env-1', limit: 50 })),
      );
      history.push(await timed(() => store.releases.events(`rel_${String(i * 3).padStart(6, '0')}`)));
    }
    return [
      { name: 'whole releases (create, 5 transitions, 5 events)', value: releasesPerS, unit: '/s' },
      ...percentiles('create', creates),
      ...percentiles('transition', transitions),
      ...percentiles('append event', events),
      ...percentiles('history page / events', history),
    ];
  } finally {
    await store.close();
  }
}

// ---- metric rollups ----

/** A day of minutes for 3 environments × 2 versions, written an hour at a time as the engine would. */
async function benchRollups(target: Target): Promise<Figure[]> {
  const store = await openStore(await target.fresh('rollups'));
  try {
    const sketch = createSketch();
    for (let i = 0; i < 500; i++) sketch.accept(5 + (i % 200));
    const serialized = serializeSketch(sketch);
    const day0 = Date.UTC(2026, 11, 1);
    const writes: number[] = [];
    let rows = 0;
    for (let hour = 0; hour < 24; hour++) {
      const batch: MetricRollupRecord[] = [];
      for (let m = 0; m < 60; m++) {
        const minute = new Date(day0 + (hour * 60 + m) * 60_000).toISOString();
        for (const environment of ['production', 'staging', 'canary'])
          for (const version of ['v1', 'v2'])
            batch.push({
              service: 'shop',
              environment,
              version,
              minute,
              requests: 12_000,
              c2xx: 11_900,
              c3xx: 0,
              c4xx: 80,
              c5xx: 20,
              clientAborts: 3,
              latencySumMs: 12_000 * 21.5,
              sketch: serialized,
            });
      }
      rows += batch.length;
      writes.push(await timed(() => store.metrics.add(batch, mergeRollups)));
    }
    const reads: number[] = [];
    for (let i = 0; i < 40; i++) {
      const from = new Date(day0 + (i % 23) * 3_600_000).toISOString();
      const to = new Date(day0 + ((i % 23) + 1) * 3_600_000).toISOString();
      reads.push(
        await timed(() => store.metrics.list({ service: 'shop', environment: 'production', from, to })),
      );
    }
    const writeSeconds = writes.reduce((a, b) => a + b, 0) / 1000;
    return [
      { name: 'rows written', value: rows / writeSeconds, unit: 'rows/s' },
      ...percentiles('1 h chart read (120 rows)', reads),
    ];
  } finally {
    await store.close();
  }
}

// ---- logs ----

function logConfig() {
  return parseConfig(
    `service: bench
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
  staging: { listen: 127.0.0.1:18081 }
logs:
  retention: { age: 3650d, size: 1000GB }
`,
    'gantry.yaml',
  );
}

async function benchLogs(target: Target): Promise<Figure[]> {
  const opts = await target.fresh('logs');
  const store: Store = await openStore(opts);
  try {
    const cfg = logConfig();
    const noSecrets: string[] = [];
    const logs = createLogService({ config: () => cfg, store, redact: () => noSecrets });
    const linesPerS = await fillLogs(logs, LOG_LINES);
    // PostgreSQL's planner reads the index statistics that autovacuum would gather after such a
    // load; gathered now, so the searches do not depend on when autovacuum wakes.
    if (opts.kind === 'postgresql') await analyze(opts.url);
    const queries = [
      { q: 'payment failed', limit: 100 },
      { q: '"payment failed"', environment: 'production', limit: 100 },
      { q: 'card_declined', level: 'error' as const, limit: 100 },
      { q: 'refund invoice', environment: 'staging', version: 'v1', limit: 100 },
      { q: 'checkout', since: new Date(Date.now() - 60_000).toISOString(), limit: 100 },
      { q: 'request 777777', limit: 100 },
      { q: 'handled', limit: 500 },
      { q: 'ymen', limit: 100 },
      { environment: 'production', level: 'error' as const, limit: 100 },
    ];
    const times: number[] = [];
    const perQuery = queries.map(() => [] as number[]);
    for (let round = 0; round < 5; round++) {
      for (const [i, q] of queries.entries()) {
        const ms = await timed(() => logs.search(q));
        times.push(ms);
        perQuery[i]?.push(ms);
      }
    }
    const [p50, p99] = [quantile(times, 0.5), quantile(times, 0.99)];
    const bytes = await target.size(opts);
    return [
      { name: 'ingest (parse, redact, batch, insert)', value: linesPerS, unit: 'lines/s' },
      { name: 'search p50', value: p50, unit: 'ms' },
      { name: 'search p99', value: p99, unit: 'ms', budget: { limit: BUDGET_SEARCH_MS } },
      ...queries.map((q, i) => ({
        name: `  median ${describeQuery(q)}`,
        value: quantile(perQuery[i] ?? [], 0.5),
        unit: 'ms',
      })),
      { name: 'database size per million lines', value: ((bytes / LOG_LINES) * 1e6) / 1024 ** 2, unit: 'MB' },
    ];
  } finally {
    await store.close();
  }
}

function describeQuery(q: Record<string, unknown>): string {
  const { limit: _limit, since, ...rest } = q;
  const text = Object.entries(rest)
    .map(([k, v]) => (k === 'q' ? String(v) : `${k}=${v}`))
    .join(' ');
  return since === undefined ? text : `${text} (last minute)`;
}

async function analyze(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('analyze log_lines');
  } finally {
    await client.end();
  }
}

// ---- the run ----

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function percentiles(name: string, ms: number[]): Figure[] {
  return [
    { name: `${name} p50`, value: quantile(ms, 0.5), unit: 'ms' },
    { name: `${name} p99`, value: quantile(ms, 0.99), unit: 'ms' },
  ];
}

function sqliteTarget(dir: string): Target {
  return {
    kind: 'sqlite',
    fresh: async (name) => ({ kind: 'sqlite', path: path.join(dir, `${name}.db`) }),
    async size(opts) {
      if (opts.kind !== 'sqlite') throw new Error('not an SQLite store');
      let total = 0;
      for (const f of [opts.path, `${opts.path}-wal`])
        total += await stat(f).then(
          (s) => s.size,
          () => 0,
        );
      return total;
    },
  };
}

function postgresTarget(url: string | undefined, cluster: PostgresCluster | undefined): Target {
  return {
    kind: 'postgresql',
    async fresh(name) {
      if (cluster) return { kind: 'postgresql', url: await createDatabase(cluster, `bench_${name}`) };
      if (!url) throw new Error('no PostgreSQL to run on');
      // A database given with --postgres must be empty; the sections write their own tables in it.
      return { kind: 'postgresql', url };
    },
    async size(opts) {
      if (opts.kind !== 'postgresql') throw new Error('not a PostgreSQL store');
      const client = new pg.Client({ connectionString: opts.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>(
          'select pg_database_size(current_database()) as n',
        );
        return Number(rows[0]?.n);
      } finally {
        await client.end();
      }
    },
  };
}

function format(f: Figure | undefined): string {
  if (!f) return '—';
  const digits = f.unit === 'ms' ? (f.value < 10 ? 2 : 1) : 0;
  return `${f.value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${f.unit}`;
}

function verdict(f: Figure | undefined): string {
  if (!f?.budget) return '';
  const ok = f.budget.atLeast ? f.value >= f.budget.limit : f.value <= f.budget.limit;
  return `${ok ? 'ok' : 'OVER BUDGET'} (${f.budget.atLeast ? '≥' : '≤'} ${f.budget.limit} ${f.unit})`;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-store-'));
// The cluster's directory belongs to the postgres user (when run as root): one of its own.
const clusterDir = values.postgres ? undefined : await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-pg-'));
let cluster: PostgresCluster | undefined;
try {
  if (clusterDir) cluster = await startPostgresCluster(clusterDir, { settings: ['synchronous_commit=off'] });
  const targets = [sqliteTarget(dir), postgresTarget(values.postgres, cluster)];
  const results: Array<{ section: string; figures: Record<Kind, Figure[]> }> = [];
  for (const section of SECTIONS.filter((s) => s.title.startsWith(values.only ?? ''))) {
    const figures = {} as Record<Kind, Figure[]>;
    for (const target of targets) figures[target.kind] = await section.run(target);
    results.push({ section: section.title, figures });
    if (!values.json) {
      console.log(`\n${section.title}`);
      console.log(`  ${'figure'.padEnd(52)} ${'SQLite'.padStart(16)} ${'PostgreSQL'.padStart(16)}`);
      for (const [i, f] of figures.sqlite.entries()) {
        const other = figures.postgresql[i];
        const budget = [verdict(f), verdict(other)].filter(Boolean).join(' / ');
        console.log(
          `  ${f.name.padEnd(52)} ${format(f).padStart(16)} ${format(other).padStart(16)}  ${budget}`,
        );
      }
    }
  }
  if (values.json) console.log(JSON.stringify({ logLines: LOG_LINES, releases: RELEASES, results }));
} finally {
  if (cluster) await stopPostgresCluster(cluster);
  await rm(dir, { recursive: true, force: true });
  if (clusterDir) await rm(clusterDir, { recursive: true, force: true });
}
