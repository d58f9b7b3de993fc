// Silences: matchers on alert labels and the time they apply. Ending one early sets its end to now,
// so the record stays for the history.
import type { Kysely, Selectable } from 'kysely';
import type { Database, SilencesTable } from '../database.ts';
import type { SilenceMatcher, SilenceRecord, SilenceRepo } from '../types/notifications.ts';

export class KyselySilenceRepo implements SilenceRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(s: SilenceRecord): Promise<SilenceRecord> {
    await this.#db.insertInto('silences').values(toRow(s)).execute();
    return s;
  }

  async get(id: string): Promise<SilenceRecord | undefined> {
    const row = await this.#db.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(q: { endsAfter?: string; limit?: number } = {}): Promise<SilenceRecord[]> {
    let query = this.#db
      .selectFrom('silences')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit ?? 1000);
    if (q.endsAfter !== undefined) query = query.where('ends_at', '>', q.endsAfter);
    return (await query.execute()).map(toRecord);
  }

  async end(id: string, endsAt: string, at: string): Promise<SilenceRecord | undefined> {
    await this.#db
      .updateTable('silences')
      .set({ ends_at: endsAt, updated_at: at })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }
}

function toRow(s: SilenceRecord): Selectable<SilencesTable> {
  return {
    id: s.id,
    matchers: JSON.stringify(s.matchers),
    starts_at: s.startsAt,
    ends_at: s.endsAt,
    comment: s.comment,
    created_by: s.createdBy,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function toRecord(row: Selectable<SilencesTable>): SilenceRecord {
  return {
    id: row.id,
    matchers: JSON.parse(row.matchers) as SilenceMatcher[],
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    comment: row.comment,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
