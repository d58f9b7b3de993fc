// The audit log on a real database (SQLite file or PostgreSQL): append-only (the database refuses UPDATE and DELETE),
// hash-chained, and a verification that names the first entry someone tampered with by going
// around the database's refusal.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sealAuditEntry } from '../src/audit/chain.ts';
import { REDACTED, sanitizeDetails } from '../src/audit/details.ts';
import { AuditLog } from '../src/audit/log.ts';
import { SYSTEM_ACTOR } from '../src/auth/types.ts';
import { storeKind, useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();

async function logWith(n: number): Promise<{ audit: AuditLog; file: string }> {
  const file = path.join(fixture.dir(), 'gantry.db');
  const store = await fixture.open(file);
  const audit = new AuditLog({ repo: store.audit });
  for (let i = 1; i <= n; i++) {
    await audit.record({
      actor: { kind: 'token', id: `tok_${i}`, name: `user-${i}`, address: '10.0.0.7' },
      action: 'POST /api/v1/releases',
      environment: i % 2 ? 'staging' : 'production',
      release: `rel_${i}`,
      status: 201,
      details: { body: { environment: 'staging', version: `v${i}` } },
    });
  }
  return { audit, file };
}

/** Runs `sql` with the append-only triggers dropped, as someone editing the database by hand would. */
async function tamper(file: string, sql: string): Promise<void> {
  if (storeKind === 'sqlite') {
    await fixture.query(file, 'drop trigger audit_log_no_update');
    await fixture.query(file, 'drop trigger audit_log_no_delete');
  } else {
    await fixture.query(file, 'drop trigger audit_log_append_only on audit_log');
  }
  await fixture.query(file, sql);
}

describe('audit log', () => {
  it('chains every entry to the one before and verifies the whole chain', async () => {
    const { audit } = await logWith(5);
    const entries = await audit.list({ limit: 10 });
    expect(entries.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(entries.at(-1)?.prevHash).toBe('');
    for (let i = 0; i < entries.length - 1; i++) expect(entries[i]?.prevHash).toBe(entries[i + 1]?.hash);
    expect(entries[0]).toMatchObject({
      actor: { kind: 'token', id: 'tok_5', name: 'user-5' },
      address: '10.0.0.7',
      action: 'POST /api/v1/releases',
      target: { environment: 'staging', release: 'rel_5', name: null },
      outcome: { status: 201, error: null },
      details: { body: { environment: 'staging', version: 'v5' } },
    });
    expect(await audit.verify()).toEqual({
      ok: true,
      checked: 5,
      head: { seq: 5, hash: entries[0]?.hash },
    });
  });

  it('chains entries written at once by two servers on one database without a gap or a fork', async () => {
    const file = path.join(fixture.dir(), 'gantry.db');
    const logs = [
      new AuditLog({ repo: (await fixture.open(file)).audit }),
      new AuditLog({ repo: (await fixture.open(file)).audit }),
    ];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        logs[i % 2]?.record({ actor: SYSTEM_ACTOR, action: 'test.concurrent', details: { i } }),
      ),
    );
    expect(await logs[0]?.verify()).toMatchObject({ ok: true, checked: 60 });
  });

  it('the database refuses UPDATE and DELETE on the audit log', async () => {
    const { file } = await logWith(2);
    await expect(
      fixture.query(file, "update audit_log set action = 'nothing' where seq = 1"),
    ).rejects.toThrow(/append-only: update refused/);
    await expect(fixture.query(file, 'delete from audit_log where seq = 2')).rejects.toThrow(
      /append-only: delete refused/,
    );
    const [count] = await fixture.query<{ n: number | string }>(file, 'select count(*) as n from audit_log');
    expect(Number(count?.n)).toBe(2);
  });

  it('names an altered entry', async () => {
    const { audit, file } = await logWith(6);
    await tamper(file, "update audit_log set actor_name = 'someone-else' where seq = 4");
    const r = await audit.verify();
    expect(r.ok).toBe(false);
    expect(r.checked).toBe(3);
    expect(r.firstBad).toEqual({ seq: 4, reason: expect.stringMatching(/altered/) });
  });

  it('names the entry after a deleted one', async () => {
    const { audit, file } = await logWith(6);
    await tamper(file, 'delete from audit_log where seq = 3');
    expect((await audit.verify()).firstBad).toEqual({ seq: 4, reason: expect.stringMatching(/missing/) });
  });

  it('detects an entry whose hash was recomputed after an edit (its successor no longer fits)', async () => {
    const { audit, file } = await logWith(5);
    const [row] = await fixture.query<Record<string, string | number | null>>(
      file,
      'select * from audit_log where seq = 2',
    );
    if (!row) throw new Error('no row 2');
    const forged = {
      seq: Number(row.seq),
      at: String(row.at),
      actorKind: String(row.actor_kind),
      actorId: String(row.actor_id),
      actorName: 'forger',
      address: row.address === null ? null : String(row.address),
      action: String(row.action),
      environment: row.environment === null ? null : String(row.environment),
      release: row.release_id === null ? null : String(row.release_id),
      target: row.target === null ? null : String(row.target),
      status: row.status === null ? null : Number(row.status),
      error: row.error_code === null ? null : String(row.error_code),
      details: String(row.details),
      prevHash: String(row.prev_hash),
    };
    await tamper(
      file,
      `update audit_log set actor_name = 'forger', hash = '${sealAuditEntry(forged)}' where seq = 2`,
    );
    const r = await audit.verify();
    expect(r.firstBad?.seq).toBe(3);
    expect(r.firstBad?.reason).toMatch(/prev_hash/);
  });

  it('keeps secret-looking values out of the details and bounds their size', () => {
    const d = sanitizeDetails({
      body: {
        name: 'DATABASE_URL',
        value: 'postgres://u:p@h/db',
        token: 'gantry_x',
        nested: { password: 'p' },
      },
      note: 'x'.repeat(1000),
    });
    expect(d).toEqual({
      body: { name: 'DATABASE_URL', value: REDACTED, token: REDACTED, nested: { password: REDACTED } },
      note: `${'x'.repeat(300)}…`,
    });
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('records an action run outside the API with its outcome (track)', async () => {
    const { audit } = await logWith(0);
    await audit.track(
      { actor: SYSTEM_ACTOR, action: 'config.reload' },
      async () => ({ applied: ['alarms'] }),
      (r) => r,
    );
    await expect(
      audit.track({ actor: SYSTEM_ACTOR, action: 'config.reload' }, async () => {
        throw Object.assign(new Error('alarms.x: bad'), { code: 'CONFIG_INVALID' });
      }),
    ).rejects.toThrow(/bad/);
    const [failed, ok] = await audit.list({ limit: 2 });
    expect(ok).toMatchObject({
      actor: { kind: 'system' },
      details: { applied: ['alarms'] },
      outcome: { error: null },
    });
    expect(failed).toMatchObject({
      outcome: { error: 'CONFIG_INVALID' },
      details: { message: 'alarms.x: bad' },
    });
    expect((await audit.verify()).ok).toBe(true);
  });
});
