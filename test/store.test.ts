import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GantryError } from '../src/lib/errors.ts';
import { openStore } from '../src/store/index.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { readRaw, release, sqliteOnly, useStoreFixture } from './helpers/store.ts';

const migrationCount = Object.keys(migrations).length;

const { dir, open, query } = useStoreFixture();

describe('schema', () => {
  it('applies migrations once across close and reopen of a database', async () => {
    const file = path.join(dir(), 'nested', 'gantry.db');
    const first = await open(file);
    await first.services.upsert('shop');
    await first.close();

    const second = await open(file);
    await second.ping();
    expect(await second.services.list()).toEqual([{ name: 'shop', createdAt: expect.any(String) }]);
    await second.close();

    const applied = await query<{ name: string }>(file, 'select name from kysely_migration order by name');
    expect(applied.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
  });

  it.skipIf(sqliteOnly)('keeps an SQLite file in WAL mode', async () => {
    const file = path.join(dir(), 'gantry.db');
    await (await open(file)).close();
    readRaw(file, (db) => {
      expect(db.prepare('pragma journal_mode').get()).toEqual({ journal_mode: 'wal' });
    });
  });

  it('refuses a database migrated by a newer Gantry, changing nothing', async () => {
    const file = path.join(dir(), 'gantry.db');
    await (await open(file)).close();
    await query(
      file,
      `insert into kysely_migration (name, timestamp) values ('999-future', '2030-01-01T00:00:00.000Z')`,
    );
    await expect(open(file)).rejects.toThrow(/could not update the database schema .*newer Gantry/);
    const [count] = await query<{ n: number | string }>(file, 'select count(*) as n from kysely_migration');
    expect(Number(count?.n)).toBe(migrationCount + 1);
  });

  it.skipIf(sqliteOnly)('says which database file could not be opened', async () => {
    const blocker = path.join(dir(), 'not-a-dir');
    await writeFile(blocker, 'x');
    await expect(openStore({ kind: 'sqlite', path: path.join(blocker, 'gantry.db') })).rejects.toThrow(
      /could not open the SQLite database .*not-a-dir.*writable/,
    );
  });
});
describe('services, environments and versions', () => {
  it('ensures environments without touching their current version', async () => {
    const store = await open();
    await store.environments.ensure('shop', 'staging');
    await store.releases.create(release('rel_a'));
    await store.releases.transition('rel_a', { state: 'succeeded', message: 'ok', setCurrentVersion: 'v1' });
    await store.environments.ensure('shop', 'staging');
    await store.environments.ensure('shop', 'production');

    const envs = await store.environments.list('shop');
    expect(envs.map((e) => [e.name, e.currentVersion, e.currentReleaseId])).toEqual([
      ['production', null, null],
      ['staging', 'v1', 'rel_a'],
    ]);
    expect(await store.environments.get('shop', 'nope')).toBeUndefined();
    expect((await store.services.list()).map((s) => s.name)).toEqual(['shop']);
  });

  it('keeps versions immutable', async () => {
    const store = await open();
    const v = {
      service: 'shop',
      version: 'v1',
      artifactKind: 'dir' as const,
      artifactRef: 'artifacts/shop/v1',
      sha256: 'a'.repeat(64),
      sizeBytes: 1234,
      gitRef: 'refs/tags/v1',
      gitCommit: 'abc123',
    };
    const created = await store.versions.create(v);
    expect(created).toEqual({
      ...v,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });

    const again = store.versions.create({ ...v, artifactRef: 'artifacts/shop/other' });
    await expect(again).rejects.toBeInstanceOf(GantryError);
    await expect(again).rejects.toMatchObject({ code: 'VERSION_EXISTS' });
    expect(await store.versions.get('shop', 'v1')).toEqual(created);

    await store.versions.create({ ...v, version: 'v2' });
    expect((await store.versions.list('shop')).map((x) => x.version)).toEqual(['v2', 'v1']);
    expect((await store.versions.list('shop', 1)).map((x) => x.version)).toEqual(['v2']);
  });
});
describe('instances', () => {
  it('upserts, lists and removes instances', async () => {
    const store = await open();
    const base = {
      service: 'shop',
      environment: 'staging',
      version: 'v1',
      releaseId: null,
      runtime: 'process' as const,
      state: 'starting' as const,
      handle: null,
      port: null,
      restarts: 0,
    };
    await store.instances.upsert({ ...base, id: 'staging-v1-aaaa' });
    await store.instances.upsert({ ...base, id: 'production-v1-bbbb', environment: 'production' });
    const first = await store.instances.get('staging-v1-aaaa');

    await store.instances.upsert({
      ...base,
      id: 'staging-v1-aaaa',
      state: 'running',
      handle: { driver: 'process', pid: 4242, startTime: '123456' },
      port: 41234,
      restarts: 1,
    });
    const updated = await store.instances.get('staging-v1-aaaa');
    expect(updated).toMatchObject({
      state: 'running',
      handle: { driver: 'process', pid: 4242, startTime: '123456' },
      port: 41234,
      restarts: 1,
    });
    expect(updated?.createdAt).toBe(first?.createdAt);
    expect(updated && first && updated.updatedAt > first.updatedAt).toBe(true);

    expect((await store.instances.list()).map((i) => i.id)).toEqual([
      'staging-v1-aaaa',
      'production-v1-bbbb',
    ]);
    expect((await store.instances.list({ environment: 'production' })).map((i) => i.id)).toEqual([
      'production-v1-bbbb',
    ]);
    expect(await store.instances.list({ service: 'other' })).toEqual([]);

    await store.instances.remove('staging-v1-aaaa');
    await store.instances.remove('staging-v1-aaaa');
    expect(await store.instances.get('staging-v1-aaaa')).toBeUndefined();
    expect(await store.instances.list()).toHaveLength(1);
  });
});

describe('environment events', () => {
  it('appends, lists newest first with filters, and prunes by age', async () => {
    const store = await open();
    const base = { service: 'shop', version: 'v1', data: null };
    await store.events.append({
      ...base,
      environment: 'staging',
      instance: 'a',
      type: 'instance.exited',
      message: 'one',
    });
    await store.events.append({
      ...base,
      environment: 'staging',
      instance: 'b',
      type: 'instance.restarted',
      message: 'two',
      data: { failures: 3 },
    });
    const third = await store.events.append({
      ...base,
      environment: 'production',
      instance: 'c',
      type: 'x',
      message: 'three',
    });

    expect((await store.events.list({ service: 'shop' })).map((e) => e.message)).toEqual([
      'three',
      'two',
      'one',
    ]);
    expect(
      (await store.events.list({ service: 'shop', environment: 'staging' })).map((e) => e.message),
    ).toEqual(['two', 'one']);
    const [b] = await store.events.list({ service: 'shop', instance: 'b' });
    expect(b?.data).toEqual({ failures: 3 });
    expect(await store.events.list({ service: 'shop', limit: 1 })).toHaveLength(1);

    expect(await store.events.prune(third.at)).toBe(2);
    expect((await store.events.list({ service: 'shop' })).map((e) => e.message)).toEqual(['three']);
  });
});
