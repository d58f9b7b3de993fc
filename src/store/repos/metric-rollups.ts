// Per-minute request statistics. Plain SQL that SQLite and PostgreSQL both run: an insert that
// yields to an existing row, then a read-merge-update inside one transaction for that rare case.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, MetricRollupsTable } from '../database.ts';
import type { MetricRollupRecord, MetricRollupRepo } from '../types/metric-rollups.ts';

type Merge = (existing: MetricRollupRecord, row: MetricRollupRecord) => MetricRollupRecord;

export class KyselyMetricRollupRepo implements MetricRollupRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(rows: MetricRollupRecord[], merge: Merge): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const row of rows) await addRow(trx, row, merge);
    });
  }

  async list(q: {
    service: string;
    environment: string;
    version?: string;
    from: string;
    to: string;
  }): Promise<MetricRollupRecord[]> {
    let query = this.#db
      .selectFrom('metric_rollups')
      .selectAll()
      .where('service', '=', q.service)
      .where('environment', '=', q.environment)
      .where('minute', '>=', q.from)
      .where('minute', '<', q.to)
      .orderBy('minute')
      .orderBy('version');
    if (q.version !== undefined) query = query.where('version', '=', q.version);
    return (await query.execute()).map(toRecord);
  }

  async prune(before: string): Promise<number> {
    const res = await this.#db.deleteFrom('metric_rollups').where('minute', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

async function addRow(trx: Transaction<Database>, row: MetricRollupRecord, merge: Merge): Promise<void> {
  const inserted = await trx
    .insertInto('metric_rollups')
    .values(toRow(row))
    .onConflict((oc) => oc.columns(['service', 'environment', 'version', 'minute']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
  const existing = await trx
    .selectFrom('metric_rollups')
    .selectAll()
    .where('service', '=', row.service)
    .where('environment', '=', row.environment)
    .where('version', '=', row.version)
    .where('minute', '=', row.minute)
    .executeTakeFirstOrThrow();
  const { service, environment, version, minute, ...fields } = toRow(merge(toRecord(existing), row));
  await trx
    .updateTable('metric_rollups')
    .set(fields)
    .where('service', '=', service)
    .where('environment', '=', environment)
    .where('version', '=', version)
    .where('minute', '=', minute)
    .execute();
}

function toRow(r: MetricRollupRecord): Selectable<MetricRollupsTable> {
  return {
    service: r.service,
    environment: r.environment,
    version: r.version,
    minute: r.minute,
    requests: r.requests,
    c2xx: r.c2xx,
    c3xx: r.c3xx,
    c4xx: r.c4xx,
    c5xx: r.c5xx,
    client_aborts: r.clientAborts,
    latency_sum_ms: r.latencySumMs,
    sketch: r.sketch,
  };
}

function toRecord(row: Selectable<MetricRollupsTable>): MetricRollupRecord {
  return {
    service: row.service,
    environment: row.environment,
    version: row.version,
    minute: row.minute,
    requests: Number(row.requests),
    c2xx: Number(row.c2xx),
    c3xx: Number(row.c3xx),
    c4xx: Number(row.c4xx),
    c5xx: Number(row.c5xx),
    clientAborts: Number(row.client_aborts),
    latencySumMs: Number(row.latency_sum_ms),
    sketch: row.sketch,
  };
}
