import type { Kysely } from 'kysely';
import type { Database } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { ServiceRecord, ServiceRepo } from '../types/catalog.ts';

export class KyselyServiceRepo implements ServiceRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async upsert(name: string): Promise<void> {
    await ensureService(this.#db, name, this.#now());
  }

  async list(): Promise<ServiceRecord[]> {
    const rows = await this.#db.selectFrom('services').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at }));
  }
}

/** Inserts the service unless it exists; usable inside a transaction. */
export async function ensureService(db: Kysely<Database>, name: string, now: string): Promise<void> {
  await db
    .insertInto('services')
    .values({ name, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}
