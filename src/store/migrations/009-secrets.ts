// Secrets: one row per (service, environment, name), the value only as AES-256-GCM
// ciphertext with its IV and authentication tag, and the id of the master key that sealed it, so a
// server started with another key says so instead of decrypting garbage. Environment '*' holds the
// global secrets that `${secret:NAME}` references in gantry.yaml resolve from.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('secrets')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('iv', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addPrimaryKeyConstraint('secrets_pk', ['service', 'environment', 'name'])
    .execute();
}
