// The change feed on a real PostgreSQL (LISTEN/NOTIFY): another server's announcements arrive, a
// server's own do not come back to it, and after its connection is cut the feed reconnects and
// asks its subscribers to resync.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/log.ts';
import type { ChangeFeed } from '../src/store/change-feed.ts';
import { openPostgresChangeFeed } from '../src/store/postgres/change-feed.ts';
import { waitFor } from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

const feeds: ChangeFeed[] = [];
afterEach(async () => {
  await Promise.all(feeds.splice(0).map((f) => f.close()));
});

async function feed(url: string): Promise<ChangeFeed> {
  const f = await openPostgresChangeFeed({ url, logger: silentLogger, reconnectMs: 100 });
  feeds.push(f);
  return f;
}

function recorder() {
  const heard: string[] = [];
  let resyncs = 0;
  return {
    heard,
    resyncs: () => resyncs,
    subscriber: {
      onChange: (p: string) => heard.push(p),
      onResync: () => {
        resyncs++;
      },
    },
  };
}

describe.skipIf(requirePostgres() === 'skip')('change feed (PostgreSQL LISTEN/NOTIFY)', () => {
  it("delivers another server's announcements on the channel, not a server's own", async () => {
    const url = await freshPostgresDatabase();
    const [a, b] = [await feed(url), await feed(url)];
    const onA = recorder();
    const onB = recorder();
    await a.subscribe('gantry_secrets', onA.subscriber);
    await b.subscribe('gantry_secrets', onB.subscriber);
    await b.subscribe('other', { onChange: () => onB.heard.push('wrong channel'), onResync: () => {} });

    await a.publish('gantry_secrets', '{"name":"DATABASE_URL"}');
    await b.publish('gantry_secrets', '{"name":"SLACK_WEBHOOK"}');
    await waitFor('both announcements', async () => onA.heard.length === 1 && onB.heard.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(onA.heard).toEqual(['{"name":"SLACK_WEBHOOK"}']);
    expect(onB.heard).toEqual(['{"name":"DATABASE_URL"}']);
    await expect(a.publish('gantry_secrets', 'x'.repeat(8000))).rejects.toThrow(/longer than 7999 bytes/);
  });

  it('reconnects after its session is ended, tells subscribers to resync, and hears again', async () => {
    const url = await freshPostgresDatabase();
    const [a, b] = [await feed(url), await feed(url)];
    const onB = recorder();
    await b.subscribe('gantry_secrets', onB.subscriber);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where query like 'listen %' and pid <> pg_backend_pid()",
      );
    } finally {
      await admin.end();
    }
    await waitFor('a resync after the reconnection', async () => onB.resyncs() === 1);
    await a.publish('gantry_secrets', 'after');
    await waitFor('the announcement after the reconnection', async () => onB.heard.includes('after'));
  });
});
