// The batching writer: lines wait in memory and are written in one transaction every FLUSH_MS or
// every FLUSH_LINES lines, whichever comes first, so ingest costs a push and the store sees few,
// large transactions. A store slower than the output drops the oldest waiting lines, counted.
import type { Logger } from '../lib/log.ts';
import type { LogRecord, LogRepo, NewLogLine } from '../store/types.ts';

export const FLUSH_MS = 200;
export const FLUSH_LINES = 5000;
/** Lines held while the store is slow, before the oldest are dropped (about 100 MB at most). */
export const MAX_PENDING_LINES = 200_000;

export class LogWriter {
  readonly #repo: Pick<LogRepo, 'append'>;
  readonly #logger: Logger;
  readonly #onWritten: (records: LogRecord[]) => void;
  #pending: NewLogLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;
  #written = 0;

  constructor(opts: {
    repo: Pick<LogRepo, 'append'>;
    logger: Logger;
    onWritten: (records: LogRecord[]) => void;
  }) {
    this.#repo = opts.repo;
    this.#logger = opts.logger;
    this.#onWritten = opts.onWritten;
  }

  /** Lines written so far and lines dropped because the store could not keep up. */
  get stats(): { written: number; dropped: number; pending: number } {
    return { written: this.#written, dropped: this.#dropped, pending: this.#pending.length };
  }

  push(line: NewLogLine): void {
    this.#pending.push(line);
    if (this.#pending.length > MAX_PENDING_LINES) {
      const excess = this.#pending.length - MAX_PENDING_LINES;
      this.#pending.splice(0, excess);
      this.#dropped += excess;
    }
    if (this.#pending.length >= FLUSH_LINES) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes every waiting line; resolves once they (and any write in progress) are stored. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#flushing = this.#flushing.then(() => this.#writeBatches());
    return this.#flushing;
  }

  async #writeBatches(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, FLUSH_LINES);
      try {
        const ids = await this.#repo.append(batch);
        this.#written += batch.length;
        this.#onWritten(batch.map((l, i) => ({ ...l, service: l.service ?? '', id: ids[i] ?? 0 })));
      } catch (err) {
        // The store is unreachable or full: these lines are lost, the next batches are tried anew.
        this.#dropped += batch.length;
        this.#logger.error({ err, lines: batch.length }, 'could not store log lines; they are dropped');
        return;
      }
    }
  }
}
