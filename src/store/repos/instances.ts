import type { Kysely, Selectable } from 'kysely';
import type { Database, InstancesTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { InstanceRecord, InstanceRepo, StoredHandle } from '../types/instances.ts';

export class KyselyInstanceRepo implements InstanceRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async upsert(i: Omit<InstanceRecord, 'createdAt' | 'updatedAt'>): Promise<void> {
    const now = this.#now();
    const fields = {
      service: i.service,
      environment: i.environment,
      version: i.version,
      release_id: i.releaseId,
      runtime: i.runtime,
      state: i.state,
      handle: i.handle === null ? null : JSON.stringify(i.handle),
      port: i.port,
      restarts: i.restarts,
      updated_at: now,
    };
    await this.#db
      .insertInto('instances')
      .values({ id: i.id, ...fields, created_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet(fields))
      .execute();
  }

  async get(id: string): Promise<InstanceRecord | undefined> {
    const row = await this.#db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toInstanceRecord(row);
  }

  async list(q: { service?: string; environment?: string } = {}): Promise<InstanceRecord[]> {
    let query = this.#db.selectFrom('instances').selectAll().orderBy('created_at').orderBy('id');
    if (q.service !== undefined) query = query.where('service', '=', q.service);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    return (await query.execute()).map(toInstanceRecord);
  }

  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('instances').where('id', '=', id).execute();
  }
}

function toInstanceRecord(row: Selectable<InstancesTable>): InstanceRecord {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    version: row.version,
    releaseId: row.release_id,
    runtime: row.runtime,
    state: row.state,
    handle: parseHandle(row.handle),
    port: row.port === null ? null : Number(row.port),
    restarts: Number(row.restarts),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored handle, or null when there is none or it is not a handle (then nothing can be adopted). */
function parseHandle(text: string | null): StoredHandle | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && typeof (value as { driver?: unknown }).driver === 'string') {
      return value as StoredHandle;
    }
  } catch {}
  return null;
}
