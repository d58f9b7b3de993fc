// Webhook deliveries and the release triggers they record. A delivery's id is its primary key, so
// recording a replayed delivery fails on the key and changes nothing.
import type { Kysely, Selectable } from 'kysely';
import type { Database, ReleaseTriggersTable, WebhookDeliveriesTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type {
  ReleaseTriggerRecord,
  TriggerRepo,
  TriggerState,
  WebhookDeliveryRecord,
} from '../types/triggers.ts';

export class KyselyTriggerRepo implements TriggerRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async recordDelivery(
    d: Omit<WebhookDeliveryRecord, 'receivedAt'>,
  ): Promise<WebhookDeliveryRecord | undefined> {
    const record: WebhookDeliveryRecord = { ...d, receivedAt: this.#now() };
    try {
      await this.#db.insertInto('webhook_deliveries').values(toDeliveryRow(record)).execute();
    } catch (err) {
      // Whatever the dialect's wording for a duplicate key, an existing row is the reason.
      if (await this.getDelivery(d.id)) return undefined;
      throw err;
    }
    return record;
  }

  async finishDelivery(
    id: string,
    patch: Pick<WebhookDeliveryRecord, 'outcome' | 'message' | 'ref' | 'commit' | 'triggerId' | 'releaseId'>,
  ): Promise<void> {
    await this.#db
      .updateTable('webhook_deliveries')
      .set({
        outcome: patch.outcome,
        message: patch.message,
        ref: patch.ref,
        commit_sha: patch.commit,
        trigger_id: patch.triggerId,
        release_id: patch.releaseId,
      })
      .where('id', '=', id)
      .execute();
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  async listDeliveries(limit = 100): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  async pruneDeliveries(before: string): Promise<number> {
    const res = await this.#db
      .deleteFrom('webhook_deliveries')
      .where('received_at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async createTrigger(
    t: Omit<ReleaseTriggerRecord, 'createdAt' | 'updatedAt'>,
  ): Promise<ReleaseTriggerRecord> {
    const at = this.#now();
    const record: ReleaseTriggerRecord = { ...t, createdAt: at, updatedAt: at };
    await this.#db.insertInto('release_triggers').values(toTriggerRow(record)).execute();
    return record;
  }

  async getTrigger(id: string): Promise<ReleaseTriggerRecord | undefined> {
    const row = await this.#db
      .selectFrom('release_triggers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toTrigger(row);
  }

  async listTriggers(q: {
    service: string;
    state?: TriggerState;
    environment?: string;
    version?: string;
    limit?: number;
  }): Promise<ReleaseTriggerRecord[]> {
    let query = this.#db
      .selectFrom('release_triggers')
      .selectAll()
      .where('service', '=', q.service)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit ?? 100);
    if (q.state !== undefined) query = query.where('state', '=', q.state);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    if (q.version !== undefined) query = query.where('version', '=', q.version);
    return (await query.execute()).map(toTrigger);
  }

  async moveTrigger(
    id: string,
    from: TriggerState,
    to: TriggerState,
    patch: { message: string; releaseId?: string | null },
  ): Promise<boolean> {
    const res = await this.#db
      .updateTable('release_triggers')
      .set({
        state: to,
        message: patch.message,
        updated_at: this.#now(),
        ...(patch.releaseId !== undefined ? { release_id: patch.releaseId } : {}),
      })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async pruneTriggers(before: string): Promise<number> {
    const res = await this.#db
      .deleteFrom('release_triggers')
      .where('created_at', '<', before)
      .where('state', 'not in', ['pending', 'starting'])
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

function toDeliveryRow(d: WebhookDeliveryRecord): Selectable<WebhookDeliveriesTable> {
  return {
    id: d.id,
    source: d.source,
    event: d.event,
    received_at: d.receivedAt,
    outcome: d.outcome,
    message: d.message,
    ref: d.ref,
    commit_sha: d.commit,
    trigger_id: d.triggerId,
    release_id: d.releaseId,
  };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  return {
    id: row.id,
    source: row.source,
    event: row.event,
    receivedAt: row.received_at,
    outcome: row.outcome,
    message: row.message,
    ref: row.ref,
    commit: row.commit_sha,
    triggerId: row.trigger_id,
    releaseId: row.release_id,
  };
}

function toTriggerRow(t: ReleaseTriggerRecord): Selectable<ReleaseTriggersTable> {
  return {
    id: t.id,
    service: t.service,
    environment: t.environment,
    version: t.version,
    ref: t.ref,
    commit_sha: t.commit,
    delivery_id: t.deliveryId,
    pusher: t.pusher,
    state: t.state,
    message: t.message,
    release_id: t.releaseId,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    expires_at: t.expiresAt,
  };
}

function toTrigger(row: Selectable<ReleaseTriggersTable>): ReleaseTriggerRecord {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    version: row.version,
    ref: row.ref,
    commit: row.commit_sha,
    deliveryId: row.delivery_id,
    pusher: row.pusher,
    state: row.state,
    message: row.message,
    releaseId: row.release_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}
