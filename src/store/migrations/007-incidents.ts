// Reserved: filled in by the incidents part of the alarms issue.
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
