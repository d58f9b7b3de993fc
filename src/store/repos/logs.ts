// Log lines: batched inserts, searches newest first by id (the cursor), and the deletes retention
// makes. Filters are plain SQL both dialects run; full-text matching is the dialect's own
// (SQLite FTS5 in ../sqlite/log-text-search.ts, PostgreSQL's text search in
// ../postgres/log-text-search.ts).
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database, LogLinesTable } from '../database.ts';
import { isPlainSearchText } from '../log-search-terms.ts';
import { searchPostgresLogs } from '../postgres/log-text-search.ts';
import { searchSqliteLogs } from '../sqlite/log-text-search.ts';
import type { LogLevel, LogRecord, LogRepo, LogSearchQuery, NewLogLine } from '../types.ts';

/** Rows per INSERT statement: 11 parameters each, well under SQLite's limit of bound variables. */
const ROWS_PER_INSERT = 500;
/**
 * How many of the newest lines a substring search reads when the words of a query match nothing
 * (`Exception` inside `NullPointerException`): like grep, but bounded so it stays quick.
 */
export const SUBSTRING_SCAN_LINES = 200_000;
/** Rows read per step while looking for where the oldest `bytes` end. */
const PRUNE_SCAN = 5000;

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export class KyselyLogRepo implements LogRepo {
  readonly #db: Kysely<Database>;
  readonly #dialect: 'sqlite' | 'postgres';

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#dialect = dialect;
  }

  async append(lines: NewLogLine[]): Promise<number[]> {
    if (lines.length === 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < lines.length; i += ROWS_PER_INSERT) {
        const rows = lines.slice(i, i + ROWS_PER_INSERT).map(toRow);
        const inserted = await trx.insertInto('log_lines').values(rows).returning('id').execute();
        // RETURNING gives no order guarantee: ids are assigned in row order, so sorting restores it.
        for (const r of inserted.map((x) => Number(x.id)).sort((a, b) => a - b)) ids.push(r);
      }
      return ids;
    });
  }

  async search(q: LogSearchQuery): Promise<LogRecord[]> {
    const fullText = q.q !== undefined && q.q.trim() !== '';
    const levelIndex = !fullText && isRareLevel(q.level);
    const where = conditions(q, { levelIndex, sqlite: this.#dialect === 'sqlite' });
    if (q.q !== undefined && fullText) {
      const search = this.#dialect === 'sqlite' ? searchSqliteLogs : searchPostgresLogs;
      const rows = await search(this.#db, q.q, where, q.limit);
      if (rows !== undefined && (rows.length > 0 || !isPlainSearchText(q.q))) return rows.map(toRecord);
      // Nothing a full-text index can look up (punctuation only), or its words matched no word:
      // a substring scan of the newest lines instead, case-insensitive like the index.
      const needle = q.q.trim().toLowerCase();
      where.push(
        this.#dialect === 'sqlite'
          ? sql`instr(lower(l.raw), ${needle}) > 0`
          : sql`strpos(lower(l.raw), ${needle}) > 0`,
      );
      where.push(sql`l.id > (select coalesce(max(id), 0) from log_lines) - ${SUBSTRING_SCAN_LINES}`);
    }
    // SQLite would rather walk an index in id order than sort, even when the level index would
    // find the few matching lines at once: told which index to use when the level is rare.
    const hint =
      levelIndex && this.#dialect === 'sqlite'
        ? sql.raw(
            q.environment !== undefined
              ? 'indexed by log_lines_by_environment_level'
              : 'indexed by log_lines_by_level',
          )
        : sql``;
    const { rows } = await sql<Selectable<LogLinesTable>>`select l.* from log_lines l ${hint}
      ${where.length > 0 ? sql`where ${sql.join(where, sql` and `)}` : sql``}
      order by l.id desc limit ${q.limit}`.execute(this.#db);
    return rows.map(toRecord);
  }

  async totalBytes(): Promise<number> {
    const row = await this.#db
      .selectFrom('log_lines')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('bytes'), sql<number>`0`).as('total'))
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  async pruneBefore(before: string): Promise<{ lines: number; bytes: number }> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('log_lines')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('bytes').as('b')])
        .where('at', '<', before)
        .executeTakeFirstOrThrow();
      if (Number(row.n) === 0) return { lines: 0, bytes: 0 };
      await trx.deleteFrom('log_lines').where('at', '<', before).execute();
      return { lines: Number(row.n), bytes: Number(row.b ?? 0) };
    });
  }

  async pruneOldest(bytes: number): Promise<{ lines: number; bytes: number }> {
    if (bytes <= 0) return { lines: 0, bytes: 0 };
    return this.#db.transaction().execute(async (trx) => {
      let freed = 0;
      let lines = 0;
      let lastId: number | undefined;
      for (;;) {
        let page = trx.selectFrom('log_lines').select(['id', 'bytes']).orderBy('id').limit(PRUNE_SCAN);
        if (lastId !== undefined) page = page.where('id', '>', lastId);
        const rows = await page.execute();
        for (const r of rows) {
          if (freed >= bytes) break;
          freed += Number(r.bytes);
          lines++;
          lastId = Number(r.id);
        }
        if (freed >= bytes || rows.length < PRUNE_SCAN) break;
      }
      if (lastId !== undefined) await trx.deleteFrom('log_lines').where('id', '<=', lastId).execute();
      return { lines, bytes: freed };
    });
  }

  async levelUnlevelled(q: {
    instance: string;
    stream: 'stdout' | 'stderr';
    since: string;
    limit: number;
    level: LogLevel;
  }): Promise<number> {
    if (q.limit <= 0) return 0;
    const result = await this.#db
      .updateTable('log_lines')
      .set({ level: q.level })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('log_lines')
          .select('id')
          .where('instance', '=', q.instance)
          .where('stream', '=', q.stream)
          .where('at', '>=', q.since)
          .where('level', 'is', null)
          .orderBy('id', 'desc')
          .limit(q.limit),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

/** Warn and above: few lines, so finding them through the level index beats walking by id. */
function isRareLevel(level: LogLevel | undefined): boolean {
  return level !== undefined && LEVELS.indexOf(level) >= LEVELS.indexOf('warn');
}

/**
 * The filters of a query as conditions on alias `l`. On SQLite without `levelIndex`, the level is
 * compared as `+l.level`, which keeps SQLite off the level indexes: for common levels, and when the
 * full-text index drives the search, walking newest first and stopping at the limit is faster.
 * (PostgreSQL's planner weighs the indexes by their statistics and needs no such hint.)
 */
function conditions(
  q: LogSearchQuery,
  opts: { levelIndex: boolean; sqlite: boolean },
): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  if (q.environment !== undefined) where.push(sql`l.environment = ${q.environment}`);
  if (q.version !== undefined) where.push(sql`l.version = ${q.version}`);
  if (q.instance !== undefined) where.push(sql`l.instance = ${q.instance}`);
  if (q.level !== undefined) {
    const levels = LEVELS.slice(LEVELS.indexOf(q.level));
    where.push(
      opts.levelIndex || !opts.sqlite
        ? sql`l.level in (${sql.join(levels)})`
        : sql`+l.level in (${sql.join(levels)})`,
    );
  }
  if (q.since !== undefined) where.push(sql`l.at >= ${q.since}`);
  if (q.until !== undefined) where.push(sql`l.at < ${q.until}`);
  if (q.before !== undefined) where.push(sql`l.id < ${q.before}`);
  if (q.after !== undefined) where.push(sql`l.id > ${q.after}`);
  return where;
}

/** Retention counts what a line puts in the table: its text columns, in UTF-8 bytes. */
export function lineBytes(l: Pick<NewLogLine, 'message' | 'raw'>, fields: string | null): number {
  return (
    Buffer.byteLength(l.raw) +
    (l.message === l.raw ? 0 : Buffer.byteLength(l.message)) +
    (fields?.length ?? 0)
  );
}

function toRow(l: NewLogLine) {
  const fields = l.fields === null ? null : JSON.stringify(l.fields);
  return {
    at: l.at,
    environment: l.environment,
    version: l.version,
    instance: l.instance,
    stream: l.stream,
    level: l.level,
    message: l.message,
    fields,
    raw: l.raw,
    bytes: lineBytes(l, fields),
  };
}

function toRecord(row: Selectable<LogLinesTable>): LogRecord {
  return {
    id: Number(row.id),
    at: row.at,
    environment: row.environment,
    version: row.version,
    instance: row.instance,
    stream: row.stream,
    level: row.level,
    message: row.message,
    fields: row.fields === null ? null : (JSON.parse(row.fields) as Record<string, unknown>),
    raw: row.raw,
  };
}
