// One table in a backup: gzip-compressed NDJSON, a header line naming the table and its columns,
// then one JSON array of values per row. Writing counts the rows and hashes the compressed bytes as
// they go to disk; reading hands the rows back in batches, as column → value objects.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { badBackup } from './manifest.ts';

/** Fast compression: the log table is most of a backup, and a backup's time is its RPO cost. */
const GZIP_LEVEL = constants.Z_BEST_SPEED;
/** Lines joined into one write. */
const WRITE_CHUNK_CHARS = 256 * 1024;

export interface WrittenTable {
  rows: number;
  bytes: number;
  sha256: string;
}

export async function writeTableFile(
  file: string,
  table: string,
  chunks: AsyncIterable<Array<Record<string, unknown>>>,
  onRows: (rowsSoFar: number) => void,
): Promise<WrittenTable> {
  let rows = 0;
  async function* lines(): AsyncGenerator<string> {
    let columns: string[] | undefined;
    let text = '';
    for await (const chunk of chunks) {
      for (const row of chunk) {
        if (!columns) {
          columns = Object.keys(row);
          text += `${JSON.stringify({ table, columns })}\n`;
        }
        text += `${JSON.stringify(columns.map((c) => row[c] ?? null))}\n`;
        if (text.length >= WRITE_CHUNK_CHARS) {
          yield text;
          text = '';
        }
      }
      rows += chunk.length;
      onRows(rows);
    }
    if (!columns) text += `${JSON.stringify({ table, columns: [] })}\n`;
    if (text) yield text;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const tally = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(
    Readable.from(lines()),
    createGzip({ level: GZIP_LEVEL }),
    tally,
    createWriteStream(file, { mode: 0o600 }),
  );
  return { rows, bytes, sha256: hash.digest('hex') };
}

export interface TableBatch {
  columns: string[];
  rows: unknown[][];
}

/** The rows of a table file, `batchRows` at a time; throws BACKUP_INVALID on a line that does not parse. */
export async function* readTableFile(
  file: string,
  table: string,
  batchRows: (columns: number) => number,
): AsyncGenerator<TableBatch> {
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let columns: string[] | undefined;
  let size = 0;
  let rows: unknown[][] = [];
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line === '') continue;
      const value = parseLine(line, table, lineNo);
      if (!columns) {
        const head = value as { table?: unknown; columns?: unknown };
        if (head.table !== table || !Array.isArray(head.columns))
          throw badBackup(`table ${table}: its file does not start with the table's header line`);
        columns = head.columns.map(String);
        size = batchRows(Math.max(1, columns.length));
        continue;
      }
      if (!Array.isArray(value) || value.length !== columns.length)
        throw badBackup(`table ${table}, line ${lineNo}: expected ${columns.length} values`);
      rows.push(value);
      if (rows.length >= size) {
        yield { columns, rows };
        rows = [];
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_'))
      throw badBackup(`table ${table}: its compressed data is damaged (${(err as Error).message})`);
    throw err;
  }
  if (columns && rows.length > 0) yield { columns, rows };
}

function parseLine(line: string, table: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw badBackup(`table ${table}, line ${lineNo}: not JSON (the file is damaged)`);
  }
}
