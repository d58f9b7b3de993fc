// Stored logs through the log service on a real database (SQLite file or PostgreSQL): search (words, phrases, level, time
// range, environment, cursor), retention by age and by size (oldest first), and redaction.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.ts';
import type { LoadedConfig } from '../src/config/types.ts';
import { type CapturedLine, createLogService, type LogService } from '../src/logs/index.ts';
import type { Store } from '../src/store/index.ts';
import { storeKind, useStoreFixture } from './helpers/store.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const fixture = useStoreFixture();

function config(dir: string, logs = ''): LoadedConfig {
  return parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
  staging: { listen: 127.0.0.1:18081 }
${logs}`,
    `${dir}/gantry.yaml`,
  );
}

async function setup(
  opts: { logs?: string; secrets?: string[]; now?: () => number } = {},
): Promise<{ store: Store; logs: LogService; file: string }> {
  const file = `${fixture.dir()}/gantry.db`;
  const store = await fixture.open(file);
  const cfg = config(fixture.dir(), opts.logs);
  const secrets = opts.secrets ?? [];
  const logs = createLogService({
    config: () => cfg,
    store,
    redact: () => secrets,
    ...(opts.now ? { clock: { now: opts.now, sleep: async () => {} } } : {}),
  });
  return { store, logs, file };
}

function line(at: number, text: string, over: Partial<CapturedLine> = {}): CapturedLine {
  return {
    at,
    environment: 'production',
    version: 'v1',
    instance: 'production-v1-aa',
    stream: 'stdout',
    line: text,
    ...over,
  };
}

describe('search', () => {
  it('finds words, phrases, levels, time ranges and environments, newest first, with a cursor', async () => {
    const { logs } = await setup();
    logs.ingest(line(T0, '{"level":30,"msg":"order created","order":1}'));
    logs.ingest(line(T0 + 1000, '{"level":50,"msg":"payment failed","order":1}'));
    logs.ingest(line(T0 + 2000, 'WARN payment slow for order 2'));
    logs.ingest(line(T0 + 3000, 'failed payment retry', { environment: 'staging', version: 'v2' }));
    logs.ingest(
      line(T0 + 4000, 'level=error msg="payment failed" order=3', { instance: 'production-v1-bb' }),
    );
    for (let i = 0; i < 20; i++) logs.ingest(line(T0 + 5000 + i, `GET /health 200 ${i}`));
    await logs.flush();

    const msgs = async (q: Parameters<LogService['search']>[0]) =>
      (await logs.search(q)).map((r) => r.message);
    expect(await msgs({ q: 'payment failed', limit: 10 })).toEqual([
      'payment failed',
      'failed payment retry',
      'payment failed',
    ]);
    expect(await msgs({ q: '"payment failed"', limit: 10 })).toEqual(['payment failed', 'payment failed']);
    expect(await msgs({ q: '"payment failed"', environment: 'staging', limit: 10 })).toEqual([]);
    expect(await msgs({ q: 'payment', level: 'warn', environment: 'production', limit: 10 })).toEqual([
      'payment failed',
      'payment slow for order 2',
      'payment failed',
    ]);
    expect(await msgs({ level: 'error', limit: 10 })).toEqual(['payment failed', 'payment failed']);
    expect(await msgs({ environment: 'production', level: 'warn', limit: 10 })).toEqual([
      'payment failed',
      'payment slow for order 2',
      'payment failed',
    ]);
    expect(
      await msgs({
        q: 'payment',
        since: new Date(T0 + 1000).toISOString(),
        until: new Date(T0 + 3000).toISOString(),
        limit: 10,
      }),
    ).toEqual(['payment slow for order 2', 'payment failed']);
    expect(await msgs({ q: 'pay*', instance: 'production-v1-bb', limit: 10 })).toEqual(['payment failed']);
    expect(await msgs({ version: 'v2', limit: 10 })).toEqual(['failed payment retry']);
    // Fields are searchable through the raw line, and user syntax is never an FTS5 error.
    expect((await logs.search({ q: 'order AND OR NEAR(', limit: 10 })).length).toBe(0);
    expect(await msgs({ q: '"/health 200 19"', limit: 10 })).toEqual(['GET /health 200 19']);
    expect(await msgs({ q: '/', environment: 'staging', limit: 10 })).toEqual([]);
    // No word matches: a substring, like grep, case-insensitive.
    expect(await msgs({ q: 'AYMEN', level: 'warn', limit: 10 })).toEqual([
      'payment failed',
      'payment slow for order 2',
      'payment failed',
    ]);
    expect(await msgs({ q: 'h 200 1', limit: 3 })).toEqual([
      'GET /health 200 19',
      'GET /health 200 18',
      'GET /health 200 17',
    ]);
    expect(await msgs({ q: '"aymen"', limit: 10 })).toEqual([]);

    const page1 = await logs.search({ q: 'health', limit: 15 });
    const page2 = await logs.search({ q: 'health', limit: 15, before: page1.at(-1)?.id });
    expect(page1.length).toBe(15);
    expect(page2.map((r) => r.message)).toEqual(
      Array.from({ length: 5 }, (_, i) => `GET /health 200 ${4 - i}`),
    );
    const first = (await logs.search({ q: 'payment failed', limit: 10 })).at(-1);
    expect(first).toMatchObject({
      at: new Date(T0 + 1000).toISOString(),
      environment: 'production',
      version: 'v1',
      instance: 'production-v1-aa',
      stream: 'stdout',
      level: 'error',
      fields: { order: 1 },
      raw: '{"level":50,"msg":"payment failed","order":1}',
    });
  });
});

describe('retention', () => {
  it("a crash levels only its instance's unlevelled stderr from the last 10 s, the newest 200 at most", async () => {
    const { logs } = await setup();
    const crashAt = T0 + 60_000;
    const other = { instance: 'production-v1-bb' };
    const err = { stream: 'stderr' as const };
    logs.ingest(line(crashAt - 30_000, 'old stderr note', err));
    for (let i = 0; i < 205; i++) logs.ingest(line(crashAt - 5000 + i, `frame ${i}`, err));
    logs.ingest(line(crashAt - 100, 'WARN disk almost full', err));
    logs.ingest(line(crashAt - 100, 'plain stdout'));
    logs.ingest(line(crashAt - 100, 'neighbour stderr', { ...err, ...other }));
    expect(await logs.crashed({ instance: 'production-v1-aa', at: crashAt })).toBe(200);
    const all = await logs.search({ limit: 500 });
    const levelOf = (raw: string) => all.find((l) => l.raw === raw)?.level;
    expect(levelOf('frame 204')).toBe('error');
    expect(levelOf('frame 5')).toBe('error');
    expect(levelOf('frame 4')).toBeNull();
    expect(levelOf('old stderr note')).toBeNull();
    expect(levelOf('WARN disk almost full')).toBe('warn');
    expect(levelOf('plain stdout')).toBeNull();
    expect(levelOf('neighbour stderr')).toBeNull();
  });

  it('drops lines older than the age, oldest first', async () => {
    let now = T0;
    const { logs } = await setup({ logs: 'logs: { retention: { age: 1h } }', now: () => now });
    for (let i = 0; i < 10; i++) logs.ingest(line(T0 + i * 10 * 60_000, `line ${i}`));
    await logs.flush();
    now = T0 + 95 * 60_000; // keeps lines captured at or after 35 min
    const out = await logs.enforceRetention();
    expect(out.byAge.lines).toBe(4);
    const left = (await logs.search({ limit: 100 })).map((r) => r.message).reverse();
    expect(left).toEqual(['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
  });

  it('keeps the stored size under the limit by dropping the oldest lines, and the FTS index follows', async () => {
    const { logs, file } = await setup({ logs: 'logs: { retention: { size: 10KB } }', now: () => T0 + 1000 });
    const text = (i: number) => `request ${String(i).padStart(4, '0')} ${'x'.repeat(87)}`; // 100 bytes
    for (let i = 0; i < 500; i++) logs.ingest(line(T0 + i, text(i)));
    await logs.flush();
    const out = await logs.enforceRetention();
    expect(out.bytes).toBeLessThanOrEqual(10 * 1024);
    expect(out.bytes).toBeGreaterThan(10 * 1024 * 0.8);
    const kept = (await logs.search({ limit: 1000 })).map((r) => r.message);
    expect(kept.length).toBe(out.bytes / 100);
    // Exactly the newest lines survive.
    expect(kept[0]).toBe(text(499));
    expect(kept.at(-1)).toBe(text(500 - kept.length));
    expect(await logs.search({ q: 'request', limit: 1000 })).toHaveLength(kept.length);
    expect(await logs.search({ q: '"request 0000"', limit: 10 })).toEqual([]);
    // SQLite's FTS5 table is kept apart from the lines, by triggers; PostgreSQL's index is the table's own.
    if (storeKind === 'sqlite') {
      const ftsRows = await fixture.query(
        file,
        "select count(*) as n from log_fts where log_fts match 'request'",
      );
      expect(ftsRows).toEqual([{ n: kept.length }]);
    }
  });
});

describe('redaction', () => {
  it('never stores a known secret value, in raw text, message or fields', async () => {
    const secret = 's3cr3t-T0ken-value';
    const { logs, file } = await setup({ secrets: [secret] });
    logs.ingest(line(T0, `connecting with password ${secret}`));
    logs.ingest(
      line(T0 + 1, JSON.stringify({ level: 30, msg: `auth ${secret}`, headers: { auth: secret } })),
    );
    logs.ingest(line(T0 + 2, `level=info msg="token=${secret}" key=${secret}`));
    await logs.flush();
    const all = await logs.search({ limit: 10 });
    expect(all).toHaveLength(3);
    expect(JSON.stringify(all)).not.toContain(secret);
    expect(all.map((r) => r.message)).toEqual([
      'token=[redacted]',
      'auth [redacted]',
      'connecting with password [redacted]',
    ]);
    expect(await logs.search({ q: secret, limit: 10 })).toEqual([]);
    const dump = JSON.stringify(await fixture.query(file, 'select * from log_lines'));
    expect(dump).not.toContain(secret);
  });
});
