import type { Kysely, Selectable } from 'kysely';
import { newId } from '../../lib/ids.ts';
import type { Database, EnvironmentEventsTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { EnvironmentEventRecord, EnvironmentEventRepo } from '../types/environment-events.ts';

export class KyselyEnvironmentEventRepo implements EnvironmentEventRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async append(e: Omit<EnvironmentEventRecord, 'id' | 'at'>): Promise<EnvironmentEventRecord> {
    const row = {
      id: newId('evt'),
      service: e.service,
      environment: e.environment,
      instance: e.instance,
      version: e.version,
      type: e.type,
      message: e.message,
      data: e.data ? JSON.stringify(e.data) : null,
      at: this.#now(),
    };
    await this.#db.insertInto('environment_events').values(row).execute();
    return toRecord(row);
  }

  async list(q: {
    service: string;
    environment?: string;
    instance?: string;
    since?: string;
    until?: string;
    limit?: number;
  }): Promise<EnvironmentEventRecord[]> {
    let query = this.#db
      .selectFrom('environment_events')
      .selectAll()
      .where('service', '=', q.service)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit ?? 100);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    if (q.instance !== undefined) query = query.where('instance', '=', q.instance);
    if (q.since !== undefined) query = query.where('at', '>=', q.since);
    if (q.until !== undefined) query = query.where('at', '<=', q.until);
    return (await query.execute()).map(toRecord);
  }

  async prune(before: string): Promise<number> {
    const res = await this.#db.deleteFrom('environment_events').where('at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

function toRecord(row: Selectable<EnvironmentEventsTable>): EnvironmentEventRecord {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    instance: row.instance,
    version: row.version,
    type: row.type,
    message: row.message,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
    at: row.at,
  };
}
