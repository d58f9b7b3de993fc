// The leader lock on a real PostgreSQL: one holder per database, a waiter told who holds it, the
// lock passed on when the holder releases it or its process is killed with SIGKILL, and a holder
// whose session is ended told that it lost the lock.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPostgresLeaderLock,
  type LockHolder,
  type PostgresLeaderLock,
} from '../src/store/postgres/leader-lock.ts';
import { repoRoot, waitFor } from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

const opened: PostgresLeaderLock[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.release()));
});

function lock(url: string, pollMs = 100): PostgresLeaderLock {
  const l = createPostgresLeaderLock({ url, pollMs, heartbeatMs: 200 });
  opened.push(l);
  return l;
}

describe.skipIf(requirePostgres() === 'skip')('leader lock (PostgreSQL advisory lock)', () => {
  it('lets one server hold it; the next waits, is told who holds it, and gets it once it is released', async () => {
    const url = await freshPostgresDatabase();
    const first = lock(url);
    const waited: Array<LockHolder | undefined> = [];
    await first.acquire({ onWaiting: (h) => waited.push(h) });
    expect(waited).toEqual([]);

    const second = lock(url);
    let secondHolds = false;
    const acquiring = second.acquire({ onWaiting: (h) => waited.push(h) }).then(() => {
      secondHolds = true;
    });
    await waitFor('the second server to wait', async () => waited.length === 1);
    expect(waited[0]?.name).toBe(`gantry ${os.hostname()} pid ${process.pid}`);
    expect(waited[0]?.address).toBe('127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    expect(secondHolds).toBe(false);

    await first.release();
    await acquiring;
    expect(secondHolds).toBe(true);
    // Another database has a lock of its own.
    const elsewhere = lock(await freshPostgresDatabase());
    await elsewhere.acquire({ onWaiting: () => waited.push(undefined) });
    expect(waited).toHaveLength(1);
  });

  it('passes to a waiting server within a poll interval after the holder is killed with SIGKILL', async () => {
    const url = await freshPostgresDatabase();
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createPostgresLeaderLock } from ${JSON.stringify(path.join(repoRoot, 'src/store/postgres/leader-lock.ts'))};
         await createPostgresLeaderLock({ url: process.env.URL }).acquire();
         console.log('held');
         setInterval(() => {}, 1000);`,
      ],
      { env: { ...process.env, URL: url }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (c: Buffer) => c.toString().includes('held') && resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      const waiter = lock(url);
      let waiting = false;
      const acquired = waiter.acquire({
        onWaiting: () => {
          waiting = true;
        },
      });
      await waitFor('the waiter to wait', async () => waiting);
      const killedAt = Date.now();
      holder.kill('SIGKILL');
      await acquired;
      const takeoverMs = Date.now() - killedAt;
      console.log(
        `leader lock free for the waiter ${takeoverMs} ms after SIGKILL of its holder (poll 100 ms)`,
      );
      expect(takeoverMs).toBeLessThan(3_000);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('tells a holder whose session was ended that it lost the lock, and the lock is free again', async () => {
    const url = await freshPostgresDatabase();
    const first = lock(url);
    await first.acquire();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'gantry %' and pid <> pg_backend_pid()",
      );
    } finally {
      await admin.end();
    }
    const reason = await first.lost;
    expect(reason.message).toMatch(/leader lock's (connection|session)/);
    const second = lock(url);
    await second.acquire({
      onWaiting: () => {
        throw new Error('the lock should be free');
      },
    });
  });
});
