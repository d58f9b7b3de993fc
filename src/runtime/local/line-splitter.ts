// Splits a byte stream into lines: keeps an unfinished last line until its newline arrives and cuts
// lines longer than a limit, so one runaway line can neither stall capture nor exhaust memory.
import { MAX_VALUE_BYTES } from '../../secrets/names.ts';

/**
 * Captured lines are cut here, longer than the logs keep them (src/logs/cut-line.ts, 16 KiB):
 * secrets are masked before the logs cut a line, and a secret (at most MAX_VALUE_BYTES) that
 * starts before the logs' cut lies whole inside what was captured, so no part of it survives.
 */
export const MAX_LINE_BYTES = 16 * 1024 + MAX_VALUE_BYTES;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class LineSplitter {
  readonly maxLineBytes: number;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** True after an over-long line was emitted cut, until the newline that ends it. */
  #skipping = false;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Feeds bytes; returns the lines they complete, without their line terminators. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE, from); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
      if (this.#skipping) this.#skipping = false;
      else lines.push(this.#finish(chunk.subarray(from, nl)));
      from = nl + 1;
    }
    if (from < chunk.length && !this.#skipping) this.#keep(chunk.subarray(from), lines);
    return lines;
  }

  /** Forgets the unfinished line and, unless at a line start, ignores bytes up to the next newline. */
  skipToNextLine(atLineStart: boolean): void {
    this.#partial = [];
    this.#partialBytes = 0;
    this.#skipping = !atLineStart;
  }

  /** Returns the unfinished last line, if any (e.g. once the writer has exited). */
  flush(): string | undefined {
    this.#skipping = false;
    if (this.#partialBytes === 0) return undefined;
    return this.#finish(Buffer.alloc(0));
  }

  #keep(rest: Buffer, lines: string[]): void {
    // Copy: the caller reuses its read buffer.
    this.#partial.push(Buffer.from(rest));
    this.#partialBytes += rest.length;
    if (this.#partialBytes > this.maxLineBytes) {
      lines.push(this.#finish(Buffer.alloc(0)));
      this.#skipping = true;
    }
  }

  #finish(tail: Buffer): string {
    let bytes = this.#partialBytes === 0 ? tail : Buffer.concat([...this.#partial, tail]);
    this.#partial = [];
    this.#partialBytes = 0;
    if (bytes.length > this.maxLineBytes) bytes = bytes.subarray(0, this.maxLineBytes);
    else if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1);
    return bytes.toString('utf8');
  }
}
