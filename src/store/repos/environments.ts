import type { Kysely, Selectable } from 'kysely';
import type { Database, EnvironmentsTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { EnvironmentRecord, EnvironmentRepo } from '../types/catalog.ts';
import { ensureService } from './services.ts';

export class KyselyEnvironmentRepo implements EnvironmentRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async ensure(service: string, name: string): Promise<void> {
    const now = this.#now();
    await this.#db.transaction().execute((trx) => ensureEnvironment(trx, service, name, now));
  }

  async get(service: string, name: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.#db
      .selectFrom('environments')
      .selectAll()
      .where('service', '=', service)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toEnvironmentRecord(row);
  }

  async list(service: string): Promise<EnvironmentRecord[]> {
    const rows = await this.#db
      .selectFrom('environments')
      .selectAll()
      .where('service', '=', service)
      .orderBy('name')
      .execute();
    return rows.map(toEnvironmentRecord);
  }
}

/** Inserts the service and the environment unless they exist; never touches a current version. */
export async function ensureEnvironment(
  db: Kysely<Database>,
  service: string,
  name: string,
  now: string,
): Promise<void> {
  await ensureService(db, service, now);
  await db
    .insertInto('environments')
    .values({
      service,
      name,
      current_version: null,
      current_release_id: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['service', 'name']).doNothing())
    .execute();
}

function toEnvironmentRecord(row: Selectable<EnvironmentsTable>): EnvironmentRecord {
  return {
    service: row.service,
    name: row.name,
    currentVersion: row.current_version,
    currentReleaseId: row.current_release_id,
    updatedAt: row.updated_at,
  };
}
