// Backup benchmark (npm run bench:backup): backup, verify and restore time and archive size for a
// store holding 1 M log lines and 10k releases, on SQLite and on PostgreSQL (when installed), beside a
// reference in the same run: a plain copy of the SQLite file, and pg_dump of the same database.
// Restore ≤ 60 s is the budget (the recovery time users can count on).
// Usage: node bench/backup.ts [--lines 1000000] [--releases 10000] [--only sqlite|postgresql] [--json]
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { AuditLog } from '../src/audit/log.ts';
import { SYSTEM_ACTOR } from '../src/auth/types.ts';
import { createBackup } from '../src/backup/create.ts';
import { restoreToDataDir } from '../src/backup/restore-target.ts';
import { openSnapshot } from '../src/backup/snapshot.ts';
import { verifyBackup } from '../src/backup/verify.ts';
import { openStore, type StoreOptions } from '../src/store/index.ts';
import { freshPostgresDatabase, POSTGRES_BIN, requirePostgres } from '../test/helpers/postgres.ts';

const BUDGET_RESTORE_S = 60;
const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    releases: { type: 'string', default: '10000' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const LINES = Number(values.lines);
const RELEASES = Number(values.releases);
const LOG_BATCH = 5000;

async function fill(where: StoreOptions): Promise<void> {
  const store = await openStore(where);
  try {
    await store.services.upsert('bench');
    await store.environments.ensure('bench', 'production');
    const audit = new AuditLog({ repo: store.audit });
    for (let i = 0; i < RELEASES; i++) {
      const r = await store.releases.create({
        id: `rel-${i}`,
        service: 'bench',
        environment: 'production',
        kind: 'deploy',
        version: `v${i}`,
        previousVersion: i > 0 ? `v${i - 1}` : null,
        strategy: 'canary',
        ref: 'refs/heads/main',
        createdBy: 'ci',
        plan: { newInstanceIds: [`i-${i}-a`, `i-${i}-b`], oldInstanceIds: [] },
      });
      await store.releases.appendEvent(r.id, {
        type: 'canary.step',
        message: 'weight 10%',
        data: { weight: 10 },
      });
      await store.releases.transition(r.id, {
        state: 'succeeded',
        message: 'done',
        setCurrentVersion: `v${i}`,
      });
      await audit.record({
        actor: SYSTEM_ACTOR,
        action: 'POST /api/v1/releases',
        release: r.id,
        details: { i },
      });
    }
    for (let n = 0; n < LINES; n += LOG_BATCH) {
      await store.logs.append(
        Array.from({ length: Math.min(LOG_BATCH, LINES - n) }, (_, k) => {
          const i = n + k;
          const message = `GET /api/items/${i} 200 ${i % 50}ms user=${i % 1000}`;
          return {
            at: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString(),
            environment: 'production',
            version: `v${i % RELEASES}`,
            instance: `i-${i % 4}`,
            stream: 'stdout' as const,
            level: i % 7 === 0 ? ('warn' as const) : ('info' as const),
            message,
            fields: i % 3 === 0 ? { path: `/api/items/${i}`, status: 200 } : null,
            raw: message,
          };
        }),
      );
    }
  } finally {
    await store.close();
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, seconds(performance.now() - start)];
}

interface Row {
  store: string;
  fill_s: number;
  backup_s: number;
  archive_mb: number;
  verify_s: number;
  restore_s: number;
  reference: string;
  reference_s: number;
  reference_mb: number;
}

async function bench(kind: 'sqlite' | 'postgresql', dir: string): Promise<Row> {
  const where: StoreOptions =
    kind === 'sqlite'
      ? { kind, path: path.join(dir, 'src', 'gantry.db') }
      : { kind, url: await freshPostgresDatabase('bench') };
  const [, fill_s] = await timed(() => fill(where));
  const file = path.join(dir, `${kind}.tar`);
  const [created, backup_s] = await timed(async () =>
    createBackup({ snapshot: await openSnapshot(where), file, gantryVersion: 'bench' }),
  );
  const [, verify_s] = await timed(() => verifyBackup(file, { tempDir: dir }));
  const target: StoreOptions =
    kind === 'sqlite'
      ? { kind, path: path.join(dir, 'restored', 'gantry.db') }
      : { kind, url: await freshPostgresDatabase('restored') };
  const [, restore_s] = await timed(() =>
    restoreToDataDir({
      file,
      dataDir: path.join(dir, 'restored'),
      ...(target.kind === 'postgresql' ? { store: target.url } : {}),
    }),
  );
  let reference: string;
  let reference_s: number;
  let referenceBytes: number;
  if (where.kind === 'sqlite') {
    reference = 'cp gantry.db';
    const copy = path.join(dir, 'copy.db');
    [, reference_s] = await timed(() => copyFile(where.path, copy));
    referenceBytes = (await stat(copy)).size;
  } else {
    reference = 'pg_dump -Fc';
    const dump = path.join(dir, 'dump.pgc');
    [, reference_s] = await timed(() =>
      run(path.join(POSTGRES_BIN, 'pg_dump'), ['-Fc', '-f', dump, where.url]),
    );
    referenceBytes = (await stat(dump)).size;
  }
  return {
    store: kind,
    fill_s,
    backup_s,
    archive_mb: Math.round(created.bytes / 1e5) / 10,
    verify_s,
    restore_s,
    reference,
    reference_s,
    reference_mb: Math.round(referenceBytes / 1e5) / 10,
  };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-bench-backup-'));
const rows: Row[] = [];
try {
  const kinds = (['sqlite', 'postgresql'] as const).filter((k) => !values.only || values.only === k);
  for (const kind of kinds) {
    if (kind === 'postgresql' && requirePostgres() === 'skip') continue;
    rows.push(await bench(kind, path.join(await mkdtemp(path.join(dir, `${kind}-`)))));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (values.json) process.stdout.write(`${JSON.stringify({ lines: LINES, releases: RELEASES, rows })}\n`);
else {
  console.log(
    `store with ${LINES} log lines and ${RELEASES} releases (restore budget ${BUDGET_RESTORE_S} s)`,
  );
  console.table(rows);
  for (const r of rows)
    console.log(
      `${r.store}: restore ${r.restore_s} s ${r.restore_s <= BUDGET_RESTORE_S ? 'within' : 'OVER'} the budget`,
    );
}
process.exit(0);
