// Live progress of a release: one line per event, and on a terminal a status line below them with a
// spinner, the state, a canary's latest verdict and countdown, and the elapsed time.
import type { ReleaseEventRecord } from '../api/types.ts';
import { phaseName } from './canary-format.ts';
import { CanaryStatus } from './canary-status.ts';
import { formatDuration, formatEventLine } from './format.ts';
import type { OutputStream } from './io.ts';
import { escapeControls, escapeControlsKeepingLines } from './terminal-text.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;
const CLEAR_LINE = '\r\x1b[2K';

export interface ProgressOptions {
  /** The release's new version, named by canary step lines. */
  version?: string;
  now?: () => number;
}

export class ReleaseProgress {
  readonly #out: OutputStream;
  readonly #label: string;
  readonly #version: string | undefined;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #canary = new CanaryStatus();
  #state: string | null = null;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: OutputStream, label: string, opts: ProgressOptions = {}) {
    this.#out = out;
    this.#label = label;
    this.#version = opts.version;
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
    if (out.isTTY) {
      this.#timer = setInterval(() => this.#draw(), FRAME_MS);
      this.#timer.unref();
      this.#draw();
    }
  }

  event(event: ReleaseEventRecord): void {
    const worthALine = this.#canary.observe(event);
    const text = formatEventLine(event, this.#state, this.#version);
    if (event.state) this.#state = event.state;
    // A terminal keeps repeated verdicts in the status line; a log or a pipe gets every one.
    if (worthALine || !this.#timer) this.line(text);
    else this.#draw();
  }

  /** Number of canary steps seen, for the outcome line. */
  get canarySteps(): number | undefined {
    return this.#canary.steps;
  }

  /** Prints a line above the status line (or plainly when not on a terminal). */
  line(text: string): void {
    if (this.#timer) this.#out.write(CLEAR_LINE);
    this.#out.write(`${escapeControlsKeepingLines(text)}\n`);
    if (this.#timer) this.#draw();
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#out.write(CLEAR_LINE);
  }

  #draw(): void {
    const now = this.#now();
    const frame = FRAMES[this.#frame++ % FRAMES.length];
    const canary = this.#canary.text(this.#state, now);
    const parts = [
      `${frame} ${this.#label} ${this.#state ? phaseName(this.#state) : 'waiting'}`,
      ...(canary ? [canary] : []),
      formatDuration(now - this.#startedAt),
    ];
    this.#out.write(`${CLEAR_LINE}${fitWidth(escapeControls(parts.join(' · ')), this.#out.columns)}`);
  }
}

/** A status line that wraps can no longer be cleared with one carriage return. */
function fitWidth(text: string, columns: number | undefined): string {
  if (!columns || columns < 10) return text;
  const chars = [...text];
  return chars.length < columns ? text : `${chars.slice(0, columns - 2).join('')}…`;
}
