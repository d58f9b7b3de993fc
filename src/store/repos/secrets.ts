// Secrets as sealed rows: the repository moves ciphertext, never values (src/secrets seals and opens).
import type { Kysely, Selectable } from 'kysely';
import type { Database, SecretsTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { SecretRecord, SecretRepo } from '../types/secrets.ts';

export class KyselySecretRepo implements SecretRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async list(q: { service?: string; environment?: string } = {}): Promise<SecretRecord[]> {
    let query = this.#db
      .selectFrom('secrets')
      .selectAll()
      .orderBy('service')
      .orderBy('environment')
      .orderBy('name');
    if (q.service !== undefined) query = query.where('service', '=', q.service);
    if (q.environment !== undefined) query = query.where('environment', '=', q.environment);
    return (await query.execute()).map(toRecord);
  }

  async get(service: string, environment: string, name: string): Promise<SecretRecord | undefined> {
    const row = await this.#db
      .selectFrom('secrets')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async put(s: Omit<SecretRecord, 'updatedAt'>): Promise<{ secret: SecretRecord; created: boolean }> {
    const secret: SecretRecord = { ...s, updatedAt: this.#now() };
    const row = toRow(secret);
    const created = await this.#db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('secrets')
        .select('name')
        .where('service', '=', s.service)
        .where('environment', '=', s.environment)
        .where('name', '=', s.name)
        .executeTakeFirst();
      await trx
        .insertInto('secrets')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['service', 'environment', 'name']).doUpdateSet({
            ciphertext: row.ciphertext,
            iv: row.iv,
            tag: row.tag,
            key_id: row.key_id,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
          }),
        )
        .execute();
      return existing === undefined;
    });
    return { secret, created };
  }

  async remove(service: string, environment: string, name: string): Promise<boolean> {
    const res = await this.#db
      .deleteFrom('secrets')
      .where('service', '=', service)
      .where('environment', '=', environment)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async rekey(
    fromKeyId: string,
    rows: Array<
      Pick<SecretRecord, 'service' | 'environment' | 'name' | 'ciphertext' | 'iv' | 'tag' | 'keyId'>
    >,
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const res = await trx
          .updateTable('secrets')
          .set({ ciphertext: r.ciphertext, iv: r.iv, tag: r.tag, key_id: r.keyId })
          .where('service', '=', r.service)
          .where('environment', '=', r.environment)
          .where('name', '=', r.name)
          .where('key_id', '=', fromKeyId)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) {
          throw new Error(
            `secret ${r.name} (${r.environment}) changed during the key rotation; nothing was re-encrypted`,
          );
        }
      }
      const left = await trx
        .selectFrom('secrets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('key_id', '=', fromKeyId)
        .executeTakeFirstOrThrow();
      if (Number(left.n) > 0) {
        throw new Error(`${left.n} secret(s) were added during the key rotation; nothing was re-encrypted`);
      }
    });
  }
}

function toRow(s: SecretRecord): Selectable<SecretsTable> {
  return {
    service: s.service,
    environment: s.environment,
    name: s.name,
    ciphertext: s.ciphertext,
    iv: s.iv,
    tag: s.tag,
    key_id: s.keyId,
    updated_at: s.updatedAt,
    updated_by: s.updatedBy,
  };
}

function toRecord(row: Selectable<SecretsTable>): SecretRecord {
  return {
    service: row.service,
    environment: row.environment,
    name: row.name,
    ciphertext: row.ciphertext,
    iv: row.iv,
    tag: row.tag,
    keyId: row.key_id,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}
