// Backups of the store: create → verify → restore on real SQLite files; damaged archives are refused
// with a message naming the damage; a restore refuses a store that holds data unless forced; a backup
// taken while releases are being written holds whole releases only.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/log.ts';
import { SYSTEM_ACTOR } from '../src/auth/types.ts';
import { createBackup } from '../src/backup/create.ts';
import { restoreToDataDir } from '../src/backup/restore-target.ts';
import { openSqliteSnapshot } from '../src/backup/snapshot.ts';
import { verifyBackup } from '../src/backup/verify.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { readRaw, release, useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();

async function fillStore(store: Store, releases = 3): Promise<void> {
  await store.services.upsert('shop');
  await store.environments.ensure('shop', 'staging');
  const audit = new AuditLog({ repo: store.audit });
  for (let i = 1; i <= releases; i++) {
    const r = await store.releases.create(release(`r${i}`, { version: `v${i}` }));
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

async function backupOf(dbFile: string, out: string) {
  return createBackup({ snapshot: await openSqliteSnapshot(dbFile), file: out, gantryVersion: 'test' });
}

describe('backup of a SQLite store', () => {
  it('creates, verifies and restores a store with its releases, logs and audit chain', async () => {
    const dbFile = path.join(fixture.dir(), 'src', 'gantry.db');
    await fillStore(await fixture.open(dbFile));
    const out = path.join(fixture.dir(), 'backups', 'one.tar');
    const created = await backupOf(dbFile, out);
    expect(created.manifest.tables.find((t) => t.name === 'releases')?.rows).toBe(3);
    expect(created.manifest.tables.find((t) => t.name === 'log_lines')?.rows).toBe(50);
    expect(created.manifest.auditHead?.seq).toBe(3);
    expect(((await stat(out)).mode & 0o777).toString(8)).toBe('600');

    const verified = await verifyBackup(out);
    expect(verified.audit).toMatchObject({ ok: true, checked: 3 });
    expect(verified.rows.release_events).toBeGreaterThan(3);

    const dataDir = path.join(fixture.dir(), 'restored');
    const restored = await restoreToDataDir({ file: out, dataDir });
    expect(restored.masterKey).toBe('none-needed');
    const store = await fixture.open(path.join(dataDir, 'gantry.db'));
    expect((await store.releases.list({ service: 'shop', limit: 10 })).map((r) => r.version).sort()).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
    expect((await store.environments.get('shop', 'staging'))?.currentVersion).toBe('v3');
    expect(await new AuditLog({ repo: store.audit }).verify()).toMatchObject({ ok: true, checked: 3 });
    // The full-text index was rebuilt from the restored lines.
    expect(await store.logs.search({ q: 'quoted', limit: 100 })).toHaveLength(50);
  });

  it('refuses a damaged archive, naming what is wrong', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    await fillStore(await fixture.open(dbFile));
    const out = path.join(fixture.dir(), 'b.tar');
    const { manifest } = await backupOf(dbFile, out);
    const bytes = await readFile(out);
    // Flip one byte inside the compressed log table (after the 512-byte headers of the entries before it).
    const at = bytes.lastIndexOf(Buffer.from('tables/log_lines.ndjson.gz')) + 512 + 20;
    const damaged = path.join(fixture.dir(), 'damaged.tar');
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(damaged, bytes);
    await expect(verifyBackup(damaged)).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
      message: expect.stringMatching(/checksum of tables\/log_lines\.ndjson\.gz does not match the manifest/),
    });
    const truncated = path.join(fixture.dir(), 'truncated.tar');
    await writeFile(truncated, bytes.subarray(0, 3000));
    await expect(verifyBackup(truncated)).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
    await writeFile(path.join(fixture.dir(), 'not.tar'), 'hello');
    await expect(verifyBackup(path.join(fixture.dir(), 'not.tar'))).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
    });
    expect(manifest.tables.find((t) => t.name === 'audit_log')?.rows).toBe(3);
  });

  it('restore refuses a store with data unless forced, and leaves it untouched', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    await fillStore(await fixture.open(dbFile), 2);
    const out = path.join(fixture.dir(), 'b.tar');
    await backupOf(dbFile, out);
    const dataDir = path.join(fixture.dir(), 'busy');
    const busy = await openStore({ kind: 'sqlite', path: path.join(dataDir, 'gantry.db') });
    await fillStore(busy, 5);
    await busy.close();
    await expect(restoreToDataDir({ file: out, dataDir })).rejects.toMatchObject({ code: 'STORE_NOT_EMPTY' });
    const count = () =>
      readRaw(
        path.join(dataDir, 'gantry.db'),
        (db) => db.prepare('select count(*) as n from releases').get()?.n,
      );
    expect(count()).toBe(5);
    await restoreToDataDir({ file: out, dataDir, force: true });
    expect(count()).toBe(2);
  });

  it('holds whole releases only when taken while releases are written', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    const store = await fixture.open(dbFile);
    await fillStore(store, 1);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const r = await store.releases.create(release(`w${i}`, { version: `w${i}` }));
        for (let e = 0; e < 5; e++)
          await store.releases.appendEvent(r.id, { type: 'note', message: `e${e}` });
        await store.releases.transition(r.id, { state: 'succeeded', message: 'done' });
        // node:sqlite answers synchronously: without this the loop would never let the backup's I/O run.
        await setImmediate();
      }
    })();
    const outs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = path.join(fixture.dir(), `c${i}.tar`);
      await backupOf(dbFile, out);
      outs.push(out);
    }
    writing = false;
    await writer;
    for (const out of outs) {
      const dataDir = path.join(fixture.dir(), path.basename(out, '.tar'));
      await restoreToDataDir({ file: out, dataDir });
      readRaw(path.join(dataDir, 'gantry.db'), (db) => {
        const torn = db
          .prepare(
            `select r.id from releases r where r.last_seq <> (select count(*) from release_events e where e.release_id = r.id)
             or (r.state = 'succeeded') <> exists (select 1 from release_events e where e.release_id = r.id and e.state = 'succeeded')`,
          )
          .all();
        expect(torn).toEqual([]);
      });
    }
  });
});
