// Alarm states and their append-only history. A transition and the state it leads to are written
// in one transaction, so a restarted server never sees a state without the transition into it.
import type { Kysely, Selectable } from 'kysely';
import type { AlarmHistoryTable, AlarmStatesTable, Database } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { AlarmRepo, AlarmStateRecord, AlarmTransitionRecord } from '../types/alarms.ts';

interface HistoryDetail {
  datapoints: Array<number | null>;
  threshold: { above?: number; below?: number };
  notify: string[];
  runbook: string | null;
  description: string | null;
}

export class KyselyAlarmRepo implements AlarmRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async states(service: string): Promise<AlarmStateRecord[]> {
    const rows = await this.#db
      .selectFrom('alarm_states')
      .selectAll()
      .where('service', '=', service)
      .orderBy('alarm')
      .orderBy('environment')
      .execute();
    return rows.map(toState);
  }

  async recordTransition(t: AlarmTransitionRecord): Promise<void> {
    const detail: HistoryDetail = {
      datapoints: t.datapoints,
      threshold: t.threshold,
      notify: t.notify,
      runbook: t.runbook,
      description: t.description,
    };
    const state = {
      service: t.service,
      alarm: t.alarm,
      environment: t.environment,
      metric: t.metric,
      state: t.to,
      since: t.at,
      reason: t.reason,
      last_transition_id: t.id,
      updated_at: this.#now(),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('alarm_history')
        .values({
          id: t.id,
          service: t.service,
          alarm: t.alarm,
          environment: t.environment,
          metric: t.metric,
          severity: t.severity,
          from_state: t.from,
          to_state: t.to,
          at: t.at,
          reason: t.reason,
          detail: JSON.stringify(detail),
        })
        .execute();
      await trx
        .insertInto('alarm_states')
        .values(state)
        .onConflict((oc) =>
          oc.columns(['service', 'alarm', 'environment']).doUpdateSet({
            metric: state.metric,
            state: state.state,
            since: state.since,
            reason: state.reason,
            last_transition_id: state.last_transition_id,
            updated_at: state.updated_at,
          }),
        )
        .execute();
    });
  }

  async removeState(service: string, alarm: string, environment: string): Promise<void> {
    await this.#db
      .deleteFrom('alarm_states')
      .where('service', '=', service)
      .where('alarm', '=', alarm)
      .where('environment', '=', environment)
      .execute();
  }

  async history(q: {
    service: string;
    alarm?: string;
    environment?: string;
    limit?: number;
  }): Promise<AlarmTransitionRecord[]> {
    let query = this.#db
      .selectFrom('alarm_history')
      .selectAll()
      .where('service', '=', q.service)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit ?? 100);
    if (q.alarm !== undefined) query = query.where('alarm', '=', q.alarm);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    return (await query.execute()).map(toTransition);
  }

  async prune(before: string): Promise<number> {
    const res = await this.#db.deleteFrom('alarm_history').where('at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

function toState(row: Selectable<AlarmStatesTable>): AlarmStateRecord {
  return {
    service: row.service,
    alarm: row.alarm,
    environment: row.environment,
    metric: row.metric,
    state: row.state,
    since: row.since,
    reason: row.reason,
    lastTransitionId: row.last_transition_id,
  };
}

function toTransition(row: Selectable<AlarmHistoryTable>): AlarmTransitionRecord {
  const detail = JSON.parse(row.detail) as HistoryDetail;
  return {
    id: row.id,
    service: row.service,
    alarm: row.alarm,
    environment: row.environment,
    metric: row.metric,
    severity: row.severity,
    from: row.from_state,
    to: row.to_state,
    at: row.at,
    reason: row.reason,
    datapoints: detail.datapoints,
    threshold: detail.threshold,
    notify: detail.notify,
    runbook: detail.runbook,
    description: detail.description,
  };
}
