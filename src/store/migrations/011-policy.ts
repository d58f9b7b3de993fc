// Scan reports of versions, read by the vulnerability gate. One per version: uploading a new scan
// of the same build (a newer vulnerability database) replaces the old one. The policy decision of
// each release is recorded as its `policy` event, so releases need no new column.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scan_reports')
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text')
    .addColumn('uploaded_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_reports_pk', ['service', 'version'])
    .addForeignKeyConstraint('scan_reports_version_fk', ['service', 'version'], 'versions', [
      'service',
      'version',
    ])
    .execute();
}
