// Anonymous floods against a real server: requests without credentials are refused (401) up to
// the per-address budget, then answered 429 with Retry-After; the audit log gains one compact row
// per refusal within the budget (no query, no body) and one tally row per address and minute for
// the rest, however large the flood and its query strings. Valid tokens from the same address pass.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import type { AuditEvent } from '../src/audit/log.ts';
import { RefusalTally } from '../src/audit/refusal-tally.ts';
import { RefusalBudget } from '../src/auth/refusal-budget.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, tempDir, writeHelloConfig } from './helpers/gantry.ts';
import { readRaw } from './helpers/store.ts';

const LIMIT = 5;
const FLOOD = 60;
/** 50 parameters of 290 characters: about 14.6 KB of query, as in the report. */
const bigQuery = () => Array.from({ length: 50 }, (_, i) => `k${i}=${'x'.repeat(290)}`).join('&');

describe('an anonymous flood', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer | undefined;
  let admin: ApiClient;
  const db = () => path.join(tmp.dir, 'data', 'gantry.db');
  const auditRows = () =>
    readRaw(db(), (d) =>
      d.prepare('select action, actor_kind, status, error_code as error, details from audit_log').all(),
    ) as Array<{
      action: string;
      actor_kind: string;
      status: number;
      error: string;
      details: string;
    }>;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir);
    server = await startServer({
      config: cfg.file,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
      refusalLimit: LIMIT,
    });
    admin = new ApiClient(server);
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('is refused 401 up to the budget, then 429; tokens still pass; the audit log grows by a few small rows', async () => {
    const before = auditRows().length;
    const query = bigQuery();
    expect(query.length).toBeGreaterThan(14_500);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < FLOOD; i++) {
      const res = await fetch(`${server?.url}/api/v1/releases?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"environment":"production","version":"v1"}',
      });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(await res.json()).toMatchObject({
          error: { code: 'RATE_LIMITED', message: expect.stringContaining('without valid credentials') },
        });
      } else await res.arrayBuffer();
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(FLOOD - LIMIT).fill(429));
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    // A wrong token from the rate-limited address is refused 429 too; a valid one passes.
    expect((await admin.as('gantry_wrong').call('POST', '/api/v1/silences', {})).status).toBe(429);
    expect((await admin.call('GET', '/api/v1/status')).status).toBe(200);

    const added = auditRows()
      .slice(before)
      .filter((r) => r.actor_kind === 'anonymous');
    expect(added).toHaveLength(LIMIT);
    for (const row of added) {
      expect(row).toMatchObject({ action: 'POST /api/v1/releases', status: 401, error: 'UNAUTHORIZED' });
      expect(row.details).toBe('{}');
    }
    // The rest is one tally row, written when the minute ends or the server stops.
    await server?.close({ stopInstances: true });
    server = undefined;
    const tallies = auditRows().filter((r) => r.action === 'api.refused');
    expect(tallies).toHaveLength(1);
    expect(JSON.parse(tallies[0]?.details ?? '{}')).toMatchObject({
      count: FLOOD - LIMIT + 1,
      actions: ['POST /api/v1/releases', 'POST /api/v1/silences'],
    });
    expect(tallies[0]?.details.length).toBeLessThan(400);
  }, 120_000);
});

describe('RefusalBudget', () => {
  it('lets a client be refused `limit` times a window, then names the seconds until the window ends', () => {
    const budget = new RefusalBudget(2, { windowMs: 60_000, maxClients: 2 });
    expect(budget.exhausted('a', 0)).toBe(0);
    budget.refused('a', 0);
    budget.refused('a', 1000);
    expect(budget.exhausted('a', 1000)).toBe(59);
    expect(budget.exhausted('b', 1000)).toBe(0);
    budget.refused('b', 2000);
    // Beyond maxClients, newcomers share one count.
    budget.refused('c', 2000);
    budget.refused('d', 2000);
    expect(budget.exhausted('e', 2000)).toBeGreaterThan(0);
    // A new window forgets every count.
    expect(budget.exhausted('a', 60_000)).toBe(0);
    expect(() => new RefusalBudget(0)).toThrow(/at least 1/);
  });
});

describe('RefusalTally', () => {
  it('writes one bounded row per address and window, naming a few actions', async () => {
    const rows: AuditEvent[] = [];
    let now = 0;
    const tally = new RefusalTally({
      record: async (e) => rows.push(e),
      logger: silentLogger,
      now: () => now,
      maxSources: 2,
    });
    for (let i = 0; i < 1000; i++) tally.count('10.0.0.1', `POST /api/v1/x${i % 7}${'y'.repeat(500)}`);
    tally.count('10.0.0.2', 'POST /api/v1/releases');
    tally.count('10.0.0.3', 'POST /api/v1/releases');
    tally.count('10.0.0.4', 'POST /api/v1/releases');
    now = 61_000;
    tally.count('10.0.0.1', 'POST /api/v1/releases');
    await new Promise((r) => setImmediate(r));
    expect(rows.map((r) => [r.address, r.details?.count])).toEqual([
      ['10.0.0.1', 1000],
      ['10.0.0.2', 1],
      [null, 2],
    ]);
    const actions = rows[0]?.details?.actions as string[];
    expect(actions).toHaveLength(5);
    for (const a of actions) expect(a.length).toBeLessThanOrEqual(201);
    await tally.flush();
    expect(rows.at(-1)).toMatchObject({ address: '10.0.0.1', details: { count: 1 } });
  });
});
