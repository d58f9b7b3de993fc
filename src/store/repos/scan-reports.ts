// Scan reports stored with their versions (one per version, replaced by a newer upload).
import type { Kysely, Selectable } from 'kysely';
import type { Database, ScanReportsTable } from '../database.ts';
import type { Timestamper } from '../timestamps.ts';
import type { ScanReportRecord, ScanReportRepo } from '../types/scan-reports.ts';

export class KyselyScanReportRepo implements ScanReportRepo {
  readonly #db: Kysely<Database>;
  readonly #now: Timestamper;

  constructor(db: Kysely<Database>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async put(
    r: Omit<ScanReportRecord, 'uploadedAt'>,
  ): Promise<{ record: ScanReportRecord; replaced: boolean }> {
    const record: ScanReportRecord = { ...r, uploadedAt: this.#now() };
    const values = {
      format: r.format,
      sha256: r.sha256,
      size_bytes: r.sizeBytes,
      report: JSON.stringify(r.report),
      uploaded_by: r.uploadedBy,
      uploaded_at: record.uploadedAt,
    };
    const replaced = await this.#db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('scan_reports')
        .select('version')
        .where('service', '=', r.service)
        .where('version', '=', r.version)
        .executeTakeFirst();
      await trx
        .insertInto('scan_reports')
        .values({ service: r.service, version: r.version, ...values })
        .onConflict((oc) => oc.columns(['service', 'version']).doUpdateSet(values))
        .execute();
      return existing !== undefined;
    });
    return { record, replaced };
  }

  async get(service: string, version: string): Promise<ScanReportRecord | undefined> {
    const row = await this.#db
      .selectFrom('scan_reports')
      .selectAll()
      .where('service', '=', service)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}

function toRecord(row: Selectable<ScanReportsTable>): ScanReportRecord {
  return {
    service: row.service,
    version: row.version,
    format: row.format,
    sha256: row.sha256,
    // PostgreSQL returns bigint columns as strings.
    sizeBytes: Number(row.size_bytes),
    report: JSON.parse(row.report) as unknown,
    uploadedBy: row.uploaded_by,
    uploadedAt: row.uploaded_at,
  };
}
