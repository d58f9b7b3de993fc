// Runs a task every interval on an injectable clock, at most one run at a time; poke() runs it now.
import type { Clock } from '../lib/clock.ts';

export class Ticker {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #task: () => Promise<void>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;
  #poked = false;

  constructor(clock: Clock, intervalMs: number, task: () => Promise<void>) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#task = task;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  poke(): void {
    this.#poked = true;
    this.#wake?.abort();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.poke();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (!this.#poked) {
        const wake = new AbortController();
        this.#wake = wake;
        try {
          await this.#clock.sleep(this.#intervalMs, wake.signal);
        } catch {
          // poked or stopping
        }
        this.#wake = undefined;
      }
      this.#poked = false;
      if (!this.#running) break;
      await this.#task();
    }
  }
}
