import type { Kysely, Selectable } from 'kysely';
import { GantryError } from '../../lib/errors.ts';
import type { Database, VersionsTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { VersionRecord, VersionRepo } from '../types/catalog.ts';
import { ensureService } from './services.ts';

export class KyselyVersionRepo implements VersionRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async create(v: Omit<VersionRecord, 'createdAt'>): Promise<VersionRecord> {
    const record: VersionRecord = { ...v, createdAt: this.#now() };
    try {
      await this.#db.transaction().execute(async (trx) => {
        await ensureService(trx, v.service, record.createdAt);
        await trx
          .insertInto('versions')
          .values({
            service: v.service,
            version: v.version,
            artifact_kind: v.artifactKind,
            artifact_ref: v.artifactRef,
            sha256: v.sha256,
            size_bytes: v.sizeBytes,
            git_ref: v.gitRef,
            git_commit: v.gitCommit,
            created_at: record.createdAt,
          })
          .execute();
      });
    } catch (err) {
      // Whatever the dialect's wording for a duplicate key, an existing row is the reason.
      if (await this.get(v.service, v.version)) {
        throw new GantryError('VERSION_EXISTS', `version ${v.version} of ${v.service} already exists`, {
          details: { service: v.service, version: v.version },
        });
      }
      throw err;
    }
    return record;
  }

  async get(service: string, version: string): Promise<VersionRecord | undefined> {
    const row = await this.#db
      .selectFrom('versions')
      .selectAll()
      .where('service', '=', service)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toVersionRecord(row);
  }

  async list(service: string, limit?: number): Promise<VersionRecord[]> {
    let q = this.#db
      .selectFrom('versions')
      .selectAll()
      .where('service', '=', service)
      .orderBy('created_at', 'desc')
      .orderBy('version', 'desc');
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map(toVersionRecord);
  }

  async recordCommitTime(service: string, commit: string, committedAt: string): Promise<void> {
    await this.#db
      .insertInto('commit_times')
      .values({ service, commit: commit.toLowerCase(), committed_at: committedAt, recorded_at: this.#now() })
      .onConflict((oc) => oc.columns(['service', 'commit']).doNothing())
      .execute();
  }

  async commitTimes(service: string, limit: number): Promise<Array<{ commit: string; committedAt: string }>> {
    const rows = await this.#db
      .selectFrom('commit_times')
      .select(['commit', 'committed_at'])
      .where('service', '=', service)
      .orderBy('committed_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ commit: r.commit, committedAt: r.committed_at }));
  }
}

function toVersionRecord(row: Selectable<VersionsTable>): VersionRecord {
  return {
    service: row.service,
    version: row.version,
    artifactKind: row.artifact_kind,
    artifactRef: row.artifact_ref,
    sha256: row.sha256,
    // PostgreSQL returns bigint columns as strings.
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    gitRef: row.git_ref,
    gitCommit: row.git_commit,
    createdAt: row.created_at,
  };
}
