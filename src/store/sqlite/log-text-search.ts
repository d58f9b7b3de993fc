// Full-text search of log lines on SQLite: an FTS5 index over message and raw, and the query that
// walks it newest first. The index is contentless (the text lives once, in log_lines) with
// contentless_delete, kept in step by triggers, so retention's deletes need no old values.
// A PostgreSQL dialect serves the same LogSearchQuery with a tsvector column and a GIN index.
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database, LogLinesTable } from '../database.ts';
import { searchTerms } from '../log-search-terms.ts';

export async function createSqliteLogIndex(db: Kysely<unknown>): Promise<void> {
  await sql`create virtual table log_fts using fts5(
    message, raw, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
  )`.execute(db);
  // A plain line's message is its raw text: indexing it once halves the work at ingest.
  await sql`create trigger log_lines_fts_insert after insert on log_lines begin
    insert into log_fts(rowid, message, raw)
    values (new.id, new.message, case when new.raw = new.message then '' else new.raw end);
  end`.execute(db);
  await sql`create trigger log_lines_fts_delete after delete on log_lines begin
    delete from log_fts where rowid = old.id;
  end`.execute(db);
}

/**
 * Turns what a user typed into an FTS5 expression that cannot be a syntax error: every word and
 * "quoted phrase" becomes a quoted FTS5 string (all must match), `word*` a prefix query. Undefined
 * when nothing searchable (no letter or digit) is left.
 */
export function toFts5Query(text: string): string | undefined {
  const parts = searchTerms(text).map((t) => (t.prefix ? `${quote(t.text)}*` : quote(t.text)));
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/**
 * Lines matching the text and every condition (on alias `l`), newest first. FTS5 walks its index in
 * descending rowid order and the join stops at the limit, so a common word costs no more than a
 * rare one. Undefined when the text holds nothing searchable.
 */
export async function searchSqliteLogs(
  db: Kysely<Database>,
  text: string,
  where: RawBuilder<unknown>[],
  limit: number,
): Promise<Selectable<LogLinesTable>[] | undefined> {
  const match = toFts5Query(text);
  if (match === undefined) return undefined;
  const conditions = [sql`log_fts match ${match}`, ...where];
  const { rows } = await sql<Selectable<LogLinesTable>>`select l.* from log_fts f
    join log_lines l on l.id = f.rowid
    where ${sql.join(conditions, sql` and `)}
    order by f.rowid desc limit ${limit}`.execute(db);
  return rows;
}

function quote(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
