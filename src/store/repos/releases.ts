import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import {
  ACTIVE_RELEASE_STATES,
  type NewRelease,
  ReleaseConflictError,
  type ReleaseEventRecord,
  type ReleasePlan,
  type ReleaseRecord,
  type ReleaseRepo,
  type ReleaseState,
} from '../types/releases.ts';
import { ensureEnvironment } from './environments.ts';
import {
  insertEvent,
  releaseNotFound,
  TERMINAL_RELEASE_STATES,
  toEventRecord,
  toReleaseRecord,
} from './release-rows.ts';

type TransitionInput = Parameters<ReleaseRepo['transition']>[1];
type EventInput = Parameters<ReleaseRepo['appendEvent']>[1];

export class KyselyReleaseRepo implements ReleaseRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async create(r: NewRelease): Promise<ReleaseRecord> {
    const now = this.#now();
    const message = describeNewRelease(r);
    try {
      await this.#db.transaction().execute(async (trx) => {
        await ensureEnvironment(trx, r.service, r.environment, now);
        await trx
          .insertInto('releases')
          .values({
            id: r.id,
            service: r.service,
            environment: r.environment,
            kind: r.kind,
            version: r.version,
            previous_version: r.previousVersion,
            strategy: r.strategy,
            state: 'pending',
            reason: null,
            message,
            plan: JSON.stringify(r.plan),
            ref: r.ref,
            created_by: r.createdBy,
            created_at: now,
            updated_at: now,
            finished_at: null,
            last_seq: 0,
          })
          .execute();
        const { id, plan: _plan, ...data } = r;
        await insertEvent(trx, id, { type: 'state', state: 'pending', message, data }, now);
      });
    } catch (err) {
      await this.#throwIfConflict(r.service, r.environment, r.id);
      throw err;
    }
    return this.#getOrThrow(this.#db, r.id);
  }

  async get(id: string): Promise<ReleaseRecord | undefined> {
    const row = await this.#db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toReleaseRecord(row);
  }

  async transition(id: string, t: TransitionInput): Promise<ReleaseRecord> {
    const now = this.#now();
    const target = await this.get(id);
    if (!target) throw releaseNotFound(id);
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('releases')
          .set({
            state: t.state,
            reason: t.reason ?? null,
            message: t.message,
            updated_at: now,
            finished_at: TERMINAL_RELEASE_STATES.has(t.state) ? now : null,
            ...(t.plan ? { plan: JSON.stringify(t.plan) } : {}),
          })
          .where('id', '=', id)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) throw releaseNotFound(id);
        if (t.setCurrentVersion !== undefined) {
          await setCurrentVersion(trx, target, t.setCurrentVersion, now);
        }
        const data = t.reason ? { reason: t.reason, ...t.data } : (t.data ?? null);
        await insertEvent(trx, id, { type: 'state', state: t.state, message: t.message, data }, now);
        return this.#getOrThrow(trx, id);
      });
    } catch (err) {
      if (isActive(t.state)) await this.#throwIfConflict(target.service, target.environment, id);
      throw err;
    }
  }

  async savePlan(
    id: string,
    plan: ReleasePlan,
    event?: { type: string; message: string; data?: Record<string, unknown> },
  ): Promise<void> {
    const now = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('releases')
        .set({ plan: JSON.stringify(plan), updated_at: now })
        .where('id', '=', id)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw releaseNotFound(id);
      if (event) {
        const e = { type: event.type, state: null, message: event.message, data: event.data ?? null };
        await insertEvent(trx, id, e, now);
      }
    });
  }

  async appendEvent(id: string, e: EventInput): Promise<ReleaseEventRecord> {
    const now = this.#now();
    const event = { type: e.type, state: null, message: e.message, data: e.data ?? null };
    return this.#db.transaction().execute((trx) => insertEvent(trx, id, event, now));
  }

  async events(id: string, afterSeq = 0): Promise<ReleaseEventRecord[]> {
    const rows = await this.#db
      .selectFrom('release_events')
      .selectAll()
      .where('release_id', '=', id)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
    return rows.map(toEventRecord);
  }

  async list(q: {
    service: string;
    environment?: string;
    version?: string;
    limit?: number;
    before?: string;
  }): Promise<ReleaseRecord[]> {
    let query = this.#db
      .selectFrom('releases')
      .selectAll()
      .where('service', '=', q.service)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc');
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    if (q.version !== undefined) query = query.where('version', '=', q.version);
    if (q.before !== undefined) query = query.where('created_at', '<', q.before);
    if (q.limit !== undefined) query = query.limit(q.limit);
    return (await query.execute()).map(toReleaseRecord);
  }

  async listActive(service?: string): Promise<ReleaseRecord[]> {
    let query = this.#db
      .selectFrom('releases')
      .selectAll()
      .where('state', 'in', ACTIVE_RELEASE_STATES)
      .orderBy('created_at')
      .orderBy('id');
    if (service !== undefined) query = query.where('service', '=', service);
    return (await query.execute()).map(toReleaseRecord);
  }

  async succeededVersions(service: string, environment: string, limit?: number): Promise<string[]> {
    let query = this.#db
      .selectFrom('releases')
      .select((eb) => ['version', eb.fn.max('finished_at').as('last_succeeded_at')])
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('state', '=', 'succeeded')
      .groupBy('version')
      .orderBy('last_succeeded_at', 'desc');
    if (limit !== undefined) query = query.limit(limit);
    return (await query.execute()).map((r) => r.version);
  }

  async #getOrThrow(db: Kysely<Database>, id: string): Promise<ReleaseRecord> {
    const row = await db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw releaseNotFound(id);
    return toReleaseRecord(row);
  }

  /** After a failed write: when another release is active in the environment, that was the reason. */
  async #throwIfConflict(service: string, environment: string, ownId: string): Promise<void> {
    const active = await this.#db
      .selectFrom('releases')
      .select('id')
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('state', 'in', ACTIVE_RELEASE_STATES)
      .where('id', '!=', ownId)
      .executeTakeFirst();
    if (active) throw new ReleaseConflictError(active.id, environment);
  }
}

async function setCurrentVersion(
  trx: Transaction<Database>,
  release: ReleaseRecord,
  version: string,
  now: string,
): Promise<void> {
  await ensureEnvironment(trx, release.service, release.environment, now);
  await trx
    .updateTable('environments')
    .set({ current_version: version, current_release_id: release.id, updated_at: now })
    .where('service', '=', release.service)
    .where('name', '=', release.environment)
    .execute();
}

function isActive(state: ReleaseState): boolean {
  return ACTIVE_RELEASE_STATES.includes(state);
}

function describeNewRelease(r: NewRelease): string {
  const from = r.previousVersion ? ` (replacing ${r.previousVersion})` : '';
  return `${r.kind} of ${r.version} to ${r.environment}${from} created, strategy ${r.strategy}`;
}
