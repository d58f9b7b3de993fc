// Migration 014: instance records written by an older server (pid and start time columns) keep
// working: their process becomes a process handle the runtime can adopt.
import path from 'node:path';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../src/store/migrate.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const { dir, open, database } = useStoreFixture();

const before014 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '014'));

describe('migration 014: instance handles', () => {
  it('turns pid and start time into a process handle, and a row without pid into no handle', async () => {
    const file = path.join(dir(), 'old.db');
    const db = await database(file);
    await applyMigrations(db, before014);
    const row = {
      service: 'shop',
      environment: 'production',
      version: 'v1',
      release_id: null,
      runtime: 'process',
      state: 'running',
      port: 41234,
      restarts: 2,
      created_at: '2026-12-01T00:00:00.000Z',
      updated_at: '2026-12-01T00:00:00.000Z',
    };
    // The old shape, written as an older server did.
    await (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
      .insertInto('instances')
      .values([
        { ...row, id: 'production-v1-old', pid: 4242, pid_start_time: '987654' },
        { ...row, id: 'production-v1-none', pid: null, pid_start_time: null },
      ])
      .execute();
    await db.destroy();

    const store = await open(file);
    expect(await store.instances.get('production-v1-old')).toMatchObject({
      handle: { driver: 'process', pid: 4242, startTime: '987654' },
      port: 41234,
      restarts: 2,
    });
    expect((await store.instances.get('production-v1-none'))?.handle).toBeNull();
  });
});
