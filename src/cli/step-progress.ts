// Progress of a long step-by-step job (a backup, a restore) on stderr: on a terminal one status
// line redrawn in place (step, count, elapsed); elsewhere one line per step as it starts, so logs
// show how far it got.
import { formatBytes, formatDuration } from './format.ts';
import type { OutputStream } from './io.ts';

const CLEAR_LINE = '\r\x1b[2K';
const REDRAW_MS = 100;

export class StepProgress {
  readonly #out: OutputStream;
  readonly #label: string;
  readonly #startedAt = Date.now();
  #current: string | undefined;
  #drawnAt = 0;

  constructor(out: OutputStream, label: string) {
    this.#out = out;
    this.#label = label;
  }

  /** `count` rows so far, or bytes so far of `total` bytes. */
  step(name: string, count: number, total?: number): void {
    const changed = name !== this.#current;
    this.#current = name;
    if (!this.#out.isTTY) {
      if (changed) this.#out.write(`${this.#label} ${name}…\n`);
      return;
    }
    const now = Date.now();
    if (!changed && now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    const amount = total === undefined ? `${count} rows` : `${formatBytes(count)} of ${formatBytes(total)}`;
    this.#out.write(
      `${CLEAR_LINE}${this.#label} ${name}: ${amount} · ${formatDuration(now - this.#startedAt)}`,
    );
  }

  stop(): void {
    if (this.#out.isTTY && this.#current !== undefined) this.#out.write(CLEAR_LINE);
  }
}
