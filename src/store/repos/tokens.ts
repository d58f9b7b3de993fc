// API tokens and the dashboard sessions that stand for them. Only hashes are stored: a database
// dump lets nobody call the API.
import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, AuthSessionsTable, Database } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { ApiTokenRecord, ApiTokenRepo, AuthSessionRecord } from '../types/tokens.ts';

export class KyselyApiTokenRepo implements ApiTokenRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async create(t: Omit<ApiTokenRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRecord> {
    const record: ApiTokenRecord = { ...t, createdAt: this.#now(), lastUsedAt: null, revokedAt: null };
    await this.#db.insertInto('api_tokens').values(toRow(record)).execute();
    return record;
  }

  async get(id: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async findByPrefix(prefix: string): Promise<ApiTokenRecord[]> {
    const rows = await this.#db.selectFrom('api_tokens').selectAll().where('prefix', '=', prefix).execute();
    return rows.map(toRecord);
  }

  async list(): Promise<ApiTokenRecord[]> {
    const rows = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  async touch(id: string, at: string): Promise<void> {
    await this.#db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async revoke(id: string, at: string): Promise<ApiTokenRecord | undefined> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      await trx.deleteFrom('auth_sessions').where('token_id', '=', id).execute();
    });
    return this.get(id);
  }

  async createSession(s: AuthSessionRecord): Promise<void> {
    await this.#db
      .insertInto('auth_sessions')
      .values({ hash: s.hash, token_id: s.tokenId, created_at: s.createdAt, expires_at: s.expiresAt })
      .execute();
  }

  async findSession(hash: string): Promise<AuthSessionRecord | undefined> {
    const row = await this.#db
      .selectFrom('auth_sessions')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row ? sessionRecord(row) : undefined;
  }

  async deleteSession(hash: string): Promise<void> {
    await this.#db.deleteFrom('auth_sessions').where('hash', '=', hash).execute();
  }

  async pruneSessions(before: string): Promise<number> {
    const res = await this.#db
      .deleteFrom('auth_sessions')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

function toRow(t: ApiTokenRecord): Selectable<ApiTokensTable> {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    hash: t.hash,
    role: t.role,
    environments: t.environments ? JSON.stringify(t.environments) : null,
    expires_at: t.expiresAt,
    created_at: t.createdAt,
    created_by: t.createdBy,
    last_used_at: t.lastUsedAt,
    revoked_at: t.revokedAt,
  };
}

function toRecord(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    role: row.role,
    environments: row.environments === null ? null : (JSON.parse(row.environments) as string[]),
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function sessionRecord(row: Selectable<AuthSessionsTable>): AuthSessionRecord {
  return { hash: row.hash, tokenId: row.token_id, createdAt: row.created_at, expiresAt: row.expires_at };
}
