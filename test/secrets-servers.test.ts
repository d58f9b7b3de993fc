// Two servers' secrets on one PostgreSQL database (two stores, one data directory with the key
// file): a value set, replaced or removed through one is what the other serves next, a removed
// value stays masked there, and a key rotated through one is taken up by the other.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/log.ts';
import { SecretService } from '../src/secrets/index.ts';
import type { ChangeFeed } from '../src/store/change-feed.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { openPostgresChangeFeed } from '../src/store/postgres/change-feed.ts';
import { waitFor } from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** One server's secrets: its own store and change feed on the shared database. */
async function server(url: string, dataDir: string): Promise<SecretService> {
  const store: Store = await openStore({ kind: 'postgresql', url });
  closing.push(() => store.close());
  const changes: ChangeFeed = await openPostgresChangeFeed({ url, logger: silentLogger });
  closing.push(() => changes.close());
  return SecretService.open({ store, service: 'shop', dataDir, database: 'test database', env: {}, changes });
}

describe.skipIf(requirePostgres() === 'skip')('secrets on two servers of one PostgreSQL database', () => {
  it("follows the other server's sets, removals and key rotation", async () => {
    const url = await freshPostgresDatabase();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gantry-secrets-'));
    closing.push(() => rm(dataDir, { recursive: true, force: true }));
    const a = await server(url, dataDir);
    const b = await server(url, dataDir);

    await a.set('staging', 'DATABASE_URL', 'postgres://one', 'alice');
    await waitFor(
      'B to see the new secret',
      async () => b.valuesFor('staging').DATABASE_URL === 'postgres://one',
    );
    await a.set('staging', 'DATABASE_URL', 'postgres://two', 'alice');
    await waitFor(
      'B to see the new value',
      async () => b.valuesFor('staging').DATABASE_URL === 'postgres://two',
    );
    expect(b.allValues()).toContain('postgres://one');

    await b.set('*', 'SLACK_WEBHOOK', 'https://hooks.example/x', 'bob');
    await waitFor(
      'A to see B’s global secret',
      async () => a.lookup('SLACK_WEBHOOK') === 'https://hooks.example/x',
    );

    expect(await a.remove('staging', 'DATABASE_URL')).toBe(true);
    await waitFor('B to drop the removed secret', async () => !b.has('staging', 'DATABASE_URL'));
    expect(b.allValues()).toContain('postgres://two');

    const rotated = await a.rotateKey();
    await waitFor('B to take up the new key', async () => b.key.id === rotated.keyId);
    expect(b.lookup('SLACK_WEBHOOK')).toBe('https://hooks.example/x');
    // What B seals now, A opens.
    await b.set('production', 'API_KEY', 'k-3', 'bob');
    await waitFor(
      'A to see the value B sealed with the new key',
      async () => a.valuesFor('production').API_KEY === 'k-3',
    );
  });
});
