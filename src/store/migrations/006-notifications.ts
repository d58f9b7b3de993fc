// Reserved: filled in by the notifications part of the alarms issue.
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
