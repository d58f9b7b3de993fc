// The outbox of notification deliveries and the per-alert notification log. Times come from the
// caller (the notifier owns the clock that schedules retries), so the rows and the schedule agree.
import type { Kysely, Selectable } from 'kysely';
import type { Database, NotificationAlertsTable, NotificationOutboxTable } from '../database.ts';
import type {
  AlertGroupRecord,
  AlertLogRepo,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStatus,
  NewDelivery,
  NotificationRepos,
  OutboxRepo,
} from '../types/notifications.ts';
import { KyselySilenceRepo } from './silences.ts';

export function createNotificationRepos(db: Kysely<Database>): NotificationRepos {
  return {
    outbox: new KyselyOutboxRepo(db),
    alerts: new KyselyAlertLogRepo(db),
    silences: new KyselySilenceRepo(db),
  };
}

export class KyselyOutboxRepo implements OutboxRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async pending(limit: number, service?: string): Promise<DeliveryRecord[]> {
    let query = this.#db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit);
    if (service !== undefined) query = query.where('service', '=', service);
    return (await query.execute()).map(toDelivery);
  }

  async claim(id: string, owner: string, until: string, now: string): Promise<boolean> {
    const res = await this.#db
      .updateTable('notification_outbox')
      .set({ claimed_by: owner, claimed_until: until })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async releaseClaims(): Promise<number> {
    const res = await this.#db
      .updateTable('notification_outbox')
      .set({ claimed_by: null, claimed_until: null })
      .where('status', '=', 'pending')
      .where('claimed_by', 'is not', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async finish(id: string, a: DeliveryAttempt): Promise<boolean> {
    const res = await this.#db
      .updateTable('notification_outbox')
      .set({
        status: a.status,
        attempts: a.attempts,
        next_attempt_at: a.nextAttemptAt,
        last_error: a.lastError,
        delivered_at: a.deliveredAt,
        updated_at: a.at,
        claimed_by: null,
        claimed_until: null,
      })
      .where('id', '=', id)
      .where('claimed_by', '=', a.owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.#db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDelivery(row) : undefined;
  }

  async list(q: { limit?: number; status?: DeliveryStatus; service?: string }): Promise<DeliveryRecord[]> {
    let query = this.#db
      .selectFrom('notification_outbox')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit ?? 100);
    if (q.status !== undefined) query = query.where('status', '=', q.status);
    if (q.service !== undefined) query = query.where('service', '=', q.service);
    return (await query.execute()).map(toDelivery);
  }
}

export class KyselyAlertLogRepo implements AlertLogRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async commit(group: AlertGroupRecord, deliveries: NewDelivery[]): Promise<string[]> {
    return this.#db.transaction().execute(async (trx) => {
      const { group_key, ...fields } = toGroupRow(group);
      await trx
        .insertInto('notification_alerts')
        .values({ group_key, ...fields })
        .onConflict((oc) => oc.column('group_key').doUpdateSet(fields))
        .execute();
      const inserted: string[] = [];
      for (const d of deliveries) {
        const res = await trx
          .insertInto('notification_outbox')
          .values(toOutboxRow(d))
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) inserted.push(d.id);
      }
      return inserted;
    });
  }

  async get(groupKey: string): Promise<AlertGroupRecord | undefined> {
    const row = await this.#db
      .selectFrom('notification_alerts')
      .selectAll()
      .where('group_key', '=', groupKey)
      .executeTakeFirst();
    return row ? toGroup(row) : undefined;
  }

  async list(q: { status?: 'firing' | 'resolved' } = {}): Promise<AlertGroupRecord[]> {
    let query = this.#db.selectFrom('notification_alerts').selectAll().orderBy('group_key');
    if (q.status !== undefined) query = query.where('status', '=', q.status);
    return (await query.execute()).map(toGroup);
  }
}

function toOutboxRow(d: NewDelivery): Selectable<NotificationOutboxTable> {
  return {
    id: d.id,
    group_key: d.groupKey,
    service: d.service,
    alarm: d.alarm,
    environment: d.environment,
    receiver: d.receiver,
    channel_index: d.channelIndex,
    channel_type: d.channelType,
    kind: d.kind,
    payload: JSON.stringify(d.payload),
    status: 'pending',
    attempts: 0,
    next_attempt_at: d.nextAttemptAt,
    claimed_by: null,
    claimed_until: null,
    last_error: null,
    created_at: d.createdAt,
    updated_at: d.createdAt,
    delivered_at: null,
  };
}

function toDelivery(row: Selectable<NotificationOutboxTable>): DeliveryRecord {
  return {
    id: row.id,
    groupKey: row.group_key,
    service: row.service,
    alarm: row.alarm,
    environment: row.environment,
    receiver: row.receiver,
    channelIndex: Number(row.channel_index),
    channelType: row.channel_type,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    claimedBy: row.claimed_by,
    claimedUntil: row.claimed_until,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

function toGroupRow(g: AlertGroupRecord): Selectable<NotificationAlertsTable> {
  return {
    group_key: g.groupKey,
    service: g.service,
    alarm: g.alarm,
    environment: g.environment,
    status: g.status,
    episode_id: g.episodeId,
    alert: JSON.stringify(g.alert),
    receivers: JSON.stringify(g.receivers),
    notified: g.notified,
    last_notified_at: g.lastNotifiedAt,
    repeats: g.repeats,
    acked_at: g.ackedAt,
    acked_by: g.ackedBy,
    updated_at: g.updatedAt,
  };
}

function toGroup(row: Selectable<NotificationAlertsTable>): AlertGroupRecord {
  return {
    groupKey: row.group_key,
    service: row.service,
    alarm: row.alarm,
    environment: row.environment,
    status: row.status,
    episodeId: row.episode_id,
    alert: JSON.parse(row.alert) as unknown,
    receivers: JSON.parse(row.receivers) as string[],
    notified: row.notified,
    lastNotifiedAt: row.last_notified_at,
    repeats: Number(row.repeats),
    ackedAt: row.acked_at,
    ackedBy: row.acked_by,
    updatedAt: row.updated_at,
  };
}
