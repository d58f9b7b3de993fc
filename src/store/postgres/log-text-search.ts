// Full-text search of log lines on PostgreSQL: a stored tsvector column of message and raw with a
// GIN index over it, and the query that reads it newest first.
//
// ASCII punctuation becomes spaces before PostgreSQL's `simple` parser runs, on the lines and on
// the query alike, so words split as SQLite's unicode61 tokenizer splits them: `/api/orders` holds
// the words api and orders, not a file path token. Letters are lowercased; accents are kept
// (SQLite's index removes them), which docs/postgresql.md lists among the differences.
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import { type Database, LOG_LINE_COLUMNS, type LogLinesTable } from '../database.ts';
import { searchTerms } from '../log-search-terms.ts';

const PUNCTUATION = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;

/** The indexed text: the message, and the raw line when it differs (a plain line's message is it). */
const LOG_TEXT = `case when raw = message then raw else message || ' ' || raw end`;
const LOG_TSVECTOR = `to_tsvector('simple'::regconfig, translate(${LOG_TEXT}, ${literal(PUNCTUATION)}, ${literal(' '.repeat(PUNCTUATION.length))}))`;

/**
 * How many of the newest lines a search walks in id order before it asks the index instead. A common
 * word fills a page within them; a word they do not hold enough of is rare, and the index finds its
 * few lines at once. Either way alone grows with the table: walking by id reads every line when a
 * word is rare, and the index hands over every line of a common word to be sorted. Over 1 M lines
 * each step takes milliseconds (EXPLAIN ANALYZE: 16 ms for the walk, 5 to 90 ms for the index).
 */
export const RECENT_LINES = 20_000;

export async function createPostgresLogIndex(db: Kysely<unknown>): Promise<void> {
  // Stored, so that checking a line against a query reads its vector instead of parsing its text.
  await sql
    .raw(
      `alter table log_lines add column search_vector tsvector generated always as (${LOG_TSVECTOR}) stored`,
    )
    .execute(db);
  await sql`create index log_lines_text on log_lines using gin (search_vector)`.execute(db);
}

/**
 * Turns what a user typed into a tsquery text (for to_tsquery) that cannot be a syntax error: each
 * word and "quoted phrase" a chain of quoted lexemes (`<->`: next to each other), `word*` a prefix,
 * all joined with `&`. Undefined when nothing searchable is left.
 */
export function toTsQuery(text: string): string | undefined {
  const parts: string[] = [];
  for (const term of searchTerms(text)) {
    const words = splitWords(term.text);
    if (words.length === 0) continue;
    const lexemes = words.map((w) => `'${w}'`);
    if (term.prefix) lexemes[lexemes.length - 1] += ':*';
    parts.push(lexemes.length === 1 ? (lexemes[0] as string) : `(${lexemes.join(' <-> ')})`);
  }
  return parts.length > 0 ? parts.join(' & ') : undefined;
}

/**
 * Lines matching the text and every condition (on alias `l`), newest first, in two steps: the
 * newest RECENT_LINES walked by id, then, when they held fewer than `limit`, the older lines found
 * through the GIN index and sorted. Undefined when the text holds nothing searchable.
 */
export async function searchPostgresLogs(
  db: Kysely<Database>,
  text: string,
  where: RawBuilder<unknown>[],
  limit: number,
): Promise<Selectable<LogLinesTable>[] | undefined> {
  const query = toTsQuery(text);
  if (query === undefined) return undefined;
  const match = sql`l.search_vector @@ to_tsquery('simple'::regconfig, ${query})`;
  const newest = await sql<{ id: string | null }>`select max(id) as id from log_lines`.execute(db);
  const boundary = Number(newest.rows[0]?.id ?? 0) - RECENT_LINES;
  const recent = await select(db, [match, sql`l.id > ${boundary}`, ...where], sql`l.id desc`, limit);
  if (recent.length >= limit || boundary <= 0) return recent;
  // `l.id + 0` keeps the planner off the primary key's order, which would walk every older line.
  const older = await select(
    db,
    [match, sql`l.id <= ${boundary}`, ...where],
    sql`l.id + 0 desc`,
    limit - recent.length,
  );
  return [...recent, ...older];
}

async function select(
  db: Kysely<Database>,
  conditions: RawBuilder<unknown>[],
  order: RawBuilder<unknown>,
  limit: number,
): Promise<Selectable<LogLinesTable>[]> {
  const columns = sql.join(LOG_LINE_COLUMNS.map((c) => sql.ref(`l.${c}`)));
  const { rows } = await sql<Selectable<LogLinesTable>>`select ${columns} from log_lines l
    where ${sql.join(conditions, sql` and `)}
    order by ${order} limit ${limit}`.execute(db);
  return rows;
}

/** The words of a term as the index splits them: punctuation and spaces separate, lowercased. */
function splitWords(s: string): string[] {
  let spaced = s.toLowerCase();
  for (const c of PUNCTUATION) spaced = spaced.replaceAll(c, ' ');
  return spaced.split(/\s+/).filter((w) => w !== '');
}

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
