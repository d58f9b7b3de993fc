// Row mapping and event writing shared by the release repository's operations.
import type { Kysely, Selectable } from 'kysely';
import { GantryError } from '../../lib/errors.ts';
import type { Database, ReleaseEventsTable, ReleasesTable } from '../database.ts';
import type { ReleaseEventRecord, ReleasePlan, ReleaseRecord, ReleaseState } from '../types/releases.ts';

export const TERMINAL_RELEASE_STATES: ReadonlySet<ReleaseState> = new Set([
  'succeeded',
  'failed',
  'aborted',
  'rolled_back',
]);

export interface NewEvent {
  type: string;
  state: ReleaseState | null;
  message: string;
  data: Record<string, unknown> | null;
}

/**
 * Appends an event with the release's next seq. Call inside a transaction: the UPDATE that takes
 * the seq also locks the release row, so concurrent appends get 1, 2, 3… with no gap or repeat.
 */
export async function insertEvent(
  db: Kysely<Database>,
  releaseId: string,
  e: NewEvent,
  at: string,
): Promise<ReleaseEventRecord> {
  const bumped = await db
    .updateTable('releases')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', releaseId)
    .returning('last_seq')
    .executeTakeFirst();
  if (!bumped) throw releaseNotFound(releaseId);
  const seq = Number(bumped.last_seq);
  await db
    .insertInto('release_events')
    .values({
      release_id: releaseId,
      seq,
      at,
      type: e.type,
      state: e.state,
      message: e.message,
      data: e.data === null ? null : JSON.stringify(e.data),
    })
    .execute();
  return { releaseId, seq, at, type: e.type, state: e.state, message: e.message, data: e.data };
}

export function releaseNotFound(id: string): GantryError {
  return new GantryError('NOT_FOUND', `release ${id} does not exist`, {
    hint: 'Run `gantry history --env ENV` to list the releases of an environment.',
    details: { releaseId: id },
  });
}

export function toReleaseRecord(row: Selectable<ReleasesTable>): ReleaseRecord {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    kind: row.kind,
    version: row.version,
    previousVersion: row.previous_version,
    strategy: row.strategy,
    state: row.state,
    reason: row.reason,
    message: row.message,
    plan: JSON.parse(row.plan) as ReleasePlan,
    ref: row.ref,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function toEventRecord(row: Selectable<ReleaseEventsTable>): ReleaseEventRecord {
  return {
    releaseId: row.release_id,
    seq: Number(row.seq),
    at: row.at,
    type: row.type,
    state: row.state,
    message: row.message,
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
  };
}
