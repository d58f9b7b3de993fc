// Full-text search of log lines on PostgreSQL: a GIN index over the text search vector of message
// and raw, and the query that reads it newest first. The serving query repeats the index's
// expression exactly (LOG_TSVECTOR), or PostgreSQL could not use the index.
//
// ASCII punctuation becomes spaces before PostgreSQL's `simple` parser runs, on the lines and on
// the query alike, so words split as SQLite's unicode61 tokenizer splits them: `/api/orders` holds
// the words api and orders, not a file path token. Letters are lowercased; accents are kept
// (SQLite's index removes them), which docs/postgresql.md lists among the differences.
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database, LogLinesTable } from '../database.ts';
import { searchTerms } from '../log-search-terms.ts';

const PUNCTUATION = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;

/** The indexed text: the message, and the raw line when it differs (a plain line's message is it). */
const LOG_TEXT = `case when raw = message then raw else message || ' ' || raw end`;
const LOG_TSVECTOR = `to_tsvector('simple'::regconfig, translate(${LOG_TEXT}, ${literal(PUNCTUATION)}, ${literal(' '.repeat(PUNCTUATION.length))}))`;

export async function createPostgresLogIndex(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`create index log_lines_text on log_lines using gin (${LOG_TSVECTOR})`).execute(db);
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
 * Lines matching the text and every condition (on alias `l`), newest first. PostgreSQL chooses
 * between the GIN index (rare words) and walking the primary key backwards until the limit (common
 * words) from the index's statistics. Undefined when the text holds nothing searchable.
 */
export async function searchPostgresLogs(
  db: Kysely<Database>,
  text: string,
  where: RawBuilder<unknown>[],
  limit: number,
): Promise<Selectable<LogLinesTable>[] | undefined> {
  const query = toTsQuery(text);
  if (query === undefined) return undefined;
  // Unqualified, the columns are those of `l`, and the expression is the index's own.
  const match = sql`${sql.raw(LOG_TSVECTOR)} @@ to_tsquery('simple'::regconfig, ${query})`;
  const conditions = [match, ...where];
  const { rows } = await sql<Selectable<LogLinesTable>>`select l.* from log_lines l
    where ${sql.join(conditions, sql` and `)}
    order by l.id desc limit ${limit}`.execute(db);
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
