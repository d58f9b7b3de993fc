import type { Kysely, Selectable } from 'kysely';
import type { Database, IncidentEntriesTable, IncidentsTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type {
  IncidentChange,
  IncidentEntryRecord,
  IncidentRecord,
  IncidentRepo,
  IncidentStatus,
  NewIncidentEntry,
} from '../types/incidents.ts';

const ACTIVE: IncidentStatus[] = ['open', 'acknowledged'];

type NewIncident = Parameters<IncidentRepo['open']>[0];

export class KyselyIncidentRepo implements IncidentRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async open(
    i: NewIncident,
    entries: NewIncidentEntry[],
  ): Promise<{ incident: IncidentRecord; opened: boolean }> {
    const now = this.#now();
    try {
      const existing = await this.#db.transaction().execute(async (trx) => {
        const active = await activeRow(trx, i.service, i.environment);
        if (active) return active.id;
        await trx
          .insertInto('incidents')
          .values({
            id: i.id,
            service: i.service,
            environment: i.environment,
            description: i.description,
            severity: i.severity,
            status: 'open',
            opened_at: i.openedAt,
            acknowledged_at: null,
            acknowledged_by: null,
            resolved_at: null,
            resolved_by: null,
            assignee: null,
            resolution: null,
            root_cause: null,
            updated_at: now,
            last_seq: 0,
          })
          .execute();
        await addAlarm(trx, i.id, i.alarm, i.openedAt);
        for (const e of entries) await appendEntry(trx, i.id, e);
        return undefined;
      });
      if (existing === undefined) return { incident: await this.#getOrThrow(i.id), opened: true };
      return { incident: await this.#getOrThrow(existing), opened: false };
    } catch (err) {
      // Another writer opened one between our read and insert: the unique index refused ours.
      const active = await this.findActive(i.service, i.environment);
      if (active) return { incident: active, opened: false };
      throw err;
    }
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const row = await this.#db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && (await this.#withAlarms(this.#db, [row]))[0];
  }

  async findActive(service: string, environment: string): Promise<IncidentRecord | undefined> {
    const row = await activeRow(this.#db, service, environment);
    return row && (await this.#withAlarms(this.#db, [row]))[0];
  }

  async list(q: {
    service?: string;
    environment?: string;
    status?: IncidentStatus[];
    since?: string;
    limit?: number;
  }): Promise<IncidentRecord[]> {
    let query = this.#db
      .selectFrom('incidents')
      .selectAll()
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc');
    if (q.service !== undefined) query = query.where('service', '=', q.service);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    if (q.status !== undefined && q.status.length > 0) query = query.where('status', 'in', q.status);
    if (q.since !== undefined) query = query.where('opened_at', '>=', q.since);
    if (q.limit !== undefined) query = query.limit(q.limit);
    return this.#withAlarms(this.#db, await query.execute());
  }

  async update(id: string, change: IncidentChange): Promise<IncidentRecord | undefined> {
    const now = this.#now();
    const done = await this.#db.transaction().execute(async (trx) => {
      let query = trx
        .updateTable('incidents')
        .set({ ...toColumns(change.set ?? {}), updated_at: now })
        .where('id', '=', id);
      if (change.ifStatus !== undefined) query = query.where('status', 'in', change.ifStatus);
      const updated = await query.executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return false;
      if (change.addAlarm !== undefined) {
        const entries = change.entries ?? [];
        await addAlarm(trx, id, change.addAlarm, entries[0]?.at ?? now);
      }
      for (const e of change.entries ?? []) await appendEntry(trx, id, e);
      return true;
    });
    return done ? this.get(id) : undefined;
  }

  async entries(id: string): Promise<IncidentEntryRecord[]> {
    const rows = await this.#db
      .selectFrom('incident_entries')
      .selectAll()
      .where('incident_id', '=', id)
      .orderBy('seq')
      .execute();
    return rows.map(toEntryRecord);
  }

  async #getOrThrow(id: string): Promise<IncidentRecord> {
    const rec = await this.get(id);
    if (!rec) throw new Error(`incident ${id} vanished right after it was written`);
    return rec;
  }

  async #withAlarms(db: Kysely<Database>, rows: Selectable<IncidentsTable>[]): Promise<IncidentRecord[]> {
    if (rows.length === 0) return [];
    const members = await db
      .selectFrom('incident_alarms')
      .select(['incident_id', 'alarm'])
      .where(
        'incident_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('incident_id')
      .orderBy('position')
      .execute();
    const byIncident = new Map<string, string[]>();
    for (const m of members) {
      const list = byIncident.get(m.incident_id) ?? [];
      list.push(m.alarm);
      byIncident.set(m.incident_id, list);
    }
    return rows.map((r) => toRecord(r, byIncident.get(r.id) ?? []));
  }
}

function activeRow(db: Kysely<Database>, service: string, environment: string) {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('service', '=', service)
    .where('environment', '=', environment)
    .where('status', 'in', ACTIVE)
    .executeTakeFirst();
}

async function addAlarm(db: Kysely<Database>, incidentId: string, alarm: string, at: string): Promise<void> {
  const members = await db
    .selectFrom('incident_alarms')
    .select('alarm')
    .where('incident_id', '=', incidentId)
    .execute();
  if (members.some((m) => m.alarm === alarm)) return;
  await db
    .insertInto('incident_alarms')
    .values({ incident_id: incidentId, alarm, position: members.length + 1, joined_at: at })
    .execute();
}

/**
 * Appends an entry with the incident's next seq, unless its key is there already. Call inside a
 * transaction: the UPDATE that takes the seq also locks the incident row.
 */
async function appendEntry(db: Kysely<Database>, incidentId: string, e: NewIncidentEntry): Promise<void> {
  const key = e.key ?? null;
  if (key !== null) {
    const seen = await db
      .selectFrom('incident_entries')
      .select('seq')
      .where('incident_id', '=', incidentId)
      .where('dedupe_key', '=', key)
      .executeTakeFirst();
    if (seen) return;
  }
  const bumped = await db
    .updateTable('incidents')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', incidentId)
    .returning('last_seq')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('incident_entries')
    .values({
      incident_id: incidentId,
      seq: Number(bumped.last_seq),
      at: e.at,
      type: e.type,
      message: e.message,
      actor: e.by ?? null,
      data: e.data ? JSON.stringify(e.data) : null,
      dedupe_key: key,
    })
    .execute();
}

function toColumns(set: NonNullable<IncidentChange['set']>): Partial<IncidentsTable> {
  const cols: Partial<IncidentsTable> = {};
  if (set.severity !== undefined) cols.severity = set.severity;
  if (set.status !== undefined) cols.status = set.status;
  if (set.acknowledgedAt !== undefined) cols.acknowledged_at = set.acknowledgedAt;
  if (set.acknowledgedBy !== undefined) cols.acknowledged_by = set.acknowledgedBy;
  if (set.resolvedAt !== undefined) cols.resolved_at = set.resolvedAt;
  if (set.resolvedBy !== undefined) cols.resolved_by = set.resolvedBy;
  if (set.assignee !== undefined) cols.assignee = set.assignee;
  if (set.resolution !== undefined) cols.resolution = set.resolution;
  if (set.rootCause !== undefined) cols.root_cause = set.rootCause;
  return cols;
}

function toRecord(row: Selectable<IncidentsTable>, alarms: string[]): IncidentRecord {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    description: row.description,
    severity: row.severity,
    status: row.status,
    alarms,
    openedAt: row.opened_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    assignee: row.assignee,
    resolution: row.resolution,
    rootCause: row.root_cause,
    updatedAt: row.updated_at,
  };
}

function toEntryRecord(row: Selectable<IncidentEntriesTable>): IncidentEntryRecord {
  return {
    incidentId: row.incident_id,
    seq: Number(row.seq),
    at: row.at,
    type: row.type,
    message: row.message,
    by: row.actor,
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
  };
}
