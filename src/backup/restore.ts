// Loads an opened backup into a store: the schema as it was when the backup was taken (migrations up
// to the manifest's), every table's rows in one transaction, the row counts compared with the
// manifest, then the migrations this Gantry has beyond it, and the audit log's hash chain walked
// from the first entry to the head the manifest names. Instances keep their rows but lose their
// process handles, which belong to the machine the backup was taken on.

import path from 'node:path';
import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { ChainVerification } from '../audit/chain.ts';
import { AuditLog } from '../audit/log.ts';
import { systemClock } from '../lib/clock.ts';
import type { Database } from '../store/database.ts';
import { applyMigrations } from '../store/migrate.ts';
import { migrations as knownMigrations } from '../store/migrations/index.ts';
import { KyselyAuditRepo } from '../store/repos/audit.ts';
import { createTimestamper } from '../store/timestamps.ts';
import type { OpenedBackup } from './archive.ts';
import { badBackup } from './manifest.ts';
import { readTableFile, type TableBatch } from './table-file.ts';
import { BACKUP_TABLES } from './tables.ts';

/** Bound parameters per INSERT: under SQLite's limit (32,766) and PostgreSQL's (65,535). */
const MAX_PARAMETERS = 30_000;
const MAX_BATCH_ROWS = 1000;

export interface RestoreProgress {
  table: string;
  rows: number;
  /** Tables finished so far, of `tables`. */
  done: number;
  tables: number;
}

export interface RestoreReport {
  /** Rows restored per table (equal to the manifest's counts, or the restore fails). */
  rows: Record<string, number>;
  /** Migrations applied after the backup's own schema level (a backup of an older Gantry). */
  migrated: string[];
  audit: ChainVerification;
}

/** Throws BACKUP_INVALID when this Gantry cannot read the backup's schema level. */
export function checkMigrationLevel(opened: OpenedBackup): void {
  const names = Object.keys(knownMigrations);
  const level = opened.manifest.migration;
  if (!names.includes(level)) {
    throw badBackup(
      `the backup's schema is at migration ${level}, which this Gantry (schema up to ${names.at(-1)}) does not know: it was written by a newer Gantry`,
      `Restore it with Gantry ${opened.manifest.gantryVersion} or newer.`,
    );
  }
}

/** True when no table of the store holds a row (tables not created yet count as empty). */
export async function storeIsEmpty(db: Kysely<Database>): Promise<boolean> {
  const existing = new Set((await db.introspection.getTables()).map((t) => t.name));
  for (const table of BACKUP_TABLES) {
    if (!existing.has(table)) continue;
    const row = await sql`select 1 as one from ${sql.table(table)} limit 1`.execute(db);
    if (row.rows.length > 0) return false;
  }
  return true;
}

/** Restores into an empty store (the caller checked), which the restore migrates itself. */
export async function restoreInto(
  db: Kysely<Database>,
  opened: OpenedBackup,
  onProgress: (p: RestoreProgress) => void = () => {},
): Promise<RestoreReport> {
  checkMigrationLevel(opened);
  const { manifest } = opened;
  const upTo = Object.fromEntries(
    Object.entries(knownMigrations).filter(([name]) => name <= manifest.migration),
  );
  await applyMigrations(db, upTo);
  const rows: Record<string, number> = {};
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.transaction().execute(async (trx) => {
    // PostgreSQL builds an index (the logs' GIN text index above all) far faster in one pass than
    // row by row: the secondary indexes go while the rows go in, and are built again after.
    const rebuild = postgres ? await dropSecondaryIndexes(trx) : [];
    for (const [i, table] of manifest.tables.entries()) {
      let count = 0;
      const file = path.join(opened.dir, table.file);
      const batchRows = (columns: number) => Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / columns));
      for await (const batch of readTableFile(file, table.name, batchRows)) {
        await insertBatch(trx, table.name, batch, postgres);
        count += batch.rows.length;
        onProgress({ table: table.name, rows: count, done: i, tables: manifest.tables.length });
      }
      const stored = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(table.name)}`.execute(trx);
      const n = Number(stored.rows[0]?.n ?? 0);
      if (count !== table.rows || n !== table.rows) {
        throw badBackup(
          `table ${table.name}: the manifest counts ${table.rows} rows, the backup held ${count} and the store now has ${n}`,
        );
      }
      rows[table.name] = n;
    }
    if (rebuild.length > 0) await sql`set local maintenance_work_mem = '256MB'`.execute(trx);
    for (const definition of rebuild) await sql.raw(definition).execute(trx);
  });
  if (postgres) await resetIdentities(db);
  const { applied: migrated } = await applyMigrations(db);
  // The processes and containers the backed-up server ran are not the restored server's: without
  // their handles nothing adopts them (on the same machine, they may still be another server's),
  // and each environment starts its current version afresh.
  await db.updateTable('instances').set({ handle: null }).execute();
  const audit = await new AuditLog({
    repo: new KyselyAuditRepo(db, createTimestamper(systemClock)),
  }).verify();
  const head = manifest.auditHead;
  if (audit.ok && (audit.head?.seq ?? 0) !== (head?.seq ?? 0)) {
    audit.ok = false;
    audit.firstBad = {
      seq: audit.head?.seq ?? 0,
      reason: `the manifest names entry ${head?.seq ?? 0} as the newest, the restored chain ends at ${audit.head?.seq ?? 0}`,
    };
  } else if (audit.ok && head && audit.head?.hash !== head.hash) {
    audit.ok = false;
    audit.firstBad = { seq: head.seq, reason: "its hash differs from the manifest's head" };
  }
  return { rows, migrated, audit };
}

/** PostgreSQL: identity columns (log_lines.id) continue after the restored rows' largest value. */
async function resetIdentities(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`select table_name, column_name
    from information_schema.columns where table_schema = current_schema() and is_identity = 'YES'`.execute(
    db,
  );
  for (const { table_name: table, column_name: column } of rows) {
    await sql`select setval(pg_get_serial_sequence(${table}, ${column}),
      coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
  }
}

/**
 * One INSERT per batch. PostgreSQL takes the batch as one JSON parameter, which it parses far faster
 * than thousands of bound values; SQLite takes the values bound.
 */
async function insertBatch(db: Kysely<Database>, table: string, batch: TableBatch, postgres: boolean) {
  const columns = sql.join(batch.columns.map((c) => sql.ref(c)));
  if (postgres) {
    const records = batch.rows.map((r) => Object.fromEntries(batch.columns.map((c, i) => [c, r[i]])));
    await sql`insert into ${sql.table(table)} (${columns}) select ${columns}
      from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(records)}::json)`.execute(db);
    return;
  }
  await sql`insert into ${sql.table(table)} (${columns}) values ${sql.join(
    batch.rows.map((r) => sql`(${sql.join(r)})`),
  )}`.execute(db);
}

/** PostgreSQL: drops the indexes that back no constraint; returns the statements that make them again. */
async function dropSecondaryIndexes(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{
    indexname: string;
    indexdef: string;
  }>`select indexname, indexdef from pg_indexes
    where schemaname = current_schema()
      and indexname not in (select conname from pg_constraint where connamespace = current_schema()::regnamespace)`.execute(
    db,
  );
  for (const { indexname } of rows) await sql`drop index ${sql.ref(indexname)}`.execute(db);
  return rows.map((r) => r.indexdef);
}
