// Per-minute request statistics. Plain SQL that SQLite and PostgreSQL both run: one insert of many
// rows that yields to existing ones, then a read-merge-update inside the same transaction for each
// row that met one (the rare case).
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, MetricRollupsTable } from '../database.ts';
import type { MetricRollupRecord, MetricRollupRepo } from '../types/metric-rollups.ts';

/** Rows per INSERT: 12 parameters each, well under SQLite's limit of bound variables. */
const ROWS_PER_INSERT = 500;

type Merge = (existing: MetricRollupRecord, row: MetricRollupRecord) => MetricRollupRecord;

export class KyselyMetricRollupRepo implements MetricRollupRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(rows: MetricRollupRecord[], merge: Merge): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        const inserted = await trx
          .insertInto('metric_rollups')
          .values(chunk.map(toRow))
          .onConflict((oc) => oc.columns(['service', 'environment', 'version', 'minute']).doNothing())
          .returning(['service', 'environment', 'version', 'minute'])
          .execute();
        // Each returned key stands for one row of the chunk; a row whose key is not (or no longer)
        // among them met an existing row, perhaps one written earlier in this very chunk.
        const fresh = new Map<string, number>();
        for (const k of inserted) fresh.set(keyOf(k), (fresh.get(keyOf(k)) ?? 0) + 1);
        for (const row of chunk) {
          const left = fresh.get(keyOf(row)) ?? 0;
          if (left > 0) fresh.set(keyOf(row), left - 1);
          else await mergeRow(trx, row, merge);
        }
      }
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

function keyOf(r: Pick<MetricRollupRecord, 'service' | 'environment' | 'version' | 'minute'>): string {
  return JSON.stringify([r.service, r.environment, r.version, r.minute]);
}

async function mergeRow(trx: Transaction<Database>, row: MetricRollupRecord, merge: Merge): Promise<void> {
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
