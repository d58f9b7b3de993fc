// The PostgreSQL test harness itself: the run's shared cluster answers on loopback, and each caller
// gets a database of its own.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createDatabase,
  freshPostgresDatabase,
  requirePostgres,
  sharedPostgresCluster,
} from './helpers/postgres.ts';

describe.skipIf(requirePostgres() === 'skip')('PostgreSQL test harness', () => {
  it('hands out fresh, separate databases of one running cluster', async () => {
    const cluster = await sharedPostgresCluster();
    const [a, b] = await Promise.all([createDatabase(cluster), freshPostgresDatabase()]);
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      await client.query('create table t (x int)');
      const { rows } = await client.query<{ db: string; version: string }>(
        'select current_database() as db, current_setting($1) as version',
        ['server_version_num'],
      );
      expect(a.endsWith(`/${rows[0]?.db}`)).toBe(true);
      expect(Number(rows[0]?.version)).toBeGreaterThanOrEqual(150000);
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    try {
      const { rows } = await other.query("select count(*)::int as n from pg_tables where tablename = 't'");
      expect(rows[0]?.n).toBe(0);
    } finally {
      await other.end();
    }
  });
});
