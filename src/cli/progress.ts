// Live progress of a release: one line per event, and on a terminal a spinner with the elapsed time below them.
import type { ReleaseEventRecord } from '../api/types.ts';
import { formatDuration, formatEventLine } from './format.ts';
import type { OutputStream } from './io.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;
const CLEAR_LINE = '\r\x1b[2K';

export class ReleaseProgress {
  readonly #out: OutputStream;
  readonly #label: string;
  readonly #startedAt: number;
  #state: string | null = null;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: OutputStream, label: string) {
    this.#out = out;
    this.#label = label;
    this.#startedAt = Date.now();
    if (out.isTTY) {
      this.#timer = setInterval(() => this.#draw(), FRAME_MS);
      this.#timer.unref();
      this.#draw();
    }
  }

  event(event: ReleaseEventRecord): void {
    this.line(formatEventLine(event, this.#state));
    if (event.state) this.#state = event.state;
  }

  /** Prints a line above the spinner (or plainly when not on a terminal). */
  line(text: string): void {
    if (this.#timer) this.#out.write(CLEAR_LINE);
    this.#out.write(`${text}\n`);
    if (this.#timer) this.#draw();
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#out.write(CLEAR_LINE);
  }

  #draw(): void {
    const frame = FRAMES[this.#frame++ % FRAMES.length];
    const elapsed = formatDuration(Date.now() - this.#startedAt);
    this.#out.write(`${CLEAR_LINE}${frame} ${this.#label} ${this.#state ?? 'waiting'} · ${elapsed}`);
  }
}
