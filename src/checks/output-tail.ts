// The last lines a command printed, from stdout and stderr as they arrive, in bounded memory:
// a failing check quotes them so the reader sees why without opening a log.

const MAX_LINE_CHARS = 500;

export class OutputTail {
  readonly #keep: number;
  readonly #lines: string[] = [];
  readonly #partial = new Map<string, string>();

  constructor(keep: number) {
    this.#keep = keep;
  }

  /** Appends a chunk of one stream; `stream` keeps stdout's and stderr's half lines apart. */
  push(stream: string, chunk: Buffer | string): void {
    const text = (this.#partial.get(stream) ?? '') + chunk.toString();
    const parts = text.split(/\r?\n/);
    const rest = parts.pop() ?? '';
    for (const line of parts) this.#add(line);
    // A line longer than anyone would read is cut now, so a stream without newlines stays bounded.
    this.#partial.set(stream, rest.length > MAX_LINE_CHARS ? rest.slice(-MAX_LINE_CHARS) : rest);
  }

  /** The last complete lines, then any unterminated ones, blank lines skipped. */
  lines(): string[] {
    const pending = [...this.#partial.values()].filter((line) => line.trim() !== '');
    return [...this.#lines, ...pending.map(clip)].slice(-this.#keep);
  }

  #add(line: string): void {
    if (line.trim() === '') return;
    this.#lines.push(clip(line));
    if (this.#lines.length > this.#keep) this.#lines.shift();
  }
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line;
}
