// Backups of the store, on SQLite and on PostgreSQL: create → verify → restore; damaged archives are
// refused with a message naming the damage; a restore refuses a store that holds data unless forced;
// a backup taken while releases are being written holds whole releases only. Verification always
// restores into a scratch SQLite store, so a PostgreSQL backup is checked that way too.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setImmediate } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/log.ts';
import { SYSTEM_ACTOR } from '../src/auth/types.ts';
import { createBackup } from '../src/backup/create.ts';
import { restoreToDataDir } from '../src/backup/restore-target.ts';
import { openSnapshot } from '../src/backup/snapshot.ts';
import { verifyBackup } from '../src/backup/verify.ts';
import { openStore, type Store, type StoreOptions } from '../src/store/index.ts';
import { applyMigrations } from '../src/store/migrate.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { openSqliteDatabase } from '../src/store/sqlite/open.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';
import { release } from './helpers/store.ts';

async function fillStore(store: Store, releases = 3): Promise<void> {
  await store.services.upsert('shop');
  await store.environments.ensure('shop', 'staging');
  const audit = new AuditLog({ repo: store.audit });
  for (let i = 1; i <= releases; i++) {
    const r = await store.releases.create(release(`r${i}-${Math.random()}`, { version: `v${i}` }));
    await store.releases.transition(r.id, {
      state: 'succeeded',
      message: 'done',
      setCurrentVersion: `v${i}`,
    });
    await audit.record({ actor: SYSTEM_ACTOR, action: 'release.create', release: r.id, details: { i } });
  }
  await store.logs.append(
    Array.from({ length: 50 }, (_, i) => ({
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      environment: 'staging',
      version: 'v1',
      instance: 'i-1',
      stream: 'stdout' as const,
      level: 'info' as const,
      message: `line ${i} "quoted" ünïcode`,
      fields: i % 2 ? { n: i } : null,
      raw: `line ${i}`,
    })),
  );
}

/** Rows of a query on a store's database, through a connection of its own. */
async function query(where: StoreOptions, text: string): Promise<Array<Record<string, unknown>>> {
  if (where.kind === 'sqlite') {
    const db = new DatabaseSync(where.path);
    try {
      return db.prepare(text).all() as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: where.url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const kinds = [
  { kind: 'sqlite' as const, available: true },
  { kind: 'postgresql' as const, available: requirePostgres() === 'run' },
];

describe.each(kinds)('backup of a $kind store', ({ kind, available }) => {
  let dir: string;
  const stores: Store[] = [];

  beforeEach(async (ctx) => {
    if (!available) ctx.skip('PostgreSQL is not installed');
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-backup-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Where a store of the kind under test lives: a file in the test's dir, or a fresh database. */
  async function newStore(name: string): Promise<StoreOptions> {
    return kind === 'sqlite'
      ? { kind, path: path.join(dir, name, 'gantry.db') }
      : { kind, url: await freshPostgresDatabase('backup') };
  }
  async function open(where: StoreOptions): Promise<Store> {
    const store = await openStore(where);
    stores.push(store);
    return store;
  }
  async function backupOf(where: StoreOptions, out: string) {
    return createBackup({ snapshot: await openSnapshot(where), file: out, gantryVersion: 'test' });
  }
  /** Restores into a new store of the kind; returns where it is. */
  async function restoreNew(file: string, name: string): Promise<StoreOptions> {
    const target = await newStore(name);
    await restoreToDataDir({
      file,
      dataDir: path.join(dir, name),
      ...(target.kind === 'postgresql' ? { store: target.url } : {}),
    });
    return target;
  }

  it('creates, verifies and restores a store with its releases, logs and audit chain', async () => {
    const source = await newStore('src');
    await fillStore(await open(source));
    const out = path.join(dir, 'backups', 'one.tar');
    const created = await backupOf(source, out);
    expect(created.manifest.store).toBe(kind === 'sqlite' ? 'sqlite' : 'postgres');
    expect(created.manifest.tables.find((t) => t.name === 'releases')?.rows).toBe(3);
    expect(created.manifest.tables.find((t) => t.name === 'log_lines')?.rows).toBe(50);
    expect(created.manifest.auditHead?.seq).toBe(3);
    expect(((await stat(out)).mode & 0o777).toString(8)).toBe('600');

    const verified = await verifyBackup(out);
    expect(verified.audit).toMatchObject({ ok: true, checked: 3 });
    expect(verified.rows.release_events).toBeGreaterThan(3);

    const store = await open(await restoreNew(out, 'restored'));
    expect((await store.releases.list({ service: 'shop', limit: 10 })).map((r) => r.version).sort()).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
    expect((await store.environments.get('shop', 'staging'))?.currentVersion).toBe('v3');
    expect(await new AuditLog({ repo: store.audit }).verify()).toMatchObject({ ok: true, checked: 3 });
    // The full-text index covers the restored lines, and new lines continue after them.
    expect(await store.logs.search({ q: 'quoted', limit: 100 })).toHaveLength(50);
    const [id] = await store.logs.append([
      {
        at: new Date().toISOString(),
        environment: 'staging',
        version: 'v1',
        instance: 'i-1',
        stream: 'stdout',
        level: null,
        message: 'after',
        fields: null,
        raw: 'after',
      },
    ]);
    expect(id).toBeGreaterThan(50);
    // The chain goes on from the restored head.
    await new AuditLog({ repo: store.audit }).record({ actor: SYSTEM_ACTOR, action: 'after.restore' });
    expect(await new AuditLog({ repo: store.audit }).verify()).toMatchObject({ ok: true, checked: 4 });
  });

  it('refuses a damaged archive, naming what is wrong', async () => {
    const source = await newStore('src');
    await fillStore(await open(source));
    const out = path.join(dir, 'b.tar');
    await backupOf(source, out);
    const bytes = await readFile(out);
    // Flip one byte inside the compressed log table (its data follows its 512-byte tar header).
    const at = bytes.lastIndexOf(Buffer.from('tables/log_lines.ndjson.gz')) + 512 + 20;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    const damaged = path.join(dir, 'damaged.tar');
    await writeFile(damaged, bytes);
    await expect(verifyBackup(damaged)).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
      message: expect.stringMatching(/checksum of tables\/log_lines\.ndjson\.gz does not match the manifest/),
    });
    const truncated = path.join(dir, 'truncated.tar');
    await writeFile(truncated, bytes.subarray(0, 3000));
    await expect(verifyBackup(truncated)).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
      message: expect.stringMatching(/damaged or truncated/),
    });
    await writeFile(path.join(dir, 'not.tar'), 'hello');
    await expect(verifyBackup(path.join(dir, 'not.tar'))).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
  });

  it('restore refuses a store with data unless forced, and leaves it untouched', async () => {
    const source = await newStore('src');
    await fillStore(await open(source), 2);
    const out = path.join(dir, 'b.tar');
    await backupOf(source, out);
    const target = await newStore('busy');
    const busy = await openStore(target);
    await fillStore(busy, 5);
    await busy.close();
    const into = {
      file: out,
      dataDir: path.join(dir, 'busy'),
      ...(target.kind === 'postgresql' ? { store: target.url } : {}),
    };
    await expect(restoreToDataDir(into)).rejects.toMatchObject({
      code: 'STORE_NOT_EMPTY',
      message: expect.stringMatching(/already holds a .*store with data/),
    });
    const count = async () => Number((await query(target, 'select count(*) as n from releases'))[0]?.n);
    expect(await count()).toBe(5);
    await restoreToDataDir({ ...into, force: true });
    expect(await count()).toBe(2);
  });

  it('holds whole releases only when taken while releases are written', async () => {
    const source = await newStore('src');
    const store = await open(source);
    await fillStore(store, 1);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++, written++) {
        const r = await store.releases.create(release(`w${i}`, { version: `w${i}` }));
        for (let e = 0; e < 5; e++)
          await store.releases.appendEvent(r.id, { type: 'note', message: `e${e}` });
        await store.releases.transition(r.id, { state: 'succeeded', message: 'done' });
        // node:sqlite answers synchronously: without this the loop would never let the backup's I/O run.
        await setImmediate();
      }
    })();
    while (written < 2) await setImmediate();
    const outs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = path.join(dir, `c${i}.tar`);
      await backupOf(source, out);
      outs.push(out);
    }
    writing = false;
    await writer;
    for (const [i, out] of outs.entries()) {
      const restored = await restoreNew(out, `c${i}`);
      const torn = await query(
        restored,
        `select r.id from releases r where r.last_seq <> (select count(*) from release_events e where e.release_id = r.id)
         or (r.state = 'succeeded') <> exists (select 1 from release_events e where e.release_id = r.id and e.state = 'succeeded')`,
      );
      expect(torn).toEqual([]);
      expect(Number((await query(restored, 'select count(*) as n from releases'))[0]?.n)).toBeGreaterThan(1);
    }
  });
});

describe('backup of an older Gantry', () => {
  it('is restored at its own schema level, then brought up to date by the later migrations', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-backup-old-'));
    try {
      const file = path.join(dir, 'old.db');
      const names = Object.keys(migrations);
      const older = Object.fromEntries(Object.entries(migrations).slice(0, -1));
      const db = await openSqliteDatabase(file);
      await applyMigrations(db, older);
      await db
        .insertInto('services')
        .values({ name: 'shop', created_at: new Date().toISOString() })
        .execute();
      await db.destroy();
      const out = path.join(dir, 'old.tar');
      const { manifest } = await createBackup({
        snapshot: await openSnapshot({ kind: 'sqlite', path: file }),
        file: out,
        gantryVersion: 'old',
      });
      expect(manifest.migration).toBe(names.at(-2));
      const verified = await verifyBackup(out);
      expect(verified.migrated).toEqual([names.at(-1)]);
      expect(verified.rows.services).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
