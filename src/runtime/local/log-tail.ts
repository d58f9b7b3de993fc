// Follows one output file of an instance. The child writes the file itself (O_APPEND), so its output
// survives a crash of the server and a new server can go on reading the same file after adoption.
// What has been read is overwritten with zeros at once: the raw output holds whatever the service
// prints, secrets included, and is only needed until Gantry has taken it in (masked) to its logs.
// Overwriting behind the reader cannot lose a line, unlike emptying the file (see #truncateIfQuiet):
// the child's O_APPEND writes always land past the end, never in the range being overwritten.
import { type FSWatcher, fstatSync, ftruncateSync, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { LogLine } from '../driver.ts';
import { LineSplitter } from './line-splitter.ts';

export const MAX_LOG_FILE_BYTES = 8 * 1024 * 1024;
const POLL_MS = 200;
const READ_CHUNK_BYTES = 256 * 1024;
/**
 * How far the reader may fall behind the writer before it skips ahead. The file is only emptied
 * once the reader has caught up, so without this an instance that always outruns the store would
 * grow its output file without end.
 */
export const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

export interface LogTailOptions {
  path: string;
  stream: LogLine['stream'];
  onLine: (line: LogLine) => void;
  onError?: (err: unknown) => void;
  /** Start reading at the current end of the file (adoption) instead of its beginning. */
  fromEnd: boolean;
  maxFileBytes?: number;
  maxBacklogBytes?: number;
  pollMs?: number;
}

export class LogTail {
  readonly path: string;
  readonly stream: LogLine['stream'];
  #opts: LogTailOptions;
  #fh: FileHandle | undefined;
  #offset = 0;
  #splitter = new LineSplitter();
  #buf = Buffer.alloc(READ_CHUNK_BYTES);
  /** Written over what has been read. */
  readonly #zeros = Buffer.alloc(READ_CHUNK_BYTES);
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #skippedBytes = 0;

  /** Output bytes never read because the instance wrote faster than they could be taken in. */
  get skippedBytes(): number {
    return this.#skippedBytes;
  }

  constructor(opts: LogTailOptions) {
    this.#opts = opts;
    this.path = opts.path;
    this.stream = opts.stream;
  }

  /** Opens the file (creating it if needed) and starts following it. */
  async open(): Promise<void> {
    // r+ rather than append: we read at our own offset and may truncate, never write.
    const created = await open(this.path, 'a', 0o600);
    await created.close();
    this.#fh = await open(this.path, 'r+');
    this.#offset = this.#opts.fromEnd ? (await this.#fh.stat()).size : 0;
    try {
      this.#watcher = watch(this.path, { persistent: false }, () => this.poke());
      this.#watcher.on('error', () => this.#stopWatching());
    } catch {
      // inotify may be exhausted; the poll below still picks up every write, only later.
    }
    this.#timer = setInterval(() => this.poke(), this.#opts.pollMs ?? POLL_MS);
    this.#timer.unref();
  }

  /** Schedules a read; reads never overlap, and a poke during a read causes one more read after it. */
  poke(): void {
    if (this.#closed || !this.#fh) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#readLoop().finally(() => {
      this.#running = undefined;
    });
  }

  /** Reads everything written so far. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#closed || !this.#fh) return;
    this.poke();
    while (this.#running) await this.#running;
  }

  /** Emits the unfinished last line, for when its writer has exited. */
  flushPartial(): void {
    const rest = this.#splitter.flush();
    if (rest !== undefined) this.#emit(rest);
  }

  /** Stops following; with `final`, reads what is left and emits an unfinished last line first. */
  async close(opts: { final: boolean }): Promise<void> {
    if (this.#closed) return;
    if (opts.final) {
      await this.drain();
      this.flushPartial();
    }
    this.#closed = true;
    this.#stopWatching();
    clearInterval(this.#timer);
    while (this.#running) await this.#running;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  async #readLoop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#readAvailable();
      } catch (err) {
        this.#opts.onError?.(err);
      }
    } while (this.#again && !this.#closed);
  }

  async #readAvailable(): Promise<void> {
    const fh = this.#fh;
    if (!fh) return;
    const max = this.#opts.maxFileBytes ?? MAX_LOG_FILE_BYTES;
    for (;;) {
      const { size } = await fh.stat();
      // Someone else truncated it (copytruncate rotation): start over from the beginning.
      if (size < this.#offset) this.#offset = 0;
      if (size === this.#offset) {
        if (this.#offset >= max) this.#truncateIfQuiet(fh);
        return;
      }
      if (size - this.#offset > (this.#opts.maxBacklogBytes ?? MAX_BACKLOG_BYTES)) {
        await this.#skipTo(fh, size);
        continue;
      }
      const want = Math.min(size - this.#offset, this.#buf.length);
      const { bytesRead } = await fh.read(this.#buf, 0, want, this.#offset);
      if (bytesRead === 0) return;
      await fh.write(this.#zeros, 0, bytesRead, this.#offset);
      this.#offset += bytesRead;
      for (const line of this.#splitter.push(this.#buf.subarray(0, bytesRead))) this.#emit(line);
    }
  }

  /**
   * Empties a fully read file. The child appends with O_APPEND, so its next write lands at the new
   * end. Synchronous on purpose: a write between the size check and the truncation would be lost,
   * and back to back these two calls leave a window of microseconds, not of an event-loop turn.
   */
  #truncateIfQuiet(fh: FileHandle): void {
    if (fstatSync(fh.fd).size !== this.#offset) return;
    ftruncateSync(fh.fd, 0);
    this.#offset = 0;
  }

  /** Drops the backlog, saying so in the output itself, so that a reader of the logs sees the gap. */
  async #skipTo(fh: FileHandle, size: number): Promise<void> {
    const skipped = size - this.#offset;
    this.#skippedBytes += skipped;
    // Landing just after a newline, the next byte starts a whole line; otherwise its rest is dropped.
    const { bytesRead } = await fh.read(this.#buf, 0, 1, size - 1);
    for (let at = this.#offset; at < size; at += this.#zeros.length) {
      await fh.write(this.#zeros, 0, Math.min(this.#zeros.length, size - at), at);
    }
    this.#offset = size;
    this.#splitter.skipToNextLine(bytesRead === 1 && this.#buf[0] === 0x0a);
    this.#emit(
      `[gantry] ${skipped} bytes of output skipped: the instance wrote faster than its logs could be stored`,
    );
  }

  #emit(line: string): void {
    this.#opts.onLine({ at: Date.now(), stream: this.stream, line });
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
