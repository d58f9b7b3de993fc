// An instance record names what runs it by the runtime's opaque handle (JSON text: a process's
// pid and start time, a container's id) instead of process-only columns. Rows written by an older
// server keep working: their pid and start time become a process handle.
import { type Kysely, sql } from 'kysely';

interface OldInstanceRow {
  id: string;
  pid: number | null;
  pid_start_time: string | null;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('handle', 'text').execute();
  const rows =
    await sql<OldInstanceRow>`select id, pid, pid_start_time from instances where pid is not null`.execute(
      db,
    );
  for (const row of rows.rows) {
    const handle = { driver: 'process', pid: Number(row.pid), startTime: row.pid_start_time };
    await sql`update instances set handle = ${JSON.stringify(handle)} where id = ${row.id}`.execute(db);
  }
  await db.schema.alterTable('instances').dropColumn('pid').execute();
  await db.schema.alterTable('instances').dropColumn('pid_start_time').execute();
}
