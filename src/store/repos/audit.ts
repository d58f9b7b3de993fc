// The audit log's rows. Appending reads the newest entry and inserts the next one in the same
// (write-locking) transaction, so two writers cannot both chain onto the same predecessor. There is
// deliberately no update or delete here, and the schema refuses both.
import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, Database } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { AuditRecord, AuditRepo, NewAuditEntry } from '../types/audit.ts';

export class KyselyAuditRepo implements AuditRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  append(e: NewAuditEntry, seal: (entry: Omit<AuditRecord, 'hash'>) => string): Promise<AuditRecord> {
    return this.#db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const unsealed: Omit<AuditRecord, 'hash'> = {
        ...e,
        seq: (last ? Number(last.seq) : 0) + 1,
        at: this.#now(),
        prevHash: last?.hash ?? '',
      };
      const record: AuditRecord = { ...unsealed, hash: seal(unsealed) };
      await trx.insertInto('audit_log').values(toRow(record)).execute();
      return record;
    });
  }

  async list(q: {
    limit: number;
    before?: number;
    environment?: string;
    action?: string;
  }): Promise<AuditRecord[]> {
    let query = this.#db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(q.limit);
    if (q.before !== undefined) query = query.where('seq', '<', q.before);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    return (await query.execute()).map(toRecord);
  }

  async scan(after: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.#db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }
}

function toRow(r: AuditRecord): Selectable<AuditLogTable> {
  return {
    seq: r.seq,
    at: r.at,
    actor_kind: r.actorKind,
    actor_id: r.actorId,
    actor_name: r.actorName,
    address: r.address,
    action: r.action,
    environment: r.environment,
    release_id: r.release,
    target: r.target,
    status: r.status,
    error_code: r.error,
    details: r.details,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

function toRecord(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    seq: Number(row.seq),
    at: row.at,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    actorName: row.actor_name,
    address: row.address,
    action: row.action,
    environment: row.environment,
    release: row.release_id,
    target: row.target,
    status: row.status === null ? null : Number(row.status),
    error: row.error_code,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
