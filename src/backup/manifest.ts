// The manifest at the head of every backup archive: what wrote it (format, Gantry version, store,
// schema migration), and for each table its row count and the SHA-256 of its compressed file, so a
// reader can check every byte and every count before trusting the data. Master key ids say which key
// the secrets' ciphertext needs; the key itself is never in a backup.
import { z } from 'zod';
import { GantryError } from '../lib/errors.ts';

export const BACKUP_FORMAT = 'gantry-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const ARTIFACTS_FILE = 'artifacts.tar.gz';

export function tableFile(table: string): string {
  return `tables/${table}.ndjson.gz`;
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const fileEntry = z.object({
  file: z.string().min(1),
  bytes: z.number().int().min(0),
  sha256,
});

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.literal(BACKUP_FORMAT_VERSION),
  gantryVersion: z.string(),
  createdAt: z.string(),
  store: z.enum(['sqlite', 'postgres']),
  /** The newest schema migration the store had: a restore applies the schema up to it, then the rest. */
  migration: z.string().min(1),
  tables: z.array(fileEntry.extend({ name: z.string().regex(/^[a-z_]+$/), rows: z.number().int().min(0) })),
  artifacts: fileEntry.extend({ versions: z.number().int().min(0) }).optional(),
  /** Ids of the master keys the secrets are sealed with (keep that key file: it is not in here). */
  masterKeyIds: z.array(z.string()),
  /** The audit log's newest entry, so a restore that lost the end of the chain is noticed. */
  auditHead: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type TableEntry = BackupManifest['tables'][number];

export function parseManifest(text: string, file: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badBackup(`${file}: its manifest is not JSON (the file is damaged, or not a Gantry backup)`);
  }
  const head = json as { format?: unknown; formatVersion?: unknown };
  if (head?.format === BACKUP_FORMAT && head.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw badBackup(
      `${file} has backup format ${String(head.formatVersion)}, and this Gantry reads format ${BACKUP_FORMAT_VERSION}`,
      'Verify or restore it with the Gantry version that wrote it.',
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badBackup(
      `${file}: its manifest is not a Gantry backup manifest (${issue?.path.join('.') || 'top'}: ${issue?.message})`,
    );
  }
  return parsed.data;
}

export function badBackup(message: string, hint?: string): GantryError {
  return new GantryError('BACKUP_INVALID', message, hint ? { hint } : {});
}
