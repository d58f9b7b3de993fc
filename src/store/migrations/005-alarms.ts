// Reserved: filled in by the alarms part of the alarms issue.
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
